/* SPDX-License-Identifier: Apache-2.0 */
/**
 * Each end of the migration against a scripted peer that holds valid
 * credentials and sends what it likes: records in the wrong order, a
 * migration id it does not hold, malformed answers. The rules: a record is
 * legal only in its phases (docs/migration-protocol.md, "Records in
 * order"), a destination that discards a copy is clean for the next
 * migration, RECONNECT and STATUS speak of one migration id, and a source
 * that cannot know stays stopped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "mig/page_sets.h"
#include "mig/ram_codec.h"
#include "tests/support/fake_vm.h"
#include "tests/support/script_peer.h"

#define PAGES 128
#define ID    0x0123456789abcdefull /* fake_vm_hello's migration id */

struct fixture {
	struct fake_vm src, dst;
	struct mig_dest *dest;
	struct mig_vm dvm, svm;
	struct script_peer p;
	uint8_t buf[64 * 1024];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct mig_hello local = fake_vm_hello(PAGES);

	if (!f)
		return -1;
	fake_vm_init(&f->src, PAGES, true);
	fake_vm_init(&f->dst, PAGES, false);
	f->dvm = (struct mig_vm){ &fake_vm_ops, &f->dst };
	f->svm = (struct mig_vm){ &fake_vm_ops, &f->src };
	f->dest = mig_dest_new(&f->dvm, &local, 2000);
	*state = f;
	return f->dest ? 0 : -1;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	mig_dest_free(f->dest);
	fake_vm_free(&f->src);
	fake_vm_free(&f->dst);
	free(f);
	return 0;
}

/* --- the script's records ------------------------------------------------------------ */

static void send_hello(struct fixture *f, uint64_t id)
{
	struct mig_hello h = fake_vm_hello(PAGES);

	h.migration_id = id;
	assert_true(script_send(&f->p, MIG_REC_HELLO, 0, f->buf,
				script_hello(f->buf, sizeof(f->buf), &h)));
	assert_true(script_expect(&f->p, MIG_REC_ACCEPT));
}

static void send_u32(struct fixture *f, uint16_t type, uint16_t flags, uint32_t v)
{
	assert_true(script_send(&f->p, type, flags, &v, sizeof(v)));
}

static void send_empty(struct fixture *f, uint16_t type)
{
	assert_true(script_send(&f->p, type, 0, NULL, 0));
}

/** ACCEPT: the capabilities, the destination's switchover cost, `len` bytes of them. */
static void send_accept(struct fixture *f, uint32_t caps, uint64_t cost_ns, uint32_t len)
{
	uint8_t payload[MIG_ACCEPT_BYTES + 1] = { 0 };
	struct mig_writer w;

	mig_writer_init(&w, payload, sizeof(payload));
	mig_put_u32(&w, caps);
	mig_put_u64(&w, cost_ns);
	assert_true(script_send(&f->p, MIG_REC_ACCEPT, 0, payload, len));
}

/** A RAM record of the source's first n pages. */
static void send_ram(struct fixture *f, uint64_t n)
{
	static uint8_t rec[MIG_RAM_BATCH_BYTES];
	struct mig_ram_batch b;

	mig_ram_batch_init(&b, rec, sizeof(rec), false);
	for (uint64_t p = 0; p < n; p++)
		assert_true(mig_ram_batch_add(&b, p, f->src.ram + p * 4096, NULL));
	mig_ram_batch_finish(&b);
	assert_true(script_send(&f->p, MIG_REC_RAM, 0, rec, (uint32_t)b.w.len));
}

static void send_package(struct fixture *f)
{
	size_t n = fake_vm_ops.save_devices(&f->src, MIG_FORMAT_VERSION, f->buf, sizeof(f->buf));

	assert_true(n > 0);
	assert_true(script_send(&f->p, MIG_REC_DEVICE_PACKAGE, 0, f->buf, (uint32_t)n));
}

/** POSTCOPY_DISCARD of every page, in one (last) chunk. */
static void send_discard_all(struct fixture *f)
{
	uint64_t bm[PAGES / 64];
	struct mig_writer w;

	memset(bm, 0xff, sizeof(bm));
	mig_writer_init(&w, f->buf, sizeof(f->buf));
	mig_bitmap_chunk_put(&w, bm, PAGES / 64, 0);
	assert_true(script_send(&f->p, MIG_REC_POSTCOPY_DISCARD, MIG_FLAG_LAST, f->buf,
				(uint32_t)w.len));
}

/** A session with the destination, by precopy up to the acknowledged package: synchronized. */
static void precopy_to_pong(struct fixture *f)
{
	script_serve_dest(&f->p, f->dest);
	send_hello(f, ID);
	send_ram(f, PAGES);
	send_u32(f, MIG_REC_ROUND_END, 0, 1);
	send_package(f);
	send_u32(f, MIG_REC_PING, 0, MIG_PING_PACKAGE_LOADED);
	assert_true(script_expect(&f->p, MIG_REC_PONG));
}

/** A session with the destination, by postcopy from the start up to the acknowledged package. */
static void postcopy_to_pong(struct fixture *f)
{
	script_serve_dest(&f->p, f->dest);
	send_hello(f, ID);
	send_u32(f, MIG_REC_ROUND_END, 0, 0);
	send_discard_all(f);
	send_package(f);
	send_u32(f, MIG_REC_PING, 0, MIG_PING_PACKAGE_LOADED);
	assert_true(script_expect(&f->p, MIG_REC_PONG));
}

/** The destination answers ERROR naming `why` and ends the session in state `st`. */
static void refused(struct fixture *f, const char *why, enum mig_state st)
{
	assert_true(script_expect(&f->p, MIG_REC_ERROR));
	assert_string_equal(f->p.text, why);
	assert_int_equal(script_end(&f->p), st);
}

/* --- records in order (destination) ---------------------------------------------------- */

