/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The destination end: checks HELLO, receives RAM, loads the device
 * package into shadow state and synchronizes it into the hardware context
 * *before* it answers PONG (shared/seeds: an acknowledged package must be
 * one this board can run), starts the VM on RUN and says so with
 * VM_STARTED. Each record is legal in some phases only (the table below);
 * anything else ends the session. Before RUN a lost link, a failure or a
 * cancel discards this copy for good and leaves a clean board: the source
 * resumes, and a later RECONNECT about this migration is told so.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/format.h"
#include "mig/dest_internal.h"
#include "mig/page_sets.h"
#include "mig/ram_codec.h"

/** How often a postcopy destination looks for vCPU faults while it waits for records. */
#define FAULT_POLL_MS 1u

#define IN(phase) (1u << (phase))

/**
 * Which record may come in which phase (docs/migration-protocol.md, "Records
 * in order"). HELLO and RECONNECT only begin a link; the return path's
 * records never come this way. CANCEL is heard in every phase, and refused
 * once the VM runs here.
 */
static const struct {
	uint16_t type;
	uint16_t phases;
} legal[] = {
	{ MIG_REC_RAM, IN(MIG_PHASE_RECEIVING) | IN(MIG_PHASE_POSTCOPY) | IN(MIG_PHASE_STANDBY) },
	{ MIG_REC_ROUND_END, IN(MIG_PHASE_RECEIVING) },
	{ MIG_REC_CLOCK, IN(MIG_PHASE_RECEIVING) },
	{ MIG_REC_DRY_RUN, IN(MIG_PHASE_RECEIVING) },
	{ MIG_REC_POSTCOPY_DISCARD, IN(MIG_PHASE_RECEIVING) | IN(MIG_PHASE_DISCARDING) },
	{ MIG_REC_DEVICE_PACKAGE,
	  IN(MIG_PHASE_RECEIVING) | IN(MIG_PHASE_DEVICE_NEXT) | IN(MIG_PHASE_STANDBY) },
	{ MIG_REC_PING, IN(MIG_PHASE_LOADED) | IN(MIG_PHASE_POSTCOPY) },
	{ MIG_REC_RUN, IN(MIG_PHASE_SYNCED) },
	{ MIG_REC_CANCEL, IN(MIG_PHASE_RECEIVING) | IN(MIG_PHASE_DISCARDING) |
				  IN(MIG_PHASE_DEVICE_NEXT) | IN(MIG_PHASE_LOADED) |
				  IN(MIG_PHASE_SYNCED) | IN(MIG_PHASE_RUNNING) |
				  IN(MIG_PHASE_POSTCOPY) | IN(MIG_PHASE_STANDBY) },
	{ MIG_REC_END, IN(MIG_PHASE_RUNNING) | IN(MIG_PHASE_POSTCOPY) },
	{ MIG_REC_FRAMES, IN(MIG_PHASE_RUNNING) | IN(MIG_PHASE_POSTCOPY) },
	{ MIG_REC_EPOCH, IN(MIG_PHASE_RECEIVING) | IN(MIG_PHASE_STANDBY) },
	{ MIG_REC_EPOCH_END, IN(MIG_PHASE_STANDBY) },
	{ MIG_REC_HEARTBEAT, IN(MIG_PHASE_STANDBY) },
	{ MIG_REC_OUTPUT, IN(MIG_PHASE_STANDBY) },
};

static const char *phase_name(enum mig_dest_phase p)
{
	static const char *const names[MIG_PHASE_COUNT] = {
		"idle",
		"receiving RAM",
		"taking the postcopy discard",
		"waiting for the package",
		"loaded",
		"synchronized",
		"running the VM",
		"running the VM in postcopy",
		"a standby",
	};

	return (unsigned)p < MIG_PHASE_COUNT ? names[p] : "unknown";
}

static bool record_legal(const struct mig_dest *d, uint16_t type)
{
	for (size_t i = 0; i < sizeof(legal) / sizeof(legal[0]); i++)
		if (legal[i].type == type)
			return legal[i].phases & IN(d->phase);
	return false;
}

static bool vm_runs_here(const struct mig_dest *d)
{
	return d->phase == MIG_PHASE_RUNNING || d->phase == MIG_PHASE_POSTCOPY;
}

/** Postcopy with every page here: nothing is owed any more, the VM is whole here. */
static bool postcopy_whole(const struct mig_dest *d)
{
	return d->phase == MIG_PHASE_POSTCOPY && mig_bitmap_count(d->have, d->pages) == d->pages;
}

void mig_dest_reply_text(struct mig_dest *d, uint16_t type, const char *text)
{
	uint8_t msg[1 + 255];
	size_t n = strlen(text);

	if (n > 255)
		n = 255;
	msg[0] = (uint8_t)n;
	memcpy(msg + 1, text, n);
	mig_chan_send(d->ch, type, 0, msg, (uint32_t)(n + 1));
}

