/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The destination end: checks HELLO, receives RAM, loads the device
 * package into shadow state and synchronizes it into the hardware context
 * *before* it answers PONG (shared/seeds: an acknowledged package must be
 * one this board can run), starts the VM on RUN and says so with
 * VM_STARTED. Before RUN a lost link discards this copy for good: the
 * source resumes, and a later RECONNECT is told so.
 */
#include <stdlib.h>
#include <string.h>

#include "hyp/format.h"
#include "mig/dest_internal.h"
#include "mig/page_sets.h"
#include "mig/ram_codec.h"

/** How often a postcopy destination looks for vCPU faults while it waits for records. */
#define FAULT_POLL_MS 1u

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

/** A failure: before RUN this copy is discarded; after it the VM runs on here regardless. */
static enum mig_state fail(struct mig_dest *d, const char *why)
{
	if (why != d->rep.error)
		format_snprintf(d->rep.error, sizeof(d->rep.error), "%s", why);
	mig_dest_reply_text(d, MIG_REC_ERROR, d->rep.error);
	if (d->running)
		return d->rep.state = d->postcopy ? MIG_POSTCOPY_PAUSED : MIG_COMPLETED;
	return d->rep.state = MIG_FAILED;
}

static enum mig_state link_lost(struct mig_dest *d)
{
	if (d->running && d->postcopy) {
		format_snprintf(
			d->rep.error, sizeof(d->rep.error),
			"link lost in postcopy: the VM runs, vCPUs touching the %llu "
			"missing pages wait for a new link",
			(unsigned long long)(d->pages - mig_bitmap_count(d->have, d->pages)));
		return d->rep.state = MIG_POSTCOPY_PAUSED;
	}
	if (d->running)
		return d->rep.state = MIG_COMPLETED;
	format_snprintf(d->rep.error, sizeof(d->rep.error),
			"link lost before RUN: this copy is discarded");
	return d->rep.state = MIG_FAILED;
}

