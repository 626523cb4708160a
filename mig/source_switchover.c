/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The source's switchover (design section 5, shared/seeds): stop, send
 * what is left (precopy) or what is missing (postcopy) and the device
 * package, PING(PACKAGE_LOADED); only the destination's PONG, sent after it
 * loaded *and* synchronized the state, lets RUN go. Before RUN every
 * failure resumes the VM here; after it the VM is never resumed here.
 */
#include <string.h>

#include "lib/format.h"
#include "mig/page_sets.h"
#include "mig/source_internal.h"

static int send_discard(struct mig_source *s)
{
	uint64_t words = mig_bitmap_words(s->pages), next = 0;

	do {
		struct mig_writer w;

		mig_writer_init(&w, s->buf, MIG_RECORD_MAX);
		next = mig_bitmap_chunk_put(&w, s->bitmap, words, next);
		if (mig_chan_send(s->ch, MIG_REC_POSTCOPY_DISCARD,
				  next == words ? MIG_FLAG_LAST : 0, w.buf, (uint32_t)w.len))
			return -1;
		s->rep.bytes_sent += w.len + MIG_RECORD_HEADER_SIZE;
	} while (next < words);
	return 0;
}

static enum mig_state resume_here(struct mig_source *s)
{
	/* Best effort: a destination that acknowledged is then not left in doubt. */
	mig_chan_send(s->ch, MIG_REC_CANCEL, 0, NULL, 0);
	s->ops->dirty_stop(s->vm->ctx);
	s->ops->resume(s->vm->ctx);
	/* The destination may have said why before it hung up. */
	if (!s->rep.error[0])
		mig_source_serve_return_path(s);
	if (!s->rep.error[0])
		format_snprintf(s->rep.error, sizeof(s->rep.error),
				"the destination did not confirm the device state");
	format_snprintf(s->rep.error + strlen(s->rep.error),
			sizeof(s->rep.error) - strlen(s->rep.error), ": the VM resumed here");
	return s->rep.state = MIG_FAILED;
}

static enum mig_state unresolved(struct mig_source *s, const char *why)
{
	s->ops->dirty_stop(s->vm->ctx);
	format_snprintf(s->rep.error, sizeof(s->rep.error),
			"%s: the VM stays stopped until resolved", why);
	return s->rep.state = MIG_UNRESOLVED;
}

/**
 * Stops the VM and sends what is left of its RAM (or, in postcopy, what is
 * missing). The last RAM record stays laid out at the start of s->buf
 * (what it holds in s->held) to go in the package's send: one TLS
 * record and one push less in the downtime.
 */
static int stop_and_send_pages(struct mig_source *s)
{
	const struct mig_vm_ops *ops = s->ops;

	ops->stop(s->vm->ctx); /* the downtime starts */
	s->t_stop = ops->now_ns(s->vm->ctx);
	s->rep.state = s->cfg.mode == MIG_MODE_POSTCOPY ? MIG_POSTCOPY_DEVICE : MIG_DEVICE;
	s->peer_error = false;
	/* Logging ends after the downtime: the VM is stopped and may never run here again. */
	ops->dirty_collect(s->vm->ctx, s->bitmap);
	s->held = (struct mig_laid_out){ 0 };
	s->rep.stop_pages = 0;
	if (s->cfg.mode == MIG_MODE_POSTCOPY) {
		/* The destination takes whole pages from here on (and drops what it has). */
		s->deltas = false;
		return send_discard(s);
	}
	mig_source_rewind(s);
	while (mig_source_lay_out_batch(s, s->buf, MIG_BATCH_FULL, &s->held) &&
	       s->cursor < s->pages) {
		/* More than a batch left: this one goes on its own. */
		if (mig_chan_send_laid_out(s->ch, s->buf, s->held.bytes))
			return -1;
		mig_source_count_sent(s, &s->held);
		s->rep.stop_pages += s->held.pages;
	}
	s->rep.stop_pages += s->held.pages;
	return 0;
}

/* What follows the package in its send: PING(PACKAGE_LOADED) and, in one flight, RUN. */
#define PACKAGE_TAIL_MAX (2 * MIG_RECORD_HEADER_SIZE + sizeof(uint32_t))

/**
 * The last RAM record (laid out by stop_and_send_pages), the device
 * package and PING(PACKAGE_LOADED), and RUN when `with_run`, laid out back
 * to back in s->buf and sent at once: one push (one TLS record up to 16
 * KiB), so that the destination has each of them as soon as the package
 * (and RUN in hand when it has synchronized). 0; -1 when the link broke;
 * -2 when there was no package to send (nothing left).
 */