static void test_ping_before_the_package(void **state)
{
	struct fixture *f = *state;

	script_serve_dest(&f->p, f->dest);
	send_hello(f, ID);
	send_u32(f, MIG_REC_PING, 0, MIG_PING_PACKAGE_LOADED);
	refused(f, "PING while receiving RAM", MIG_FAILED);
	assert_false(f->dst.running);
}

static void test_run_before_the_acknowledgement(void **state)
{
	struct fixture *f = *state;

	script_serve_dest(&f->p, f->dest);
	send_hello(f, ID);
	send_package(f);
	send_empty(f, MIG_REC_RUN);
	refused(f, "RUN while loaded", MIG_FAILED);
	assert_false(f->dst.running);
	assert_int_equal(f->dst.discards, 1);
}

/*
 * One flight: RUN's first bytes are in behind the PING, so the destination
 * waits for the whole record before it synchronizes (and then starts); the
 * link breaks there: it never started, and the next session must not hear
 * a stale PONG (it would take it for an answer to something it asked).
 */
static void test_owed_pong_dies_with_its_link(void **state)
{
	struct fixture *f = *state;
	uint8_t flight[MIG_RECORD_HEADER_SIZE * 2 + sizeof(uint32_t)];
	uint32_t ping = MIG_PING_PACKAGE_LOADED;
	uint64_t t1 = 42;

	script_serve_dest(&f->p, f->dest);
	send_hello(f, ID);
	send_ram(f, PAGES);
	send_u32(f, MIG_REC_ROUND_END, 0, 1);
	send_package(f);
	mig_chan_header(flight, MIG_REC_PING, 0, sizeof(ping));
	memcpy(flight + MIG_RECORD_HEADER_SIZE, &ping, sizeof(ping));
	mig_chan_header(flight + MIG_RECORD_HEADER_SIZE + sizeof(ping), MIG_REC_RUN, 0, 0);
	/* PING whole, RUN's header cut in half: in one write, as one flight would come. */
	assert_int_equal(write(f->p.fd, flight, sizeof(flight) - MIG_RECORD_HEADER_SIZE / 2),
			 (ssize_t)(sizeof(flight) - MIG_RECORD_HEADER_SIZE / 2));
	usleep(200000); /* the destination sees RUN coming and waits for it */
	assert_int_equal(script_end(&f->p), MIG_FAILED);
	assert_false(f->dst.running);
	/* A new migration: its first answer is to its own first question. */
	script_serve_dest(&f->p, f->dest);
	send_hello(f, ID + 1);
	assert_true(script_send(&f->p, MIG_REC_CLOCK, 0, &t1, sizeof(t1)));
	assert_true(script_read(&f->p, 2000));
	assert_int_equal(f->p.rec.type, MIG_REC_CLOCK_REPLY);
	script_end(&f->p);
}

/*
 * Records other than RUN right behind a PING (in one write, as a one-flight
 * send would come): the PING is answered first, as if nothing were behind
 * it, then the record is judged; nothing starts.
 */
static void test_other_records_behind_a_ping(void **state)
{
	struct fixture *f = *state;
	const uint16_t behind[] = { MIG_REC_CANCEL, MIG_REC_RAM, MIG_REC_PING };

	for (size_t i = 0; i < sizeof(behind) / sizeof(behind[0]); i++) {
		uint8_t flight[MIG_RECORD_HEADER_SIZE * 2 + 2 * sizeof(uint32_t)];
		uint32_t ping = MIG_PING_PACKAGE_LOADED;

		script_serve_dest(&f->p, f->dest);
		send_hello(f, ID + i);
		send_ram(f, PAGES);
		send_u32(f, MIG_REC_ROUND_END, 0, 1);
		send_package(f);
		mig_chan_header(flight, MIG_REC_PING, 0, sizeof(ping));
		memcpy(flight + MIG_RECORD_HEADER_SIZE, &ping, sizeof(ping));
		mig_chan_header(flight + MIG_RECORD_HEADER_SIZE + sizeof(ping), behind[i], 0,
				sizeof(ping));
		memcpy(flight + 2 * MIG_RECORD_HEADER_SIZE + sizeof(ping), &ping, sizeof(ping));
		assert_int_equal(write(f->p.fd, flight, sizeof(flight)), (ssize_t)sizeof(flight));
		assert_true(script_expect(&f->p, MIG_REC_PONG));
		if (behind[i] == MIG_REC_CANCEL) {
			assert_int_equal(script_end(&f->p), MIG_CANCELLED);
		} else {
			assert_true(script_expect(&f->p, MIG_REC_ERROR));
			assert_int_equal(script_end(&f->p), MIG_FAILED);
		}
		assert_false(f->dst.running);
		assert_int_equal(f->dst.synced_with_start, 0);
	}
}

/* A second PING after RUN must not re-synchronize vCPUs that run. */
static void test_ping_after_run_does_not_resync(void **state)
{
	struct fixture *f = *state;

	precopy_to_pong(f);
	send_empty(f, MIG_REC_RUN);
	assert_true(script_expect(&f->p, MIG_REC_VM_STARTED));
	assert_int_equal(f->p.rec.length, MIG_VM_STARTED_BYTES);
	f->dst.regs.x[5] = 0x5eed; /* what the running guest did since */
	send_u32(f, MIG_REC_PING, 0, MIG_PING_PACKAGE_LOADED);
	refused(f, "PING while running the VM", MIG_COMPLETED);
	assert_true(f->dst.running); /* the VM runs on here, untouched */
	assert_int_equal(f->dst.regs.x[5], 0x5eed);
}

/* --- the guest's frames (FRAMES) ------------------------------------------------------- */

static struct {
	uint8_t got[8][64];
	size_t len[8];
	unsigned count, drained;
} frames;

static void deliver(void *ctx, const uint8_t *frame, size_t len)
{
	(void)ctx;
	assert_true(frames.count < 8 && len <= 64);
	memcpy(frames.got[frames.count], frame, len);
	frames.len[frames.count++] = len;
}

