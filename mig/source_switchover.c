/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The source's switchover (design section 5, shared/seeds): stop, send
 * what is left (precopy) or what is missing (postcopy) and the device
 * package, PING(PACKAGE_LOADED); only the destination's PONG, sent after it
 * loaded *and* synchronized the state, lets RUN go. Before RUN every
 * failure resumes the VM here; after it the VM is never resumed here.
 */
#include <string.h>

#include "hyp/format.h"
#include "mig/page_sets.h"
#include "mig/source_internal.h"

static void copy_peer_error(struct mig_source *s, struct mig_record *rec)
{
	char why[128];

	mig_get_text(&rec->payload, why, sizeof(why));
	format_snprintf(s->rep.error, sizeof(s->rep.error), "destination: %s", why);
}

/**
 * Pages the destination's vCPUs wait for go first; one already sent is not
 * sent twice. The background push then goes on from behind the last one:
 * a guest that reads memory in order finds the push a step ahead of it
 * instead of faulting on every few pages (the pages skipped are sent once
 * the push wraps around).
 */
static int serve_page_request(struct mig_source *s, struct mig_record *rec)
{
	uint64_t pages[MIG_PAGE_LIST_MAX];
	int n = mig_page_list_get(&rec->payload, pages, s->pages, s->rep.error,
				  sizeof(s->rep.error));

	for (int i = 0; i < n; i++) {
		if (!mig_bit_test(s->bitmap, pages[i]))
			continue;
		s->cursor = pages[i];
		if (mig_source_send_batch(s, MIG_REQUEST_PREFETCH) < 0) {
			n = -1;
			break;
		}
		s->rep.pages_requested++;
	}
	return n < 0 ? -1 : 0;
}

/** A return-path record nobody waits for in particular; 0, or -1 to end the link. */
static int serve_record(struct mig_source *s, struct mig_record *rec)
{
	switch (rec->type) {
	case MIG_REC_SWITCHOVER_ACK:
		/* Once, and only while the VM still runs here: it approves a stop. */
		if (s->switchover_acked || s->rep.state != MIG_ACTIVE)
			break;
		s->switchover_acked = true;
		return 0;
	case MIG_REC_REQ_PAGES:
		if (s->rep.state == MIG_POSTCOPY_ACTIVE)
			return serve_page_request(s, rec);
		break;
	case MIG_REC_ERROR:
		copy_peer_error(s, rec);
		return -1;
	default:
		break;
	}
	format_snprintf(s->rep.error, sizeof(s->rep.error), "unexpected %s on the return path",
			mig_record_name(rec->type));
	return -1;
}

int mig_source_serve_return_path(struct mig_source *s)
{
	for (;;) {
		struct mig_record rec;
		int ready = mig_chan_ready(s->ch, 0);

		if (ready <= 0)
			return ready;
		if (mig_chan_recv(s->ch, s->rbuf, &rec, s->cfg.reply_timeout_ms) ||
		    serve_record(s, &rec))
			return -1;
	}
}

int mig_source_expect(struct mig_source *s, uint16_t want, struct mig_record *rec)
{
	/*
	 * One deadline for the whole wait: a peer that keeps sending other
	 * records (legal or not) cannot hold the source in it for longer.
	 */
	uint64_t deadline = s->ops->now_ns(s->vm->ctx) + s->cfg.reply_timeout_ms * 1000000ull;

	for (;;) {
		uint64_t now = s->ops->now_ns(s->vm->ctx);
		int err;

		if (now >= deadline)
			return MIG_CHAN_TIMEOUT;
		err = mig_chan_recv(s->ch, s->rbuf, rec,
				    (unsigned)((deadline - now) / 1000000u) + 1);
		if (err)
			return err;
		if (rec->type == want)
			return 0;
		if (serve_record(s, rec))
			return MIG_CHAN_BAD;
	}
}

/** Tells the destination which pages it must fetch later (POSTCOPY_DISCARD chunks). */
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

enum mig_state mig_source_switchover(struct mig_source *s)
{
	const struct mig_vm_ops *ops = s->ops;
	bool postcopy = s->cfg.mode == MIG_MODE_POSTCOPY;
	uint32_t ping = MIG_PING_PACKAGE_LOADED;
	int open = MIG_CTL_OPEN;
	struct mig_record rec;
	size_t dev;

	ops->stop(s->vm->ctx); /* the downtime starts */
	s->t_stop = ops->now_ns(s->vm->ctx);
	s->rep.state = postcopy ? MIG_POSTCOPY_DEVICE : MIG_DEVICE;
	/* Logging ends after the downtime: the VM is stopped and may never run here again. */
	ops->dirty_collect(s->vm->ctx, s->bitmap);
	if (postcopy) {
		if (send_discard(s))
			return resume_here(s);
	} else {
		int64_t n;

		s->cursor = 0;
		while ((n = mig_source_send_batch(s, MIG_BATCH_FULL)) > 0)
			;
		if (n < 0)
			return resume_here(s);
	}
	s->rep.stop_pages_ns = ops->now_ns(s->vm->ctx) - s->t_stop;
	dev = ops->save_devices(s->vm->ctx, s->buf, MIG_RECORD_MAX);
	if (!dev || mig_chan_send(s->ch, MIG_REC_DEVICE_PACKAGE, 0, s->buf, (uint32_t)dev) ||
	    mig_chan_send(s->ch, MIG_REC_PING, 0, &ping, sizeof(ping)))
		return resume_here(s);
	s->rep.bytes_sent += dev + MIG_RECORD_HEADER_SIZE;
	s->rep.stop_package_ns = ops->now_ns(s->vm->ctx) - s->t_stop;
	/* PONG(PACKAGE_LOADED): the destination loaded *and* synchronized the state. */
	if (mig_source_expect(s, MIG_REC_PONG, &rec) || mig_get_u32(&rec.payload) != ping)
		return resume_here(s);
	s->rep.stop_pong_ns = ops->now_ns(s->vm->ctx) - s->t_stop;
	/* Commit, unless a cancel came first. */
	if (!__atomic_compare_exchange_n(&s->control, &open, MIG_CTL_COMMITTED, false,
					 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		return mig_source_cancelled(s, true);
	if (mig_chan_send(s->ch, MIG_REC_RUN, 0, NULL, 0))
		return unresolved(s, "link lost while sending RUN"); /* it may have arrived */
	s->rep.state = MIG_UNRESOLVED;
	s->rep.stop_run_ns = ops->now_ns(s->vm->ctx) - s->t_stop;
	if (mig_source_expect(s, MIG_REC_VM_STARTED, &rec))
		return unresolved(s, "no VM_STARTED after RUN");
	/* Malformed, it proves nothing: asking again over a new link will. */
	if (rec.length != MIG_VM_STARTED_BYTES)
		return unresolved(s, "malformed VM_STARTED after RUN");
	s->rep.downtime_ns = ops->now_ns(s->vm->ctx) - s->t_stop; /* the downtime ends */
	ops->dirty_stop(s->vm->ctx);
	mig_source_take_stamps(s, &rec.payload);
	if (postcopy)
		return mig_source_postcopy_push(s);
	mig_chan_send(s->ch, MIG_REC_END, 0, NULL, 0);
	s->rep.total_ns = ops->now_ns(s->vm->ctx) - s->t_start;
	s->rep.error[0] = 0;
	s->rep.state = MIG_COMPLETED;
	mig_source_progress(s);
	return MIG_COMPLETED;
}