/** This copy is thrown away: the board is clean for the next migration. */
static enum mig_state discard_copy(struct mig_dest *d, enum mig_state st)
{
	if (d->phase != MIG_PHASE_IDLE)
		d->ops->discard(d->vm->ctx);
	d->phase = MIG_PHASE_IDLE;
	d->postcopy = false;
	return d->rep.state = st;
}

/** A failure: before RUN this copy is discarded; after it the VM runs on here regardless. */
static enum mig_state fail(struct mig_dest *d, const char *why)
{
	if (why != d->rep.error)
		format_snprintf(d->rep.error, sizeof(d->rep.error), "%s", why);
	mig_dest_reply_text(d, MIG_REC_ERROR, d->rep.error);
	/* The primary fences on ERROR: a standby with a checkpoint waits it out and runs it. */
	if (d->phase == MIG_PHASE_STANDBY)
		return mig_dest_standby_alone(d);
	if (postcopy_whole(d))
		d->phase = MIG_PHASE_RUNNING;
	if (vm_runs_here(d))
		return d->rep.state =
			       d->phase == MIG_PHASE_POSTCOPY ? MIG_POSTCOPY_PAUSED : MIG_COMPLETED;
	return discard_copy(d, MIG_FAILED);
}

static enum mig_state link_lost(struct mig_dest *d)
{
	/* Its link is gone; a reconnecting source asks instead. */
	d->pong_owed = d->ping_pending = false;
	if (postcopy_whole(d))
		d->phase = MIG_PHASE_RUNNING; /* paused for nothing: the VM is whole here */
	if (d->phase == MIG_PHASE_POSTCOPY) {
		format_snprintf(
			d->rep.error, sizeof(d->rep.error),
			"link lost in postcopy: the VM runs, vCPUs touching the %llu "
			"missing pages wait for a new link",
			(unsigned long long)(d->pages - mig_bitmap_count(d->have, d->pages)));
		return d->rep.state = MIG_POSTCOPY_PAUSED;
	}
	if (d->phase == MIG_PHASE_RUNNING)
		return d->rep.state = MIG_COMPLETED;
	format_snprintf(d->rep.error, sizeof(d->rep.error),
			"link lost before RUN: this copy is discarded");
	return discard_copy(d, MIG_FAILED);
}

static void write_page(void *ctx, uint64_t page, const void *data)
{
	struct mig_dest *d = ctx;
	uint8_t *dst = d->ops->page(d->vm->ctx, page);

	if (!mig_page_holds(dst, data)) {
		if (data)
			memcpy(dst, data, MIG_PAGE_SIZE);
		else
			memset(dst, 0, MIG_PAGE_SIZE);
	}
	mig_bit_set(d->have, page);
}

/* A delta's base: the page as this migration wrote it, none before it did. */
static const uint8_t *delta_base(void *ctx, uint64_t page)
{
	struct mig_dest *d = ctx;

	return mig_bit_test(d->have, page) ? d->ops->page(d->vm->ctx, page) : NULL;
}

/* A delta's words written into the page where they lie: its other words are as they were. */
static void patch_page(void *ctx, uint64_t page, unsigned first_word, unsigned words,
		       const uint8_t *data)
{
	struct mig_dest *d = ctx;

	memcpy(d->ops->page(d->vm->ctx, page) + 8u * first_word, data, 8u * words);
}

void mig_dest_forms(struct mig_dest *d, bool postcopy, struct mig_ram_forms *forms)
{
	*forms = (struct mig_ram_forms){ 0 };
	if (d->caps & MIG_CAP_SPARSE_PAGES)
		forms->scratch = d->page;
	if (d->caps & MIG_CAP_DELTA_PAGES && d->caps & MIG_CAP_SPARSE_PAGES && !postcopy) {
		forms->base = delta_base;
		forms->patch = patch_page;
	}
}

struct mig_dest *mig_dest_new(struct mig_vm *vm, const struct mig_hello *local, unsigned timeout_ms)
{
	struct mig_dest *d = calloc(1, sizeof(*d));
	uint64_t words;

	if (!d)
		return NULL;
	d->vm = vm;
	d->ops = vm->ops;
	d->local = *local;
	d->timeout_ms = timeout_ms;
	d->drift_ppm = MIG_CLOCK_DRIFT_PPM;
	d->pages = vm->ops->page_count(vm->ctx);
	words = mig_bitmap_words(d->pages);
	d->have = calloc(words, sizeof(uint64_t));
	d->requested = calloc(words, sizeof(uint64_t));
	d->scratch = calloc(words, sizeof(uint64_t));
	d->buf = malloc(MIG_RECORD_MAX);
	d->page = malloc(MIG_PAGE_SIZE);
	if (!d->have || !d->requested || !d->scratch || !d->buf || !d->page) {
		mig_dest_free(d);
		return NULL;
	}
	return d;
}

void mig_dest_free(struct mig_dest *d)
{
	if (!d)
		return;
	free(d->have);
	free(d->requested);
	free(d->scratch);
	free(d->buf);
	free(d->page);
	mig_ckpt_free(&d->stage);
	free(d);
}