static void drained(void *ctx)
{
	(void)ctx;
	frames.drained++;
}

static const struct mig_frames_ops dest_frames = { .deliver = deliver, .drained = drained };

/* FRAMES of the given frame lengths (each frame its length's value repeated), flags as given. */
static void send_frames(struct fixture *f, uint16_t flags, const uint16_t *lens, unsigned n)
{
	struct mig_writer w;

	mig_writer_init(&w, f->buf, sizeof(f->buf));
	for (unsigned i = 0; i < n; i++) {
		mig_put_u16(&w, lens[i]);
		for (unsigned k = 0; k < lens[i] && k < 64; k++)
			mig_put_u8(&w, (uint8_t)lens[i]);
	}
	assert_true(script_send(&f->p, MIG_REC_FRAMES, flags, f->buf, (uint32_t)w.len));
}

static void run_to_started(struct fixture *f)
{
	memset(&frames, 0, sizeof(frames));
	mig_dest_set_frames(f->dest, &dest_frames);
	precopy_to_pong(f);
	send_empty(f, MIG_REC_RUN);
	assert_true(script_expect(&f->p, MIG_REC_VM_STARTED));
}

/* Frames the source passes on reach the VM whole, in order; the last says no more come. */
static void test_frames_in_order(void **state)
{
	struct fixture *f = *state;
	static const uint16_t a[2] = { 60, 14 }, b[1] = { 42 };

	run_to_started(f);
	send_frames(f, 0, a, 2);
	send_frames(f, MIG_FLAG_LAST, b, 1);
	send_empty(f, MIG_REC_END);
	assert_int_equal(script_end(&f->p), MIG_COMPLETED);
	assert_int_equal(frames.count, 3);
	assert_int_equal(frames.len[0], 60);
	assert_int_equal(frames.got[1][13], 14);
	assert_int_equal(frames.len[2], 42);
	assert_int_equal(frames.drained, 1);
}

/* Each way a FRAMES record can lie ends the migration; the VM runs on here, untouched. */
static void frames_refused(struct fixture *f, const uint8_t *rec, uint32_t len, const char *why)
{
	run_to_started(f);
	assert_true(script_send(&f->p, MIG_REC_FRAMES, 0, rec, len));
	refused(f, why, MIG_COMPLETED);
	assert_true(f->dst.running);
	assert_int_equal(frames.count, 0);
}

static void test_frames_zero_length(void **state)
{
	static const uint8_t rec[2] = { 0, 0 };

	frames_refused(*state, rec, sizeof(rec), "malformed FRAMES");
}

static void test_frames_too_long(void **state)
{
	static uint8_t rec[2 + MIG_FRAME_MAX + 1] = { (MIG_FRAME_MAX + 1) & 0xff,
						      (MIG_FRAME_MAX + 1) >> 8 };

	frames_refused(*state, rec, sizeof(rec), "malformed FRAMES");
}

static void test_frames_past_the_end(void **state)
{
	static const uint8_t rec[4] = { 30, 0, 1, 2 }; /* 30 bytes said, 2 there */

	frames_refused(*state, rec, sizeof(rec), "malformed FRAMES");
}

static void test_frames_after_the_last(void **state)
{
	struct fixture *f = *state;
	static const uint16_t ok[1] = { 20 };

	run_to_started(f);
	send_frames(f, MIG_FLAG_LAST, ok, 1);
	send_frames(f, 0, ok, 1);
	refused(f, "FRAMES after the last", MIG_COMPLETED);
	assert_int_equal(frames.count, 1);
}

static void test_frames_without_a_network_device(void **state)
{
	struct fixture *f = *state;
	static const uint16_t ok[1] = { 20 };

	memset(&frames, 0, sizeof(frames));
	precopy_to_pong(f);
	send_empty(f, MIG_REC_RUN);
	assert_true(script_expect(&f->p, MIG_REC_VM_STARTED));
	send_frames(f, 0, ok, 1);
	refused(f, "FRAMES for a VM without a network device", MIG_COMPLETED);
	assert_int_equal(frames.count, 0);
}

/* Before the VM runs here there is nothing to pass frames on to. */
static void test_frames_before_run(void **state)
{
	struct fixture *f = *state;
	static const uint16_t ok[1] = { 20 };

	memset(&frames, 0, sizeof(frames));
	mig_dest_set_frames(f->dest, &dest_frames);
	precopy_to_pong(f);
	send_frames(f, 0, ok, 1);
	refused(f, "FRAMES while synchronized", MIG_FAILED);
	assert_int_equal(frames.count, 0);
}

/* POSTCOPY_DISCARD after the acknowledgement: postcopy with stale pages mapped. */
static void test_discard_after_ping(void **state)
{
	struct fixture *f = *state;

	precopy_to_pong(f);
	send_discard_all(f);
	refused(f, "POSTCOPY_DISCARD while synchronized", MIG_FAILED);
	assert_false(f->dst.running);
	assert_false(f->dst.postcopy);
	assert_int_equal(f->dst.discards, 1);
}

/* RAM between PING and RUN in postcopy would mark an unmapped page present. */
static void test_ram_between_ping_and_run(void **state)
{
	struct fixture *f = *state;

	postcopy_to_pong(f);
	assert_true(f->dst.postcopy);
	send_ram(f, 1);
	refused(f, "RAM while synchronized", MIG_FAILED);
	assert_false(f->dst.running);
	assert_false(f->dst.postcopy); /* the discarded copy left nothing behind */
}