static void write_page(void *ctx, uint64_t page, const void *data)
{
	struct mig_dest *d = ctx;
	uint8_t *dst = d->ops->page(d->vm->ctx, page);

	if (data)
		memcpy(dst, data, MIG_PAGE_SIZE);
	else
		memset(dst, 0, MIG_PAGE_SIZE);
	mig_bit_set(d->have, page);
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
	d->pages = vm->ops->page_count(vm->ctx);
	words = mig_bitmap_words(d->pages);
	d->have = calloc(words, sizeof(uint64_t));
	d->requested = calloc(words, sizeof(uint64_t));
	d->scratch = calloc(words, sizeof(uint64_t));
	d->buf = malloc(MIG_RECORD_MAX);
	if (!d->have || !d->requested || !d->scratch || !d->buf) {
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
	free(d);
}

const struct mig_report *mig_dest_report(const struct mig_dest *d) { return &d->rep; }

static bool accept_hello(struct mig_dest *d, struct mig_record *rec)
{
	struct mig_hello remote;
	uint64_t words = mig_bitmap_words(d->pages);

	if (mig_state_runs_on_destination(d->rep.state)) {
		mig_dest_reply_text(d, MIG_REC_REFUSE, "a migrated VM already runs here");
		return false;
	}
	memset(&d->rep, 0, sizeof(d->rep));
	memset(d->have, 0, words * sizeof(uint64_t));
	memset(d->requested, 0, words * sizeof(uint64_t));
	d->timed_count = 0;
	d->vm_ended = false;
	d->loaded = d->synced = d->running = d->postcopy = d->approved = false;
	if (!mig_hello_get(&rec->payload, &remote, d->rep.error, sizeof(d->rep.error)) ||
	    !mig_hello_compatible(&d->local, &remote, d->rep.error, sizeof(d->rep.error))) {
		mig_dest_reply_text(d, MIG_REC_REFUSE, d->rep.error);
		d->rep.state = MIG_FAILED;
		return false;
	}
	d->caps = d->local.capabilities & remote.capabilities;
	mig_chan_send(d->ch, MIG_REC_ACCEPT, 0, &d->caps, sizeof(d->caps));
	d->rep.state = MIG_ACTIVE;
	return true;
}

/** POSTCOPY_DISCARD: these pages changed since they came and will be fetched later. */
static bool discard(struct mig_dest *d, struct mig_record *rec)
{
	uint64_t words = mig_bitmap_words(d->pages);

	if (!(d->caps & MIG_CAP_POSTCOPY) || d->running) {
		format_snprintf(d->rep.error, sizeof(d->rep.error), "postcopy was not agreed");
		return false;
	}
	memset(d->scratch, 0, words * sizeof(uint64_t));
	if (!mig_bitmap_chunk_get(&rec->payload, d->scratch, d->pages, d->rep.error,
				  sizeof(d->rep.error)))
		return false;
	for (uint64_t i = 0; i < words; i++)
		d->have[i] &= ~d->scratch[i];
	if (rec->flags & MIG_FLAG_LAST) {
		d->postcopy = true;
		d->rep.mode = MIG_MODE_POSTCOPY;
		d->rep.state = MIG_POSTCOPY_DEVICE;
	}
	return true;
}

/** PING: PACKAGE_LOADED is answered only once the state runs here; POSTCOPY_DONE once all RAM is.
 */
static bool ping(struct mig_dest *d, struct mig_record *rec)
{
	uint32_t id = mig_get_u32(&rec->payload);

	if (id == MIG_PING_PACKAGE_LOADED) {
		if (!d->loaded) {
			format_snprintf(d->rep.error, sizeof(d->rep.error),
					"PING before the device package");
			return false;
		}
		if (!d->ops->sync_devices(d->vm->ctx, d->rep.error, sizeof(d->rep.error)))
			return false;
		if (d->postcopy)
			d->ops->postcopy_begin(d->vm->ctx, d->have);
		d->synced = true;
		d->rep.dest_synced_ns = d->ops->now_ns(d->vm->ctx);
	} else if (id == MIG_PING_POSTCOPY_DONE) {
		uint64_t missing = d->pages - mig_bitmap_count(d->have, d->pages);

		if (missing) {
			format_snprintf(d->rep.error, sizeof(d->rep.error),
					"postcopy ended with %llu pages missing",
					(unsigned long long)missing);
			return false;
		}
	}
	mig_chan_send(d->ch, MIG_REC_PONG, 0, &id, sizeof(id));
	return true;
}

static bool run(struct mig_dest *d)
{
	uint8_t stamps[32];
	struct mig_writer w;

	if (!d->synced || !d->ops->start(d->vm->ctx)) {
		format_snprintf(d->rep.error, sizeof(d->rep.error),
				"RUN without a synchronized device state");
		return false;
	}
	d->running = true;
	d->rep.dest_started_ns = d->ops->now_ns(d->vm->ctx);
	mig_writer_init(&w, stamps, sizeof(stamps));
	mig_put_u64(&w, d->rep.dest_loaded_ns);
	mig_put_u64(&w, d->rep.dest_synced_ns);
	mig_put_u64(&w, d->rep.dest_started_ns);
	mig_put_u64(&w, d->rep.dest_load_ns);
	mig_chan_send(d->ch, MIG_REC_VM_STARTED, 0, stamps, sizeof(stamps));
	if (d->postcopy)
		d->rep.state = MIG_POSTCOPY_ACTIVE;
	return true;
}

/** DEVICE_PACKAGE: into shadow state, timed; synchronized only at PING. */
static bool load(struct mig_dest *d, struct mig_record *rec)
{
	uint64_t t0 = d->ops->now_ns(d->vm->ctx);

	if (!d->postcopy)
		d->rep.state = MIG_DEVICE;
	if (!d->ops->load_devices(d->vm->ctx, rec->payload.buf, rec->length, d->rep.error,
				  sizeof(d->rep.error)))
		return fail(d, d->rep.error), false;
	d->loaded = true;
	d->rep.dest_loaded_ns = d->ops->now_ns(d->vm->ctx);
	d->rep.dest_load_ns = d->rep.dest_loaded_ns - t0;
	return true;
}

/** One record of the stream; false ends the link with d->rep.state set. */
static bool handle(struct mig_dest *d, struct mig_record *rec)
{
	switch (rec->type) {
	case MIG_REC_RAM:
		if (d->running && d->postcopy)
			return mig_dest_place_postcopy(d, rec) || (fail(d, d->rep.error), false);
		if (d->running || !mig_ram_decode(&rec->payload, d->pages, write_page, d,
						  d->rep.error, sizeof(d->rep.error)))
			return fail(d, d->running ? "RAM after RUN" : d->rep.error), false;
		return true;
	case MIG_REC_ROUND_END:
		/* The first full pass is here: this board approves the switchover. */
		if ((d->caps & MIG_CAP_SWITCHOVER_ACK) && !d->approved) {
			d->approved = true;
			mig_chan_send(d->ch, MIG_REC_SWITCHOVER_ACK, 0, NULL, 0);
		}
		d->rep.rounds++;
		return true;
	case MIG_REC_POSTCOPY_DISCARD:
		return discard(d, rec) || (fail(d, d->rep.error), false);
	case MIG_REC_DEVICE_PACKAGE:
		if (d->running)
			break;
		return load(d, rec);
	case MIG_REC_PING:
		return ping(d, rec) || (fail(d, d->rep.error), false);
	case MIG_REC_RUN:
		return run(d) || (fail(d, d->rep.error), false);
	case MIG_REC_END:
		if (!d->running)
			return fail(d, "END before RUN"), false;
		if (d->postcopy && mig_bitmap_count(d->have, d->pages) != d->pages)
			return link_lost(d), false;
		d->rep.state = MIG_COMPLETED;
		return false;
	case MIG_REC_CANCEL:
		if (d->running) {
			mig_dest_reply_text(d, MIG_REC_ERROR, "cancel refused: the VM runs here");
			return true;
		}
		format_snprintf(d->rep.error, sizeof(d->rep.error), "cancelled by the source");
		d->rep.state = MIG_CANCELLED;
		return false;
	default:
		break;
	}
	format_snprintf(d->rep.error, sizeof(d->rep.error), "unexpected %s on the migration stream",
			mig_record_name(rec->type));
	fail(d, d->rep.error);
	return false;
}

/** Receives and handles records until the link ends; postcopy faults are served meanwhile. */
static enum mig_state receive(struct mig_dest *d)
{
	uint64_t idle_since = d->ops->now_ns(d->vm->ctx);

	for (;;) {
		struct mig_record rec;
		int err;

		if (d->running && d->postcopy) {
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
		err = mig_chan_recv(d->ch, d->buf, &rec, d->timeout_ms);
		if (err == MIG_CHAN_BAD)
			return fail(d, "malformed record header on the migration stream");
		if (err)
			return link_lost(d);
		idle_since = d->ops->now_ns(d->vm->ctx);
		if (!handle(d, &rec))
			return d->rep.state;
	}
}

static enum mig_state reconnected(struct mig_dest *d)
{
	uint8_t status[1 + 32];
	struct mig_writer w;

	mig_writer_init(&w, status, sizeof(status));
	mig_put_u8(&w, (uint8_t)d->rep.state);
	mig_put_u64(&w, d->rep.dest_loaded_ns);
	mig_put_u64(&w, d->rep.dest_synced_ns);
	mig_put_u64(&w, d->rep.dest_started_ns);
	mig_put_u64(&w, d->rep.dest_load_ns);
	if (mig_chan_send(d->ch, MIG_REC_STATUS, d->vm_ended ? MIG_FLAG_VM_ENDED : 0, status,
			  sizeof(status)))
		return d->rep.state;
	d->rep.reconnects++;
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
	if (d->rep.state != MIG_POSTCOPY_ACTIVE && d->rep.state != MIG_POSTCOPY_PAUSED &&
	    d->rep.state != MIG_POSTCOPY_RECOVER)
		return false;
	format_snprintf(
		d->rep.error, sizeof(d->rep.error),
		"the VM ended here in postcopy; its %llu pages not yet fetched are not needed",
		(unsigned long long)(d->pages - mig_bitmap_count(d->have, d->pages)));
	d->vm_ended = true;
	d->rep.state = MIG_COMPLETED;
	return true;
}

enum mig_state mig_dest_serve(struct mig_dest *d, struct mig_channel *ch)
{
	struct mig_record rec;

	d->ch = ch;
	if (mig_chan_recv(ch, d->buf, &rec, d->timeout_ms))
		return d->rep.state; /* nobody spoke: nothing changes */
	if (rec.type == MIG_REC_RECONNECT)
		return reconnected(d);
	if (rec.type != MIG_REC_HELLO) {
		mig_dest_reply_text(d, MIG_REC_ERROR, "a link must begin with HELLO or RECONNECT");
		return d->rep.state;
	}
	if (!accept_hello(d, &rec))
		return d->rep.state;
	return receive(d);
}