const struct mig_report *mig_dest_report(const struct mig_dest *d) { return &d->rep; }

bool mig_dest_in_doubt(const struct mig_dest *d) { return d->in_doubt; }

bool mig_dest_settled(const struct mig_dest *d)
{
	return d->rep.state == MIG_COMPLETED && d->end_heard && !d->in_doubt;
}

bool mig_dest_settle(struct mig_dest *d)
{
	if (d->rep.state != MIG_COMPLETED || d->in_doubt || d->vm_ended)
		return false;
	d->end_heard = true;
	return true;
}

static bool handle(struct mig_dest *d, struct mig_record *rec);

/*
 * What the handlers of a one-flight switchover rehearse against
 * (rehearse_handlers): a board that accepts every step, and the
 * rehearsals' link, with RUN waiting behind the PING.
 */
static uint64_t mock_now_ns(void *ctx)
{
	struct mig_dest *d = ctx;

	return d->ops->now_ns(d->vm->ctx);
}

static bool mock_load(void *ctx, const uint8_t *buf, size_t len, char *err, size_t n)
{
	(void)ctx, (void)buf, (void)len, (void)err, (void)n;
	return true;
}

static bool mock_sync(void *ctx, bool start, char *err, size_t n)
{
	(void)ctx, (void)start, (void)err, (void)n;
	return true;
}

static void mock_discard(void *ctx) { (void)ctx; }

static const struct mig_vm_ops mock_board = {
	.load_devices = mock_load,
	.sync_devices = mock_sync,
	.start = mock_now_ns,
	.discard = mock_discard,
	.now_ns = mock_now_ns,
};

/*
 * The handlers of a one-flight switchover (the package, PING with RUN
 * behind it, RUN) run once on a copy of this session with the mocks above,
 * so that on an emulated board their first run, which pays for their
 * translation, is not in the downtime (measured: 0.14 ms between the
 * package loaded and the start begun, 0.015 ms once run before). The
 * board's own steps are rehearsed by mig_vm_ops.rehearse.
 */
static void rehearse_handlers(struct mig_dest *d)
{
	static struct mig_dest copy;
	struct mig_vm board = { &mock_board, d };
	static int run_behind = 1; /* RUN waits behind the PING */
	struct mig_channel link = { &mig_rehearsal_link, &run_behind };
	uint32_t ping_id = MIG_PING_PACKAGE_LOADED;
	static const struct {
		uint16_t type;
		bool ping;
	} flight[] = { { MIG_REC_DEVICE_PACKAGE, false },
		       { MIG_REC_PING, true },
		       { MIG_REC_RUN, false } };

	copy = *d;
	copy.vm = &board;
	copy.ops = &mock_board;
	copy.ch = &link;
	copy.pages = 0;	    /* every page here */
	copy.frames = NULL; /* no announce, no frames: nothing moves */
	copy.postcopy = copy.ping_pending = copy.pong_owed = false;
	copy.phase = MIG_PHASE_RECEIVING;
	for (size_t i = 0; i < sizeof(flight) / sizeof(flight[0]); i++) {
		struct mig_record rec = { .type = flight[i].type };

		rec.length = flight[i].ping ? sizeof(ping_id) : 0;
		mig_reader_init(&rec.payload, flight[i].ping ? (const uint8_t *)&ping_id : NULL,
				rec.length);
		if (!handle(&copy, &rec))
			break;
	}
	/* Read only: the PING's count of pages here, the real link's look behind it. */
	(void)mig_bitmap_count(d->have, d->pages);
	(void)mig_chan_ready(d->ch, 0);
}

static bool accept_hello(struct mig_dest *d, struct mig_record *rec)
{
	struct mig_hello remote;
	uint64_t words = mig_bitmap_words(d->pages);
	char why[sizeof(d->rep.error)];
	struct mig_rehearsal measured = { 0 };
	uint8_t accept[MIG_ACCEPT_BYTES];
	struct mig_writer w;

	if (mig_state_runs_on_destination(d->rep.state) || vm_runs_here(d)) {
		mig_dest_reply_text(d, MIG_REC_REFUSE, "a migrated VM already runs here");
		return false;
	}
	/* A HELLO that is refused changes nothing: the last migration is still answered for. */
	if (!mig_hello_get(&rec->payload, &remote, why, sizeof(why)) ||
	    !mig_hello_compatible(&d->local, &remote, why, sizeof(why))) {
		mig_dest_reply_text(d, MIG_REC_REFUSE, why);
		return false;
	}
	discard_copy(d, MIG_SETUP); /* a new migration forgets the last one */
	memset(&d->rep, 0, sizeof(d->rep));
	memset(d->have, 0, words * sizeof(uint64_t));
	memset(d->requested, 0, words * sizeof(uint64_t));
	d->timed_count = 0;
	d->vm_ended = d->approved = d->in_doubt = d->end_heard = d->pong_owed = d->ping_pending =
		d->frames_drained = false;
	d->id = d->rep.migration_id = remote.migration_id;
	d->caps = d->local.capabilities & remote.capabilities;
	d->rep.stream_format = mig_hello_format(&remote);
	/*
	 * Before ACCEPT: the source's clock measurement that follows gets
	 * prompt replies, and ACCEPT carries what this end's switchover work
	 * costs (0: the rehearsal failed, unknown).
	 */
	if (!d->ops->rehearse(d->vm->ctx, true, false, &measured))
		measured.ns = 0;
	rehearse_handlers(d);
	mig_writer_init(&w, accept, sizeof(accept));
	/* A source one format newer writes this board's (mig_hello_format). */
	mig_put_u32(&w,
		    d->caps | (d->rep.stream_format < remote.format_version ? MIG_CAP_FORMAT_OLDER
									    : 0));
	mig_put_u64(&w, measured.ns);
	mig_chan_send(d->ch, MIG_REC_ACCEPT, 0, accept, sizeof(accept));
	d->phase = MIG_PHASE_RECEIVING;
	d->rep.state = MIG_ACTIVE;
	return true;
}