static void test_other_orders(void **state)
{
	static const struct {
		const char *what;
		uint16_t type;
		const char *why;
	} after_package[] = {
		{ "a second package", MIG_REC_DEVICE_PACKAGE, "DEVICE_PACKAGE while loaded" },
		{ "a round's end", MIG_REC_ROUND_END, "ROUND_END while loaded" },
		{ "RAM", MIG_REC_RAM, "RAM while loaded" },
		{ "a HELLO", MIG_REC_HELLO, "HELLO while loaded" },
		{ "a RECONNECT", MIG_REC_RECONNECT, "RECONNECT while loaded" },
		{ "a return-path record", MIG_REC_PONG, "PONG while loaded" },
		{ "END", MIG_REC_END, "END while loaded" },
		{ "an unknown record", 0x7777, "unknown while loaded" },
	};
	struct fixture *f = *state;

	for (size_t i = 0; i < sizeof(after_package) / sizeof(after_package[0]); i++) {
		uint32_t zero = 0;

		print_message("  %s after the package\n", after_package[i].what);
		script_serve_dest(&f->p, f->dest);
		send_hello(f, ID);
		send_package(f);
		assert_true(script_send(&f->p, after_package[i].type, 0, &zero, sizeof(zero)));
		refused(f, after_package[i].why, MIG_FAILED);
	}
	/* RAM once the VM runs here with all its memory */
	precopy_to_pong(f);
	send_empty(f, MIG_REC_RUN);
	assert_true(script_expect(&f->p, MIG_REC_VM_STARTED));
	send_ram(f, 1);
	refused(f, "RAM while running the VM", MIG_COMPLETED);
}

/* --- a discarded copy leaves a clean board ----------------------------------------------- */

/*
 * Postcopy cancelled after PONG, then a precopy into the same board: it
 * must run with all its memory mapped (a board left in postcopy would
 * stall the guest on pages nobody sends).
 */
static void test_cancelled_postcopy_then_precopy(void **state)
{
	struct fixture *f = *state;
	struct mig_source_config cfg = {
		.hello = fake_vm_hello(PAGES),
		.precopy = { .downtime_limit_ns = 20000000, .max_rounds = 10 },
		.reply_timeout_ms = 2000,
	};
	struct mig_source *s;
	enum mig_state dst_state;
	pthread_t toucher;

	postcopy_to_pong(f);
	send_empty(f, MIG_REC_CANCEL);
	assert_int_equal(script_end(&f->p), MIG_CANCELLED);
	assert_false(f->dst.postcopy);

	cfg.hello.migration_id = ID + 1;
	s = mig_source_new(&f->svm, &cfg);
	assert_non_null(s);
	f->dst.toucher = true;
	pthread_create(&toucher, NULL, fake_vm_workload, &f->dst);
	assert_int_equal(fake_vm_link(s, f->dest, false, &dst_state), MIG_COMPLETED);
	assert_int_equal(dst_state, MIG_COMPLETED);
	/* Let the guest touch its memory a while (it stalls on a missing page, if any). */
	for (int i = 0; i < 2000 && __atomic_load_n(&f->dst.touches, __ATOMIC_RELAXED) < 200; i++)
		usleep(1000);
	fake_vm_end_workload(&f->dst);
	pthread_join(toucher, NULL);
	assert_true(f->dst.running);
	assert_true(f->dst.touches > 0);
	assert_int_equal(f->dst.stalls, 0); /* no page was missing */
	assert_memory_equal(f->src.ram, f->dst.ram, PAGES * 4096);
	mig_source_free(s);
}

/* Unmapping the missing pages can fail: before PONG, so the source resumes. */
static void test_postcopy_begin_failure_is_an_error_before_pong(void **state)
{
	struct fixture *f = *state;

	f->dst.fail_postcopy_begin = true;
	script_serve_dest(&f->p, f->dest);
	send_hello(f, ID);
	send_u32(f, MIG_REC_ROUND_END, 0, 0);
	send_discard_all(f);
	send_package(f);
	send_u32(f, MIG_REC_PING, 0, MIG_PING_PACKAGE_LOADED);
	refused(f, "injected postcopy failure", MIG_FAILED);
	assert_false(mig_dest_in_doubt(f->dest)); /* nothing was acknowledged */
}

/* A precopy's PING before every page came: a page would keep older contents. */
static void test_ping_with_ram_missing(void **state)
{
	struct fixture *f = *state;

	script_serve_dest(&f->p, f->dest);
	send_hello(f, ID);
	send_ram(f, PAGES - 1);
	send_package(f);
	send_u32(f, MIG_REC_PING, 0, MIG_PING_PACKAGE_LOADED);
	refused(f, "PING with 1 pages of RAM never sent", MIG_FAILED);
}

/*
 * Postcopy finished (POSTCOPY_DONE answered), then END is lost: the VM is
 * whole here, not paused, and cannot be declared lost.
 */
static void test_whole_postcopy_is_not_paused(void **state)
{
	struct fixture *f = *state;
	char err[160];

	postcopy_to_pong(f);
	send_empty(f, MIG_REC_RUN);
	assert_true(script_expect(&f->p, MIG_REC_VM_STARTED));
	send_ram(f, PAGES);
	send_u32(f, MIG_REC_PING, 0, MIG_PING_POSTCOPY_DONE);
	assert_true(script_expect(&f->p, MIG_REC_PONG));
	assert_int_equal(script_end(&f->p), MIG_COMPLETED); /* the link ends before END */
	assert_false(mig_dest_declare_lost(f->dest, err, sizeof(err)));
	assert_true(f->dst.running);
}

/* --- the migration id (destination) -------------------------------------------------------- */

/** RECONNECT about `id`: the STATUS's flags, its id and state. */
static uint16_t ask(struct fixture *f, uint64_t id, uint64_t *their_id, enum mig_state *st)
{
	struct mig_reader r;

	script_serve_dest(&f->p, f->dest);
	assert_true(script_send(&f->p, MIG_REC_RECONNECT, 0, &id, sizeof(id)));
	assert_true(script_expect(&f->p, MIG_REC_STATUS));
	assert_int_equal(f->p.rec.length, MIG_STATUS_BYTES);
	r = f->p.rec.payload;
	*their_id = mig_get_u64(&r);
	*st = (enum mig_state)mig_get_u8(&r);
	script_end(&f->p);
	return f->p.rec.flags;
}