static int send_package(struct mig_source *s, bool with_run)
{
	uint32_t ping = MIG_PING_PACKAGE_LOADED;
	size_t room = MIG_RECORD_MAX - s->held.bytes - MIG_RECORD_HEADER_SIZE - PACKAGE_TAIL_MAX;
	uint8_t *p = s->buf + s->held.bytes;
	size_t dev = s->ops->save_devices(s->vm->ctx, s->rep.stream_format,
					  p + MIG_RECORD_HEADER_SIZE, room);
	size_t len;

	s->rep.steps.package_encoded = s->ops->now_ns(s->vm->ctx) - s->t_stop;
	if (!dev)
		return -2;
	mig_chan_header(p, MIG_REC_DEVICE_PACKAGE, 0, (uint32_t)dev);
	len = s->held.bytes + MIG_RECORD_HEADER_SIZE + dev;
	p = s->buf;
	mig_chan_header(p + len, MIG_REC_PING, 0, sizeof(ping));
	memcpy(p + len + MIG_RECORD_HEADER_SIZE, &ping, sizeof(ping));
	len += MIG_RECORD_HEADER_SIZE + sizeof(ping);
	if (with_run) {
		mig_chan_header(p + len, MIG_REC_RUN, 0, 0);
		len += MIG_RECORD_HEADER_SIZE;
	}
	if (mig_chan_send_laid_out(s->ch, p, len))
		return -1;
	mig_source_count_sent(s, &s->held);
	s->rep.bytes_sent += len - s->held.bytes;
	s->rep.steps.package_sent = s->ops->now_ns(s->vm->ctx) - s->t_stop;
	return 0;
}

/**
 * PONG(PACKAGE_LOADED): the destination loaded *and* synchronized the
 * state. With RUN out already (one flight), the guest's frames pass on
 * meanwhile once the destination's announce says the VM runs there.
 */
static int expect_pong(struct mig_source *s, bool run_out)
{
	struct mig_record rec;

	if ((run_out ? mig_source_expect_passing(s, MIG_REC_PONG, &rec)
		     : mig_source_expect(s, MIG_REC_PONG, &rec)) ||
	    mig_get_u32(&rec.payload) != MIG_PING_PACKAGE_LOADED || rec.length != 4)
		return -1;
	s->rep.steps.pong = s->ops->now_ns(s->vm->ctx) - s->t_stop;
	/*
	 * After RUN it follows the start. Before (confirmed), it proves no
	 * start: a RUN lost with the link leaves the VM to resume here.
	 */
	s->runs_there = run_out;
	return 0;
}

static void run_out(struct mig_source *s)
{
	s->rep.state = MIG_UNRESOLVED;
	s->rep.steps.run_sent = s->ops->now_ns(s->vm->ctx) - s->t_stop;
}