/** POSTCOPY_DISCARD: these pages changed since they came and will be fetched later. */
static bool discard(struct mig_dest *d, struct mig_record *rec)
{
	uint64_t words = mig_bitmap_words(d->pages);

	if (!(d->caps & MIG_CAP_POSTCOPY)) {
		format_snprintf(d->rep.error, sizeof(d->rep.error), "postcopy was not agreed");
		return false;
	}
	memset(d->scratch, 0, words * sizeof(uint64_t));
	if (!mig_bitmap_chunk_get(&rec->payload, d->scratch, d->pages, d->rep.error,
				  sizeof(d->rep.error)))
		return false;
	for (uint64_t i = 0; i < words; i++)
		d->have[i] &= ~d->scratch[i];
	d->phase = MIG_PHASE_DISCARDING;
	if (rec->flags & MIG_FLAG_LAST) {
		d->postcopy = true;
		d->phase = MIG_PHASE_DEVICE_NEXT;
		d->rep.mode = MIG_MODE_POSTCOPY;
		d->rep.state = MIG_POSTCOPY_DEVICE;
	}
	return true;
}

/**
 * Synchronized into the hardware context (and, in postcopy, the missing
 * pages unmapped first: no vCPU may see them) before PONG, so that after
 * PONG starting cannot fail. With `start` RUN is here already: the vCPUs
 * enter the guest once all of them took their state, and a failure still
 * comes before any did.
 */
static bool synchronize(struct mig_dest *d, bool start)
{
	uint64_t began;

	if (d->postcopy &&
	    !d->ops->postcopy_begin(d->vm->ctx, d->have, d->rep.error, sizeof(d->rep.error)))
		return false;
	began = start ? d->ops->now_ns(d->vm->ctx) : 0;
	if (!d->ops->sync_devices(d->vm->ctx, start, d->rep.error, sizeof(d->rep.error)))
		return false;
	d->phase = MIG_PHASE_SYNCED;
	/*
	 * Started with it, a vCPU may be in the guest before this CPU reads its
	 * clock again: the step ends where the hand-over began, and the start's
	 * step holds it (docs/migration-protocol.md, "The downtime ledger").
	 */
	d->rep.dest_synced_ns = start ? began : d->ops->now_ns(d->vm->ctx);
	d->in_doubt = true; /* acknowledged: the source may commit on it */
	return true;
}

static void send_pong(struct mig_dest *d)
{
	uint32_t id = MIG_PING_PACKAGE_LOADED;

	mig_chan_send(d->ch, MIG_REC_PONG, 0, &id, sizeof(id));
}

/**
 * PING(PACKAGE_LOADED): synchronized, then PONG. One flight: RUN comes in
 * the same send, so when bytes wait behind the PING the next record
 * decides (handle): RUN synchronizes and starts in one step and PONG
 * follows the start, anything else is answered as if nothing had come.
 * PING(POSTCOPY_DONE): only once all RAM is here.
 */