static void test_status_speaks_of_one_migration(void **state)
{
	struct fixture *f = *state;
	enum mig_state st;
	uint64_t id;

	/* A board that holds no migration (it restarted) vouches for nothing. */
	assert_int_equal(ask(f, ID, &id, &st), MIG_FLAG_UNKNOWN_MIGRATION);
	assert_int_equal(id, 0);
	/* The link breaks after PONG: the copy is discarded, the source may be waiting. */
	precopy_to_pong(f);
	assert_int_equal(script_end(&f->p), MIG_FAILED);
	assert_true(mig_dest_in_doubt(f->dest));
	/* Another migration's id: unknown. */
	assert_int_equal(ask(f, ID ^ 1, &id, &st), MIG_FLAG_UNKNOWN_MIGRATION);
	assert_int_equal(id, ID);
	assert_true(mig_dest_in_doubt(f->dest));
	/* A HELLO that is refused changes nothing: the source in doubt is still answered. */
	script_serve_dest(&f->p, f->dest);
	{
		struct mig_hello h = fake_vm_hello(PAGES);

		h.migration_id = 0;
		assert_true(script_send(&f->p, MIG_REC_HELLO, 0, f->buf,
					script_hello(f->buf, sizeof(f->buf), &h)));
		assert_true(script_expect(&f->p, MIG_REC_REFUSE));
	}
	script_end(&f->p);
	assert_true(mig_dest_in_doubt(f->dest));
	/* Its own: failed, and now the source knows. */
	assert_int_equal(ask(f, ID, &id, &st), 0);
	assert_int_equal(st, MIG_FAILED);
	assert_false(mig_dest_in_doubt(f->dest));
	/* A RECONNECT without an id is malformed. */
	script_serve_dest(&f->p, f->dest);
	send_empty(f, MIG_REC_RECONNECT);
	assert_true(script_expect(&f->p, MIG_REC_ERROR));
	assert_string_equal(f->p.text, "malformed RECONNECT");
	script_end(&f->p);
}

/* --- the source against a lying destination ---------------------------------------------- */

static struct mig_source *new_source_with(struct fixture *f, enum mig_mode mode,
					  enum mig_switchover switchover)
{
	struct mig_source_config cfg = {
		.hello = fake_vm_hello(PAGES),
		.precopy = { .downtime_limit_ns = 1000000000, .max_rounds = 10 },
		.reply_timeout_ms = 2000,
		.mode = mode,
		.switchover = switchover,
	};
	struct mig_source *s = mig_source_new(&f->svm, &cfg);

	assert_non_null(s);
	return s;
}

static struct mig_source *new_source(struct fixture *f, enum mig_mode mode)
{
	return new_source_with(f, mode, MIG_SWITCHOVER_ONE_FLIGHT);
}

/** The script as a destination: HELLO accepted (no switchover approval), up to RUN. */
static void dest_script_to_run(struct fixture *f, uint32_t caps)
{
	uint32_t ping = MIG_PING_PACKAGE_LOADED;

	assert_true(script_expect(&f->p, MIG_REC_HELLO));
	send_accept(f, caps, 100000, MIG_ACCEPT_BYTES);
	assert_true(script_expect(&f->p, MIG_REC_DEVICE_PACKAGE));
	assert_true(script_expect(&f->p, MIG_REC_PING));
	assert_true(script_send(&f->p, MIG_REC_PONG, 0, &ping, sizeof(ping)));
	assert_true(script_expect(&f->p, MIG_REC_RUN));
}

/** Answers the source's RECONNECT (checking it names the migration) with a STATUS. */
static void status(struct fixture *f, struct mig_source *s, uint64_t id, enum mig_state st,
		   uint16_t flags, uint32_t len)
{
	uint8_t payload[MIG_STATUS_BYTES] = { 0 };
	struct mig_writer w;
	struct mig_reader r;

	script_run_source(&f->p, s, true);
	assert_true(script_expect(&f->p, MIG_REC_RECONNECT));
	assert_int_equal(f->p.rec.length, 8);
	r = f->p.rec.payload;
	assert_int_equal(mig_get_u64(&r), ID);
	mig_writer_init(&w, payload, sizeof(payload));
	mig_put_u64(&w, id);
	mig_put_u8(&w, (uint8_t)st);
	assert_true(script_send(&f->p, MIG_REC_STATUS, flags, payload, len));
}

static void test_source_never_trusts_a_malformed_answer(void **state)
{
	struct fixture *f = *state;
	struct mig_source *s = new_source(f, MIG_MODE_PRECOPY);
	uint8_t short_stamps[8] = { 0 };

	script_run_source(&f->p, s, false);
	dest_script_to_run(f, MIG_CAP_ZERO_PAGES | MIG_CAP_VM_STARTED);
	/* VM_STARTED too short: it proves nothing, the source must ask. */
	assert_true(script_send(&f->p, MIG_REC_VM_STARTED, 0, short_stamps, sizeof(short_stamps)));
	assert_int_equal(script_end(&f->p), MIG_UNRESOLVED);
	assert_string_equal(mig_source_report(s)->error,
			    "malformed VM_STARTED after RUN: the VM stays stopped until resolved");
	assert_false(f->src.running);
	/* A short STATUS: still unresolved. */
	status(f, s, ID, MIG_COMPLETED, 0, 9);
	assert_int_equal(script_end(&f->p), MIG_UNRESOLVED);
	assert_string_equal(mig_source_report(s)->error, "malformed STATUS from the destination");
	/* A STATUS about another migration (a restarted board): it cannot know. */
	status(f, s, 42, MIG_SETUP, 0, MIG_STATUS_BYTES);
	assert_int_equal(script_end(&f->p), MIG_UNRESOLVED);
	assert_non_null(strstr(mig_source_report(s)->error,
			       "the destination does not know this migration"));
	status(f, s, ID, MIG_SETUP, MIG_FLAG_UNKNOWN_MIGRATION, MIG_STATUS_BYTES);
	assert_int_equal(script_end(&f->p), MIG_UNRESOLVED);
	assert_false(f->src.running);
	/* The destination that ran it says so: completed, never resumed here. */
	status(f, s, ID, MIG_COMPLETED, 0, MIG_STATUS_BYTES);
	assert_true(script_expect(&f->p, MIG_REC_END));
	assert_int_equal(script_end(&f->p), MIG_COMPLETED);
	assert_false(f->src.running);
	mig_source_free(s);
}