/** The commit, unless a cancel came first (decided once, atomically). */
static bool commit(struct mig_source *s)
{
	int open = MIG_CTL_OPEN;

	return __atomic_compare_exchange_n(&s->control, &open, MIG_CTL_COMMITTED, false,
					   __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

/**
 * RUN is out: the VM is the destination's unless it says otherwise. Its
 * VM_STARTED ends the downtime; then postcopy, or the end.
 */
static enum mig_state after_run(struct mig_source *s)
{
	const struct mig_vm_ops *ops = s->ops;
	struct mig_record rec;

	if (mig_source_expect_passing(s, MIG_REC_VM_STARTED, &rec))
		return unresolved(s, "no VM_STARTED after RUN");
	/* Malformed, it proves nothing: asking again over a new link will. */
	if (rec.length != MIG_VM_STARTED_BYTES)
		return unresolved(s, "malformed VM_STARTED after RUN");
	mig_source_take_stamps(s, &rec.payload); /* the downtime ends */
	s->frames_until = ops->now_ns(s->vm->ctx) + MIG_FRAMES_WAIT_NS;
	if (s->cfg.mode == MIG_MODE_POSTCOPY) {
		ops->dirty_stop(s->vm->ctx);
		return mig_source_postcopy_push(s);
	}
	/*
	 * The VM runs there: the frames that came here meanwhile follow it (its
	 * guest's transmissions wait for the last), then the end. Only then is
	 * logging undone: it rewrites all of stage 2 (milliseconds for a large
	 * VM), for a VM that will never run here again.
	 */
	mig_source_pass_frames(s, true);
	mig_chan_send(s->ch, MIG_REC_END, 0, NULL, 0);
	ops->dirty_stop(s->vm->ctx);
	return mig_source_completed(s);
}

/*
 * Confirmed (two steps): the package, then RUN only once PONG says the
 * destination can run it. Every failure before RUN resumes the VM here.
 */
static enum mig_state switchover_confirmed(struct mig_source *s)
{
	if (send_package(s, false) || expect_pong(s, false))
		return resume_here(s);
	if (!commit(s))
		return mig_source_cancelled(s, true);
	if (mig_chan_send(s->ch, MIG_REC_RUN, 0, NULL, 0))
		return unresolved(s, "link lost while sending RUN"); /* it may have arrived */
	run_out(s);
	return after_run(s);
}

/*
 * One flight: the package, PING and RUN in one send; the destination
 * loads, synchronizes, PONGs and starts at once (design section 7). The
 * commit comes before RUN leaves. An ERROR before PONG (the destination
 * refused: it never sends ERROR once synchronized, the only state it
 * starts from, and records stay in order) resumes the VM here; PONG
 * confirms; anything else after RUN may have left is unresolved, and asked
 * (a destination that started may have lost the link before its PONG).
 */
static enum mig_state switchover_one_flight(struct mig_source *s)
{
	if (!commit(s))
		return mig_source_cancelled(s, true);
	switch (send_package(s, true)) {
	case 0:
		break;
	case -2:
		return resume_here(s); /* nothing was sent: RUN cannot be there */
	default:
		return unresolved(s, "link lost while sending the package and RUN");
	}
	run_out(s);
	if (expect_pong(s, true)) {
		if (s->peer_error)
			return resume_here(s); /* refused before PONG: never ran there */
		return unresolved(s, "no PONG after the package and RUN");
	}
	return after_run(s);
}

enum mig_state mig_source_switchover(struct mig_source *s)
{
	if (stop_and_send_pages(s))
		return resume_here(s);
	s->rep.steps.pages_sent = s->ops->now_ns(s->vm->ctx) - s->t_stop;
	return s->cfg.switchover == MIG_SWITCHOVER_CONFIRMED ? switchover_confirmed(s)
							     : switchover_one_flight(s);
}

/*
 * What the switchover rehearses against (mig_source_rehearse_switchover):
 * a VM whose stop, collection and logging do nothing and whose package is
 * a few zero bytes (the board's own save ran in its rehearsal, on the VM's
 * state: mig_vm_ops.rehearse; saving the running VM here would run what a
 * board puts around its save, meant for a stopped VM), and a link that
 * takes every send and is lost at the first read.
 */
static struct mig_source *rehearsed;

static uint64_t mock_now_ns(void *ctx)
{
	(void)ctx;
	return rehearsed->ops->now_ns(rehearsed->vm->ctx);
}

static void mock_nothing(void *ctx) { (void)ctx; }

static void mock_collect(void *ctx, uint64_t *bitmap) { (void)ctx, (void)bitmap; }

/* A stand-in's size: some bytes, as a package has. */
#define MOCK_PACKAGE_BYTES 64u

static size_t mock_save(void *ctx, unsigned format, uint8_t *buf, size_t size)
{
	(void)ctx, (void)format;
	if (size < MOCK_PACKAGE_BYTES)
		return 0;
	memset(buf, 0, MOCK_PACKAGE_BYTES);
	return MOCK_PACKAGE_BYTES;
}

static const struct mig_vm_ops mock_vm = {
	.stop = mock_nothing,
	.resume = mock_nothing,
	.dirty_collect = mock_collect,
	.dirty_stop = mock_nothing,
	.save_devices = mock_save,
	.now_ns = mock_now_ns,
};

void mig_source_rehearse_switchover(struct mig_source *s)
{
	static struct mig_source copy;
	struct mig_vm vm = { &mock_vm, NULL };
	static int lost = MIG_CHAN_BROKEN;
	struct mig_channel link = { &mig_rehearsal_link, &lost };

	rehearsed = s;
	copy = *s;
	copy.vm = &vm;
	copy.ops = &mock_vm;
	copy.ch = &link;
	copy.pages = 0;		/* no page: the real bitmap is never looked at */
	copy.cfg.frames = NULL; /* the guest's frames stay where they are */
	copy.control = MIG_CTL_OPEN;
	(void)mig_source_switchover(&copy);
	rehearsed = NULL;
}