static bool ping(struct mig_dest *d, struct mig_record *rec)
{
	uint32_t id = mig_get_u32(&rec->payload);

	if (rec->payload.error || mig_remaining(&rec->payload)) {
		format_snprintf(d->rep.error, sizeof(d->rep.error), "malformed PING");
		return false;
	}
	if (d->phase == MIG_PHASE_LOADED && id == MIG_PING_PACKAGE_LOADED) {
		uint64_t missing = d->pages - mig_bitmap_count(d->have, d->pages);

		/* Precopy: every page must have come (else a page keeps older contents). */
		if (!d->postcopy && missing) {
			format_snprintf(d->rep.error, sizeof(d->rep.error),
					"PING with %llu pages of RAM never sent",
					(unsigned long long)missing);
			return false;
		}
		if (mig_chan_ready(d->ch, 0) > 0) {
			/*
			 * One flight's RUN, most likely: its source committed before
			 * sending, so a link lost before the record is whole leaves it
			 * asking, and this board answers until it did.
			 */
			d->ping_pending = d->in_doubt = true;
			return true;
		}
		if (!synchronize(d, false))
			return false;
	} else if (d->phase == MIG_PHASE_POSTCOPY && id == MIG_PING_POSTCOPY_DONE) {
		uint64_t missing = d->pages - mig_bitmap_count(d->have, d->pages);

		uint8_t pong[MIG_PONG_POSTCOPY_DONE_BYTES];
		struct mig_writer w;

		if (missing) {
			format_snprintf(d->rep.error, sizeof(d->rep.error),
					"postcopy ended with %llu pages missing",
					(unsigned long long)missing);
			return false;
		}
		/* The guest's stalls go with it: the source's report says what the guest felt. */
		mig_writer_init(&w, pong, sizeof(pong));
		mig_put_u32(&w, id);
		mig_put_u64(&w, d->rep.faults_served);
		mig_put_u64(&w, d->rep.stall_max_ns);
		mig_put_u64(&w, d->rep.blocked_ns);
		mig_chan_send(d->ch, MIG_REC_PONG, 0, pong, sizeof(pong));
		return true;
	} else {
		format_snprintf(d->rep.error, sizeof(d->rep.error), "PING %u while %s", id,
				phase_name(d->phase));
		return false;
	}
	send_pong(d);
	return true;
}

/**
 * The record behind a PING(PACKAGE_LOADED) that found bytes waiting. RUN:
 * synchronized and started in one step, PONG after the start, so that
 * neither its sending nor a hand-over to the vCPUs and back is in the
 * downtime; starting cannot fail then, and a source that loses the link
 * before PONG asks (as when PONG is lost on the wire). Anything else: the
 * PING is answered first, as if nothing had come behind it.
 */
static bool pending_ping(struct mig_dest *d, const struct mig_record *rec)
{
	bool run_now = rec->type == MIG_REC_RUN;

	d->ping_pending = false;
	/*
	 * A failure here is answered with ERROR before any PONG: the source
	 * resumes its VM on it, and this board need not wait for its questions.
	 */
	d->in_doubt = false;
	if (run_now && rec->length) { /* judged before anything starts */
		format_snprintf(d->rep.error, sizeof(d->rep.error), "malformed RUN");
		return false;
	}
	if (!synchronize(d, run_now))
		return false;
	if (run_now)
		d->pong_owed = true;
	else
		send_pong(d);
	return true;
}

/*
 * The VM runs: PONG if one is owed (one flight), then VM_STARTED with the
 * stamps, laid out together and sent in one push: the source's downtime
 * clock waits for them, and a second send would add a TLS record's and a
 * segment's way through both boards.
 */
static void run(struct mig_dest *d)
{
	uint8_t out[2 * MIG_RECORD_HEADER_SIZE + sizeof(uint32_t) + MIG_VM_STARTED_BYTES];
	size_t at = 0;
	struct mig_writer w;

	d->rep.dest_started_ns = d->ops->start(d->vm->ctx);
	/* Its announce first: the switch sends the VM's frames here sooner, the source stops
	 * sooner. */
	if (d->frames && d->frames->started)
		d->frames->started(d->frames->ctx);
	if (d->pong_owed) {
		d->pong_owed = false;
		mig_chan_header(out, MIG_REC_PONG, 0, sizeof(uint32_t));
		mig_writer_init(&w, out + MIG_RECORD_HEADER_SIZE, sizeof(uint32_t));
		mig_put_u32(&w, MIG_PING_PACKAGE_LOADED);
		at = MIG_RECORD_HEADER_SIZE + sizeof(uint32_t);
	}
	d->in_doubt = false; /* the VM runs here: this board answers for as long as it does */
	d->phase = d->postcopy ? MIG_PHASE_POSTCOPY : MIG_PHASE_RUNNING;
	mig_chan_header(out + at, MIG_REC_VM_STARTED, 0, MIG_VM_STARTED_BYTES);
	mig_writer_init(&w, out + at + MIG_RECORD_HEADER_SIZE, MIG_VM_STARTED_BYTES);
	mig_put_u64(&w, d->rep.dest_loaded_ns);
	mig_put_u64(&w, d->rep.dest_synced_ns);
	mig_put_u64(&w, d->rep.dest_started_ns);
	mig_put_u64(&w, d->rep.dest_load_ns);
	mig_chan_send_laid_out(d->ch, out, at + MIG_RECORD_HEADER_SIZE + MIG_VM_STARTED_BYTES);
	if (d->postcopy)
		d->rep.state = MIG_POSTCOPY_ACTIVE;
}