/*
 * A destination that keeps sending approvals after the stop cannot hold the
 * source stopped: one approval is all there is, before the stop.
 */
static void test_approval_trickle_is_refused(void **state)
{
	struct fixture *f = *state;
	struct mig_source *s = new_source_with(f, MIG_MODE_PRECOPY, MIG_SWITCHOVER_CONFIRMED);
	uint32_t caps = MIG_CAP_ZERO_PAGES | MIG_CAP_VM_STARTED;

	script_run_source(&f->p, s, false);
	assert_true(script_expect(&f->p, MIG_REC_HELLO));
	send_accept(f, caps, 100000, MIG_ACCEPT_BYTES);
	assert_true(script_expect(&f->p, MIG_REC_DEVICE_PACKAGE));
	assert_true(script_expect(&f->p, MIG_REC_PING));
	send_empty(f, MIG_REC_SWITCHOVER_ACK); /* after the stop: refused at once */
	assert_int_equal(script_end(&f->p), MIG_FAILED);
	assert_non_null(strstr(mig_source_report(s)->error, "unexpected SWITCHOVER_ACK"));
	assert_true(f->src.running); /* resumed at once, not held */
	mig_source_free(s);
}

/*
 * One flight: RUN leaves with the package. A destination that refuses
 * (ERROR before PONG) never started, so the VM resumes here; one that goes
 * silent may have started, so the source stays unresolved and asks.
 */
static void test_one_flight_outcomes(void **state)
{
	struct fixture *f = *state;
	uint32_t caps = MIG_CAP_ZERO_PAGES | MIG_CAP_VM_STARTED;
	uint8_t why[] = { 7, 'n', 'o', ' ', 'w', 'a', 'y', '!' };

	for (int silent = 0; silent <= 1; silent++) {
		struct mig_source *s = new_source(f, MIG_MODE_PRECOPY);

		f->src.running = true;
		script_run_source(&f->p, s, false);
		assert_true(script_expect(&f->p, MIG_REC_HELLO));
		send_accept(f, caps, 100000, MIG_ACCEPT_BYTES);
		assert_true(script_expect(&f->p, MIG_REC_DEVICE_PACKAGE));
		assert_true(script_expect(&f->p, MIG_REC_PING));
		assert_true(script_expect(&f->p, MIG_REC_RUN)); /* before any PONG */
		if (!silent)
			assert_true(script_send(&f->p, MIG_REC_ERROR, 0, why, sizeof(why)));
		if (silent) {
			assert_int_equal(script_end(&f->p), MIG_UNRESOLVED);
			assert_false(f->src.running);
		} else {
			assert_int_equal(script_end(&f->p), MIG_FAILED);
			assert_true(f->src.running);
			assert_non_null(
				strstr(mig_source_report(s)->error, "destination: no way!"));
		}
		mig_source_free(s);
	}
}

/*
 * ACCEPT carries the destination's switchover cost, which the source's
 * admission adds to every prediction: a short or long ACCEPT, or a cost no
 * rehearsal measures, is refused before anything is sent.
 */
static void test_source_refuses_a_malformed_accept(void **state)
{
	struct fixture *f = *state;
	static const struct {
		uint64_t cost_ns;
		uint32_t len;
	} bad[] = {
		{ 1000, 4 },
		{ 1000, MIG_ACCEPT_BYTES + 1 },
		{ MIG_SWITCHOVER_COST_MAX_NS + 1, MIG_ACCEPT_BYTES },
		{ UINT64_MAX, MIG_ACCEPT_BYTES },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct mig_source *s = new_source(f, MIG_MODE_PRECOPY);

		f->src.running = true;
		script_run_source(&f->p, s, false);
		assert_true(script_expect(&f->p, MIG_REC_HELLO));
		send_accept(f, MIG_CAP_ZERO_PAGES, bad[i].cost_ns, bad[i].len);
		assert_int_equal(script_end(&f->p), MIG_FAILED);
		assert_string_equal(mig_source_report(s)->error,
				    "malformed ACCEPT: nothing was sent, the VM runs on here");
		assert_true(f->src.running);
		mig_source_free(s);
	}
}

/*
 * DRY_RUN_DONE sets the fixed cost the stop is admitted on: one of the
 * wrong size, for another DRY_RUN, or with a cost no run measures, or (with
 * MIG_CAP_DRY_RUN_ENTRY) an entry stamp outside the trip on the measured
 * clock, fails the migration before the stop, whichever of the dry runs it
 * answers; the VM runs on here.
 */