/** DEVICE_PACKAGE: into shadow state, timed; synchronized only at PING. */
static bool load(struct mig_dest *d, struct mig_record *rec)
{
	uint64_t t0 = d->ops->now_ns(d->vm->ctx);

	if (!d->postcopy)
		d->rep.state = MIG_DEVICE;
	if (!d->ops->load_devices(d->vm->ctx, rec->payload.buf, rec->length, d->rep.error,
				  sizeof(d->rep.error)))
		return false;
	d->phase = MIG_PHASE_LOADED;
	d->rep.dest_loaded_ns = d->ops->now_ns(d->vm->ctx);
	d->rep.dest_load_ns = d->rep.dest_loaded_ns - t0;
	return true;
}

static bool ram(struct mig_dest *d, struct mig_record *rec)
{
	struct mig_ram_forms forms;

	if (d->phase == MIG_PHASE_POSTCOPY)
		return mig_dest_place_postcopy(d, rec);
	if (d->phase == MIG_PHASE_STANDBY)
		return mig_dest_epoch_ram(d, rec);
	mig_dest_forms(d, false, &forms);
	return mig_ram_decode(&rec->payload, d->pages, write_page, d, &forms, d->rep.error,
			      sizeof(d->rep.error));
}

/** CLOCK: the source's time, answered with this board's, at once (the ledger's offset). */
static bool clock(struct mig_dest *d, struct mig_record *rec)
{
	uint8_t reply[16];
	struct mig_writer w;
	uint64_t theirs = mig_get_u64(&rec->payload);

	if (rec->length != 8) {
		format_snprintf(d->rep.error, sizeof(d->rep.error), "malformed CLOCK");
		return false;
	}
	mig_writer_init(&w, reply, sizeof(reply));
	mig_put_u64(&w, theirs);
	mig_put_u64(&w, d->ops->now_ns(d->vm->ctx));
	mig_chan_send(d->ch, MIG_REC_CLOCK_REPLY, 0, reply, sizeof(reply));
	return true;
}

/*
 * DRY_RUN: the switchover's work once more, timed, on this board's stand-in
 * (never the guest's state), answered at once: the source times the whole
 * trip, a package's size over the link and this work, right before it
 * stops the VM (design section 7, "Bounded").
 */
static bool dry_run(struct mig_dest *d, struct mig_record *rec)
{
	struct mig_rehearsal measured = { 0 };
	uint8_t reply[MIG_DRY_RUN_DONE_ENTRY_BYTES];
	struct mig_writer w;
	uint64_t theirs = mig_get_u64(&rec->payload);

	if (!(d->caps & MIG_CAP_DRY_RUN)) {
		format_snprintf(d->rep.error, sizeof(d->rep.error), "DRY_RUN was not agreed");
		return false;
	}
	if (rec->length < 8) {
		format_snprintf(d->rep.error, sizeof(d->rep.error), "malformed DRY_RUN");
		return false;
	}
	if (!d->ops->rehearse(d->vm->ctx, true, true, &measured))
		measured.ns = 0; /* unknown: the source keeps what it had */
	mig_writer_init(&w, reply, sizeof(reply));
	mig_put_u64(&w, theirs);
	mig_put_u64(&w, measured.ns);
	if (d->caps & MIG_CAP_DRY_RUN_ENTRY)
		mig_put_u64(&w, measured.ns ? measured.entered_ns : 0);
	mig_chan_send(d->ch, MIG_REC_DRY_RUN_DONE, 0, reply, (uint32_t)w.len);
	rehearse_handlers(d); /* after the answer: not in the trip the source times */
	return true;
}

/** ROUND_END: the first full pass is here, this board approves the switchover. */
static void round_end(struct mig_dest *d)
{
	if ((d->caps & MIG_CAP_SWITCHOVER_ACK) && !d->approved) {
		d->approved = true;
		mig_chan_send(d->ch, MIG_REC_SWITCHOVER_ACK, 0, NULL, 0);
	}
	d->rep.rounds++;
}

/** END: the source is done; a postcopy still missing pages is only paused. */
static enum mig_state end(struct mig_dest *d)
{
	d->end_heard = true;
	if (d->phase == MIG_PHASE_POSTCOPY && mig_bitmap_count(d->have, d->pages) != d->pages)
		return link_lost(d);
	d->phase = MIG_PHASE_RUNNING;
	return d->rep.state = MIG_COMPLETED;
}

/** CANCEL: before the VM runs here it is discarded; after, refused and the link goes on. */
static bool cancel(struct mig_dest *d)
{
	if (vm_runs_here(d)) {
		mig_dest_reply_text(d, MIG_REC_ERROR, "cancel refused: the VM runs here");
		return true;
	}
	format_snprintf(d->rep.error, sizeof(d->rep.error), "cancelled by the source");
	d->in_doubt = false; /* the source decided: it knows */
	if (d->phase == MIG_PHASE_STANDBY)
		mig_dest_release(d);
	discard_copy(d, MIG_CANCELLED);
	return false;
}

/** One record of the stream; false ends the link with d->rep.state set. */
static bool handle(struct mig_dest *d, struct mig_record *rec)
{
	bool ok = true;

	if (d->ping_pending && !pending_ping(d, rec)) {
		fail(d, d->rep.error);
		return false;
	}
	if (!record_legal(d, rec->type)) {
		format_snprintf(d->rep.error, sizeof(d->rep.error), "%s while %s",
				mig_record_name(rec->type), phase_name(d->phase));
		fail(d, d->rep.error);
		return false;
	}
	switch (rec->type) {
	case MIG_REC_RAM:
		ok = ram(d, rec);
		break;
	case MIG_REC_ROUND_END:
		round_end(d);
		break;
	case MIG_REC_CLOCK:
		ok = clock(d, rec);
		break;
	case MIG_REC_DRY_RUN:
		ok = dry_run(d, rec);
		break;
	case MIG_REC_POSTCOPY_DISCARD:
		ok = discard(d, rec);
		break;
	case MIG_REC_DEVICE_PACKAGE:
		ok = d->phase == MIG_PHASE_STANDBY ? mig_dest_epoch_package(d, rec) : load(d, rec);
		break;
	case MIG_REC_EPOCH:
		ok = mig_dest_epoch(d, rec);
		break;
	case MIG_REC_EPOCH_END:
		ok = mig_dest_epoch_end(d, rec);
		break;
	case MIG_REC_HEARTBEAT:
		ok = mig_dest_heartbeat(d, rec);
		break;
	case MIG_REC_OUTPUT:
		ok = mig_ckpt_output(&d->stage, rec->payload.buf + rec->payload.pos, rec->length,
				     d->rep.error, sizeof(d->rep.error));
		break;
	case MIG_REC_PING:
		ok = ping(d, rec);
		break;
	case MIG_REC_RUN:
		if (rec->length) {
			format_snprintf(d->rep.error, sizeof(d->rep.error), "malformed RUN");
			ok = false;
			break;
		}
		run(d);
		break;
	case MIG_REC_FRAMES:
		ok = mig_dest_frames(d, rec);
		break;
	case MIG_REC_END:
		end(d);
		return false;
	case MIG_REC_CANCEL:
		return cancel(d);
	default:
		ok = false;
		break;
	}
	if (!ok)
		fail(d, d->rep.error);
	return ok;
}

/*
 * How long a record may take to arrive whole: the link's timeout, but a
 * standby waits no longer than its lease and margin from the primary's last
 * message (a primary that dies in the middle of a checkpoint leaves it
 * half sent: its lease ends all the same).
 */
static unsigned record_wait_ms(struct mig_dest *d)
{
	uint64_t now, until, left_ms;

	if (d->phase != MIG_PHASE_STANDBY || !d->lease.heard)
		return d->timeout_ms;
	now = d->ops->now_ns(d->vm->ctx);
	until = d->lease.last_heard_ns + d->lease.wait_ns;
	left_ms = until > now ? (until - now) / 1000000u + 1u : 1u;
	return left_ms < d->timeout_ms ? (unsigned)left_ms : d->timeout_ms;
}

/** Receives and handles records until the link ends; postcopy faults are served meanwhile. */
static enum mig_state receive(struct mig_dest *d)
{
	uint64_t idle_since = d->ops->now_ns(d->vm->ctx);

	for (;;) {
		struct mig_record rec;
		int err;

		if (d->phase == MIG_PHASE_STANDBY) {
			/* Silence counts: a dead primary's link need not break. */
			err = mig_chan_ready(d->ch, MIG_STANDBY_POLL_MS);
			if (err < 0)
				return mig_dest_standby_alone(d);
			if (err == 0) {
				uint64_t now = d->ops->now_ns(d->vm->ctx);

				if (d->manual && d->lease.heard &&
				    now - d->lease.last_heard_ns >= d->lease.wait_ns)
					return mig_dest_standby_alone(
						d); /* the supervisor decides */
				if (lease_standby_may_take_over(&d->lease, now))
					return mig_dest_take_over(d);
				continue;
			}
		}
		if (d->phase == MIG_PHASE_POSTCOPY) {
			if (mig_dest_request_faults(d))
				return link_lost(d);
			err = mig_chan_ready(d->ch, FAULT_POLL_MS);
			if (err < 0)
				return link_lost(d);
			if (err == 0) {
				if (d->ops->now_ns(d->vm->ctx) - idle_since >
				    (uint64_t)d->timeout_ms * 1000000ull)
					return link_lost(d); /* the source went silent */
				continue;
			}
		}
		err = mig_chan_recv(d->ch, d->buf, &rec, record_wait_ms(d));
		if (err == MIG_CHAN_BAD)
			return fail(d, "malformed record header on the migration stream");
		if (err && d->phase == MIG_PHASE_STANDBY)
			return mig_dest_standby_alone(d);
		if (err)
			return link_lost(d);
		idle_since = d->ops->now_ns(d->vm->ctx);
		if (!handle(d, &rec))
			return d->rep.state;
	}
}