static void test_source_refuses_a_malformed_dry_run_done(void **state)
{
	struct fixture *f = *state;
	static const struct {
		uint64_t cost_ns;
		uint32_t len;
		bool other_echo, entry;
		uint64_t entered;
	} bad[] = {
		{ 1000, MIG_DRY_RUN_DONE_BYTES - 1, false, false, 0 },
		{ 1000, MIG_DRY_RUN_DONE_BYTES + 1, false, false, 0 },
		{ 1000, MIG_DRY_RUN_DONE_BYTES, true, false, 0 },
		{ MIG_SWITCHOVER_COST_MAX_NS + 1, MIG_DRY_RUN_DONE_BYTES, false, false, 0 },
		{ UINT64_MAX, MIG_DRY_RUN_DONE_BYTES, false, false, 0 },
		/* the entry agreed: its stamp must be there, and within the trip */
		{ 1000, MIG_DRY_RUN_DONE_BYTES, false, true, 0 },
		{ 1000, MIG_DRY_RUN_DONE_ENTRY_BYTES, false, true, 1 },
		{ 1000, MIG_DRY_RUN_DONE_ENTRY_BYTES, false, true, UINT64_MAX },
	};

	/* Each answer wrong, after as many right ones as the dry runs before it. */
	for (size_t n = 0; n < sizeof(bad) / sizeof(bad[0]) * MIG_DRY_RUNS; n++) {
		size_t i = n / MIG_DRY_RUNS;
		unsigned good = (unsigned)(n % MIG_DRY_RUNS);
		struct mig_source *s = new_source(f, MIG_MODE_PRECOPY);

		f->src.running = true;
		script_run_source(&f->p, s, false);
		assert_true(script_expect(&f->p, MIG_REC_HELLO));
		send_accept(f,
			    MIG_CAP_ZERO_PAGES | MIG_CAP_VM_STARTED | MIG_CAP_DRY_RUN |
				    (bad[i].entry ? MIG_CAP_DRY_RUN_ENTRY : 0),
			    100000, MIG_ACCEPT_BYTES);
		for (unsigned k = 0; k <= good; k++) {
			uint8_t done[MIG_DRY_RUN_DONE_ENTRY_BYTES] = { 0 };
			bool wrong = k == good;
			struct mig_writer w;
			struct mig_reader r;
			uint64_t echo;

			assert_true(script_expect(&f->p, MIG_REC_DRY_RUN));
			/* As large as the package, so that the link carries as much as at the stop.
			 */
			assert_true(f->p.rec.length >= 4096);
			r = f->p.rec.payload;
			echo = mig_get_u64(&r) + (wrong && bad[i].other_echo ? 1 : 0);
			mig_writer_init(&w, done, sizeof(done));
			mig_put_u64(&w, echo);
			mig_put_u64(&w, wrong ? bad[i].cost_ns : 1000);
			mig_put_u64(&w, wrong ? bad[i].entered : 0);
			assert_true(script_send(&f->p, MIG_REC_DRY_RUN_DONE, 0, done,
						wrong	       ? bad[i].len
						: bad[i].entry ? MIG_DRY_RUN_DONE_ENTRY_BYTES
							       : MIG_DRY_RUN_DONE_BYTES));
		}
		assert_int_equal(script_end(&f->p), MIG_FAILED);
		assert_string_equal(mig_source_report(s)->error,
				    "malformed DRY_RUN_DONE: the VM runs on here");
		assert_true(f->src.running);
		assert_int_equal(f->src.dry_runs, good + 1);
		f->src.dry_runs = 0;
		mig_source_free(s);
	}
}

/*
 * The destination runs its switchover's work on its own stand-in for a
 * DRY_RUN (never anything the source sent) and answers at once; only when
 * agreed, and only a DRY_RUN long enough to say what it answers.
 */
static void test_dry_run_on_the_destination(void **state)
{
	struct fixture *f = *state;
	struct mig_hello h = fake_vm_hello(PAGES);
	uint8_t run[4096] = { 0 };
	struct mig_writer w;
	struct mig_reader r;

	mig_writer_init(&w, run, sizeof(run));
	mig_put_u64(&w, 0x1234);
	script_serve_dest(&f->p, f->dest);
	send_hello(f, ID);
	assert_true(script_send(&f->p, MIG_REC_DRY_RUN, 0, run, sizeof(run)));
	assert_true(script_expect(&f->p, MIG_REC_DRY_RUN_DONE));
	/* The entry's stamp too (agreed by fake_vm_hello): the destination's clock. */
	assert_int_equal(f->p.rec.length, MIG_DRY_RUN_DONE_ENTRY_BYTES);
	r = f->p.rec.payload;
	assert_int_equal(mig_get_u64(&r), 0x1234);
	assert_int_equal(mig_get_u64(&r), FAKE_DEST_SWITCHOVER_NS);
	assert_true(mig_get_u64(&r) > 0);
	assert_int_equal(f->dst.dry_runs, 1);
	assert_false(f->dst.running);
	assert_true(script_send(&f->p, MIG_REC_DRY_RUN, 0, run, 7));
	refused(f, "malformed DRY_RUN", MIG_FAILED);

	/* A source that did not agree to it. */
	script_serve_dest(&f->p, f->dest);
	h.migration_id = ID + 1;
	h.capabilities &= ~(uint32_t)MIG_CAP_DRY_RUN;
	assert_true(script_send(&f->p, MIG_REC_HELLO, 0, f->buf,
				script_hello(f->buf, sizeof(f->buf), &h)));
	assert_true(script_expect(&f->p, MIG_REC_ACCEPT));
	assert_true(script_send(&f->p, MIG_REC_DRY_RUN, 0, run, sizeof(run)));
	refused(f, "DRY_RUN was not agreed", MIG_FAILED);
	assert_int_equal(f->dst.dry_runs, 1);
}

/* The destination's reason reaches consoles: its control characters must not. */
static void test_refusal_text_is_escaped(void **state)
{
	struct fixture *f = *state;
	struct mig_source *s = new_source(f, MIG_MODE_PRECOPY);
	uint8_t why[] = { 9, 'n', 'o', 0x1b, '[', '2', 'J', '\r', '\n', 'x' };

	script_run_source(&f->p, s, false);
	assert_true(script_expect(&f->p, MIG_REC_HELLO));
	assert_true(script_send(&f->p, MIG_REC_REFUSE, 0, why, sizeof(why)));
	assert_int_equal(script_end(&f->p), MIG_FAILED);
	assert_string_equal(mig_source_report(s)->error, "refused by the destination: no?[2J??x");
	assert_true(f->src.running);
	mig_source_free(s);
}