/** STATUS: what became of migration `id` here (flag UNKNOWN: not the one this board holds). */
static int send_status(struct mig_dest *d, uint16_t flags)
{
	uint8_t status[MIG_STATUS_BYTES];
	struct mig_writer w;

	mig_writer_init(&w, status, sizeof(status));
	mig_put_u64(&w, d->id);
	mig_put_u8(&w, (uint8_t)d->rep.state);
	mig_put_u64(&w, d->rep.dest_loaded_ns);
	mig_put_u64(&w, d->rep.dest_synced_ns);
	mig_put_u64(&w, d->rep.dest_started_ns);
	mig_put_u64(&w, d->rep.dest_load_ns);
	return mig_chan_send(d->ch, MIG_REC_STATUS, flags, status, sizeof(status));
}

static enum mig_state reconnected(struct mig_dest *d, struct mig_record *rec)
{
	uint64_t id = mig_get_u64(&rec->payload);

	if (rec->payload.error || mig_remaining(&rec->payload)) {
		mig_dest_reply_text(d, MIG_REC_ERROR, "malformed RECONNECT");
		return d->rep.state;
	}
	/* Only about the migration this board holds: anything else it cannot vouch for. */
	if (!d->id || id != d->id) {
		send_status(d, MIG_FLAG_UNKNOWN_MIGRATION);
		return d->rep.state;
	}
	if (send_status(d, d->vm_ended ? MIG_FLAG_VM_ENDED : 0))
		return d->rep.state;
	d->rep.reconnects++;
	if (d->phase == MIG_PHASE_IDLE)
		d->in_doubt = false; /* the source has heard that this copy was discarded */
	if (d->rep.state == MIG_COMPLETED) {
		struct mig_record end;

		/* It has heard that the VM runs (or ran) here once its END answers the STATUS. */
		if (!mig_chan_recv(d->ch, d->buf, &end, d->timeout_ms) && end.type == MIG_REC_END &&
		    !end.length)
			d->end_heard = true;
		return d->rep.state;
	}
	if (d->rep.state != MIG_POSTCOPY_PAUSED)
		return d->rep.state;
	d->rep.state = MIG_POSTCOPY_RECOVER;
	if (mig_dest_send_recv_bitmap(d))
		return link_lost(d);
	d->rep.state = MIG_POSTCOPY_ACTIVE;
	d->rep.error[0] = 0;
	return receive(d);
}

bool mig_dest_vm_ended(struct mig_dest *d)
{
	if (d->rep.state == MIG_COMPLETED && !d->end_heard && !d->vm_ended) {
		/* The link was lost after RUN: the source may not know the VM ran here. */
		format_snprintf(d->rep.error, sizeof(d->rep.error),
				"the VM ended here before the source heard how the migration "
				"ended");
		d->vm_ended = true;
		return true;
	}
	if (d->rep.state != MIG_POSTCOPY_ACTIVE && d->rep.state != MIG_POSTCOPY_PAUSED &&
	    d->rep.state != MIG_POSTCOPY_RECOVER)
		return false;
	format_snprintf(
		d->rep.error, sizeof(d->rep.error),
		"the VM ended here in postcopy; its %llu pages not yet fetched are not needed",
		(unsigned long long)(d->pages - mig_bitmap_count(d->have, d->pages)));
	d->vm_ended = true;
	d->phase = MIG_PHASE_RUNNING; /* no page is wanted any more */
	d->rep.state = MIG_COMPLETED;
	return true;
}

bool mig_dest_declare_lost(struct mig_dest *d, char *err, size_t err_size)
{
	uint64_t missing = d->pages - mig_bitmap_count(d->have, d->pages);

	if (d->rep.state != MIG_POSTCOPY_PAUSED || !missing) {
		format_snprintf(err, err_size,
				"only a paused postcopy still missing pages can be declared lost "
				"(the migration is %s, %llu pages missing)",
				mig_state_name(d->rep.state), (unsigned long long)missing);
		return false;
	}
	d->rep.pages_lost = missing;
	format_snprintf(d->rep.error, sizeof(d->rep.error),
			"the VM is lost: the source was declared gone with %llu pages that never "
			"arrived",
			(unsigned long long)d->rep.pages_lost);
	d->rep.state = MIG_LOST;
	return true;
}

enum mig_state mig_dest_serve(struct mig_dest *d, struct mig_channel *ch)
{
	struct mig_record rec;

	d->ch = ch;
	if (mig_chan_recv(ch, d->buf, &rec, d->timeout_ms))
		return d->rep.state; /* nobody spoke: nothing changes */
	if (rec.type == MIG_REC_RECONNECT)
		return reconnected(d, &rec);
	if (rec.type != MIG_REC_HELLO) {
		mig_dest_reply_text(d, MIG_REC_ERROR, "a link must begin with HELLO or RECONNECT");
		return d->rep.state;
	}
	if (!accept_hello(d, &rec))
		return d->rep.state;
	return receive(d);
}