/* Postcopy: a destination that ran the VM and no longer does has lost it. */
static void test_postcopy_lost_is_not_failed(void **state)
{
	struct fixture *f = *state;
	struct mig_source *s = new_source(f, MIG_MODE_POSTCOPY);
	uint8_t stamps[MIG_VM_STARTED_BYTES] = { 0 };

	memset(f->src.ram, 0x33, PAGES * 4096); /* more than the socket holds: pages stay behind */
	script_run_source(&f->p, s, false);
	dest_script_to_run(f, MIG_CAP_ZERO_PAGES | MIG_CAP_VM_STARTED | MIG_CAP_POSTCOPY);
	assert_true(script_send(&f->p, MIG_REC_VM_STARTED, 0, stamps, sizeof(stamps)));
	assert_true(script_expect(&f->p, MIG_REC_RAM)); /* the push began: then the link breaks */
	assert_int_equal(script_end(&f->p), MIG_POSTCOPY_PAUSED);
	status(f, s, ID, MIG_FAILED, 0, MIG_STATUS_BYTES);
	assert_int_equal(script_end(&f->p), MIG_LOST);
	assert_false(f->src.running); /* a stale copy: it must never run */
	assert_true(mig_source_report(s)->pages_lost > 0);
	assert_non_null(strstr(mig_source_report(s)->error, "the VM is lost"));
	mig_source_free(s);
}

/* PONG(POSTCOPY_DONE) without the guest's stalls proves nothing: paused, never completed. */
static void test_postcopy_done_without_its_stalls(void **state)
{
	struct fixture *f = *state;
	struct mig_source *s = new_source(f, MIG_MODE_POSTCOPY);
	uint8_t stamps[MIG_VM_STARTED_BYTES] = { 0 };
	uint32_t done = MIG_PING_POSTCOPY_DONE;

	script_run_source(&f->p, s, false);
	dest_script_to_run(f, MIG_CAP_ZERO_PAGES | MIG_CAP_VM_STARTED | MIG_CAP_POSTCOPY);
	assert_true(script_send(&f->p, MIG_REC_VM_STARTED, 0, stamps, sizeof(stamps)));
	assert_true(script_expect(&f->p, MIG_REC_PING)); /* every page pushed */
	assert_true(script_send(&f->p, MIG_REC_PONG, 0, &done, sizeof(done)));
	assert_int_equal(script_end(&f->p), MIG_POSTCOPY_PAUSED);
	assert_false(f->src.running);
	assert_int_equal(mig_source_report(s)->faults_served, 0);
	mig_source_free(s);
}

/* The operator's word, where the boards cannot agree. */
static void test_operator_verdicts(void **state)
{
	struct fixture *f = *state;
	uint8_t short_stamps[8] = { 0 };
	char err[160];

	for (int v = MIG_VERDICT_SOURCE; v <= MIG_VERDICT_DESTINATION; v++) {
		struct mig_source *s = new_source(f, MIG_MODE_PRECOPY);

		f->src.running = true;
		script_run_source(&f->p, s, false);
		dest_script_to_run(f, MIG_CAP_ZERO_PAGES | MIG_CAP_VM_STARTED);
		script_send(&f->p, MIG_REC_VM_STARTED, 0, short_stamps, sizeof(short_stamps));
		assert_int_equal(script_end(&f->p), MIG_UNRESOLVED);
		assert_false(mig_source_resolve(s, MIG_VERDICT_LOST, err, sizeof(err)));
		assert_string_equal(err,
				    "'lost' cannot be decided while the migration is unresolved");
		assert_true(mig_source_resolve(s, (enum mig_verdict)v, err, sizeof(err)));
		if (v == MIG_VERDICT_SOURCE) {
			assert_int_equal(mig_source_report(s)->state, MIG_FAILED);
			assert_true(f->src.running);
		} else {
			assert_int_equal(mig_source_report(s)->state, MIG_COMPLETED);
			assert_false(f->src.running);
		}
		/* Decided: no second verdict. */
		assert_false(mig_source_resolve(s, MIG_VERDICT_SOURCE, err, sizeof(err)));
		mig_source_free(s);
	}
	/* The destination: only a paused postcopy can be declared lost. */
	assert_false(mig_dest_declare_lost(f->dest, err, sizeof(err)));
	assert_string_equal(err, "only a paused postcopy still missing pages can be declared lost "
				 "(the migration is setup, 128 pages missing)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ping_before_the_package, setup, teardown),
		cmocka_unit_test_setup_teardown(test_owed_pong_dies_with_its_link, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_records_behind_a_ping, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_before_the_acknowledgement, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_ping_after_run_does_not_resync, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_frames_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_frames_zero_length, setup, teardown),
		cmocka_unit_test_setup_teardown(test_frames_too_long, setup, teardown),
		cmocka_unit_test_setup_teardown(test_frames_past_the_end, setup, teardown),
		cmocka_unit_test_setup_teardown(test_frames_after_the_last, setup, teardown),
		cmocka_unit_test_setup_teardown(test_frames_without_a_network_device, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_frames_before_run, setup, teardown),
		cmocka_unit_test_setup_teardown(test_discard_after_ping, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ram_between_ping_and_run, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_orders, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancelled_postcopy_then_precopy, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_postcopy_begin_failure_is_an_error_before_pong,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_ping_with_ram_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_whole_postcopy_is_not_paused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status_speaks_of_one_migration, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_approval_trickle_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_flight_outcomes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_source_never_trusts_a_malformed_answer, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_postcopy_done_without_its_stalls, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_source_refuses_a_malformed_accept, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_source_refuses_a_malformed_dry_run_done, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_dry_run_on_the_destination, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusal_text_is_escaped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_postcopy_lost_is_not_failed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_operator_verdicts, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
