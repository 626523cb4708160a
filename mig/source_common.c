/* SPDX-License-Identifier: Apache-2.0 */
/**
 * What every phase of the source shares (source.c, source_switchover.c,
 * source_postcopy.c call it; it calls none of them): failing, progress,
 * the destination's timestamps, cancelling, sending a batch of pages at
 * the bandwidth cap, and the return path with its one-deadline waits.
 */
#include <string.h>

#include "lib/format.h"
#include "mig/page_sets.h"
#include "mig/ram_codec.h"
#include "mig/source_internal.h"

enum mig_state mig_source_fail(struct mig_source *s, const char *why)
{
	format_snprintf(s->rep.error, sizeof(s->rep.error), "%s", why);
	return s->rep.state = MIG_FAILED;
}

enum mig_state mig_source_completed(struct mig_source *s)
{
	s->rep.total_ns = s->ops->now_ns(s->vm->ctx) - s->t_start;
	s->rep.error[0] = 0;
	s->rep.state = MIG_COMPLETED;
	mig_source_progress(s);
	return MIG_COMPLETED;
}

/** A destination stamp on this clock, from the stop (0 when the offset puts it before). */
static uint64_t since_stop(const struct mig_source *s, uint64_t dest_ns)
{
	uint64_t here = dest_ns - (uint64_t)s->rep.clock_offset_ns;

	return here > s->t_stop ? here - s->t_stop : 0;
}

void mig_source_take_stamps(struct mig_source *s, struct mig_reader *r)
{
	uint64_t now = s->ops->now_ns(s->vm->ctx);
	struct mig_downtime_steps *st = &s->rep.steps;

	s->rep.dest_loaded_ns = mig_get_u64(r);
	s->rep.dest_synced_ns = mig_get_u64(r);
	s->rep.dest_started_ns = mig_get_u64(r);
	s->rep.dest_load_ns = mig_get_u64(r);
	st->vm_started = now - s->t_stop;
	/* The destination's start on this clock: it cannot be before the stop, nor after now. */
	if (!s->clock_known || s->rep.dest_started_ns - (uint64_t)s->rep.clock_offset_ns > now) {
		s->rep.downtime_ns = st->vm_started;
		return;
	}
	st->dest_received = since_stop(s, s->rep.dest_loaded_ns - s->rep.dest_load_ns);
	st->dest_loaded = since_stop(s, s->rep.dest_loaded_ns);
	st->dest_synced = since_stop(s, s->rep.dest_synced_ns);
	st->dest_running = since_stop(s, s->rep.dest_started_ns);
	s->rep.downtime_ns = st->dest_running;
}

/* A round is measured as it goes once it ran this long. */
#define ROUND_MEASURE_NS 50000000ull
/* Past this share of the link's rate spent on rewritten pages, the rounds do not shrink. */
#define TIME_LEFT_RATIO_MAX_PCT 90u

/* The round being sent, measured so far: its dirty rate, bandwidth and time left. */
static void round_so_far(const struct mig_source *s, uint64_t now, struct mig_progress *p)
{
	uint64_t el = now - s->round_start_ns;
	uint64_t bytes = s->rep.bytes_sent - s->round_start_bytes;
	uint64_t pages = s->rep.pages_sent - s->round_start_pages;
	uint64_t per_page, left, dirty;

	if (s->current_round > s->rep.rounds && el >= ROUND_MEASURE_NS) {
		p->bandwidth = bytes * MIG_NS_PER_S / el;
		if (s->ops->dirty_marks)
			p->dirty_pages_per_s =
				(s->ops->dirty_marks(s->vm->ctx) - s->round_start_marks) *
				MIG_NS_PER_S / el;
	}
	if (!p->bandwidth)
		return;
	/*
	 * Before the first verdict (precopy_policy.c) there is no expected
	 * downtime yet: the switchover as if this round were the last, the pages
	 * the guest wrote in it so far sent whole, as the policy counts them
	 * after a first round, the device package and the measured fixed cost.
	 */
	if (!p->expected_downtime_ns && s->ops->dirty_marks) {
		uint64_t marks = s->ops->dirty_marks(s->vm->ctx) - s->round_start_marks;
		unsigned __int128 ns = ((unsigned __int128)marks * MIG_PAGE_WIRE_BYTES +
					s->cfg.precopy.device_bytes) *
					       MIG_NS_PER_S / p->bandwidth +
				       s->cfg.precopy.fixed_ns;

		p->expected_downtime_ns = ns > UINT64_MAX ? UINT64_MAX : (uint64_t)ns;
	}
	/* What a page costs on the wire this round (zero pages and deltas are small). */
	per_page = pages ? (bytes + pages - 1) / pages : MIG_PAGE_SIZE;
	dirty = p->dirty_pages_per_s * per_page; /* bytes/s the guest adds to send */
	if (dirty * 100 >= p->bandwidth * TIME_LEFT_RATIO_MAX_PCT)
		return;
	left = (uint64_t)((unsigned __int128)p->pages_remaining * per_page * MIG_NS_PER_S /
			  p->bandwidth);
	/* left + left*r + left*r^2 ... with r = dirty / bandwidth */
	p->time_left_ns =
		(uint64_t)((unsigned __int128)left * p->bandwidth / (p->bandwidth - dirty));
}

void mig_source_progress(struct mig_source *s)
{
	struct mig_progress p = {
		.state = s->rep.state,
		.round = s->rep.rounds > s->current_round ? s->rep.rounds : s->current_round,
		.ram_bytes_sent = s->rep.bytes_sent,
		.pages_total = s->pages,
		.pages_remaining = mig_bitmap_count(s->bitmap, s->pages),
		.dirty_pages_per_s = s->dirty_rate,
		.bandwidth = s->pre.bandwidth,
		.expected_downtime_ns = s->rep.expected_downtime_ns,
		.elapsed_ns = s->ops->now_ns(s->vm->ctx) - s->t_start,
		.throttle_pages_per_s = s->rep.throttle_pages_per_s,
	};

	s->progress_ns = s->ops->now_ns(s->vm->ctx);
	if (s->rep.state == MIG_ACTIVE)
		round_so_far(s, s->progress_ns, &p);
	if (s->cfg.progress)
		s->cfg.progress(s->cfg.progress_ctx, &p);
}

bool mig_source_cancel_requested(struct mig_source *s)
{
	return __atomic_load_n(&s->control, __ATOMIC_SEQ_CST) == MIG_CTL_CANCEL;
}

enum mig_state mig_source_cancelled(struct mig_source *s, bool stopped)
{
	s->rep.state = MIG_CANCELLING;
	mig_chan_send(s->ch, MIG_REC_CANCEL, 0, NULL, 0); /* best effort: the peer discards */
	s->ops->dirty_stop(s->vm->ctx);
	if (stopped)
		s->ops->resume(s->vm->ctx);
	format_snprintf(s->rep.error, sizeof(s->rep.error), "cancelled: the VM runs on here");
	return s->rep.state = MIG_CANCELLED;
}

/* The cap lets a burst run this far ahead of it. */
#define BANDWIDTH_BURST_NS 100000000ull

/**
 * While the VM runs, holds the sending back to cfg.max_bandwidth: each send
 * moves a clock on by what it costs at that rate, and the sender waits
 * (serving nothing but the network) while that clock is ahead of now by
 * more than a burst.
 */
static void keep_to_bandwidth(struct mig_source *s, uint64_t bytes)
{
	uint64_t now = s->ops->now_ns(s->vm->ctx);

	if (!s->cfg.max_bandwidth ||
	    (s->rep.state != MIG_ACTIVE && s->rep.state != MIG_POSTCOPY_ACTIVE))
		return;
	if (s->paced_until_ns < now)
		s->paced_until_ns = now;
	s->paced_until_ns += bytes * MIG_NS_PER_S / s->cfg.max_bandwidth;
	while (now + BANDWIDTH_BURST_NS < s->paced_until_ns && !mig_source_cancel_requested(s)) {
		unsigned ms = (unsigned)((s->paced_until_ns - BANDWIDTH_BURST_NS - now) / 1000000u);

		if (mig_chan_ready(s->ch, ms > 50 ? 50 : ms + 1) < 0)
			break;
		now = s->ops->now_ns(s->vm->ctx);
	}
}

/*
 * Bitmap words armed at once: 512 pages, 2 MiB, under one flush of the
 * VM's TLBs (a round of 512 MiB pays 256 of them).
 */
#define MIG_ARM_WORDS 8u

void mig_source_rewind(struct mig_source *s)
{
	s->cursor = 0;
	s->armed_end = 0;
}

/*
 * While the VM runs here, the pages of word w on are armed before their
 * copy (mig_vm_ops.arm_for_copy), a span of words at a time.
 */
static void arm_from(struct mig_source *s, uint64_t w, uint64_t words)
{
	uint64_t n = words - w < MIG_ARM_WORDS ? words - w : MIG_ARM_WORDS;

	if (s->rep.state != MIG_ACTIVE || w < s->armed_end)
		return;
	s->ops->arm_for_copy(s->vm->ctx, w, s->bitmap + w, n);
	s->armed_end = w + n;
}

/*
 * The page at the cursor into the batch; false when it does not fit. With
 * deltas on, while the VM runs, the guest's page is copied once (it may
 * write it meanwhile), and that copy is both what is sent (whole, sparse or
 * as its changes since the copy kept) and what is kept for the next time.
 * Once the VM stopped (the pages the stop found), the page holds still and
 * no copy of it is ever sent again: neither copy is made, in the downtime.
 */
static bool add_page(struct mig_source *s, struct mig_ram_batch *b)
{
	const uint8_t *page = s->ops->page(s->vm->ctx, s->cursor);

	if (!s->deltas)
		return mig_ram_batch_add(b, s->cursor, page, NULL);
	if (s->rep.state == MIG_DEVICE) /* the stop: no copy is ever sent again */
		return mig_ram_batch_add(b, s->cursor, page,
					 mig_page_cache_find(&s->cache, s->cursor));
	if (s->rep.state != MIG_ACTIVE) { /* a checkpoint: the VM stands, the copy is kept */
		if (!mig_ram_batch_add(b, s->cursor, page,
				       mig_page_cache_find(&s->cache, s->cursor)))
			return false;
		mig_page_cache_keep(&s->cache, s->cursor, page);
		return true;
	}
	memcpy(s->snap, page, MIG_PAGE_SIZE);
	if (!mig_ram_batch_add(b, s->cursor, s->snap, mig_page_cache_find(&s->cache, s->cursor)))
		return false;
	mig_page_cache_keep(&s->cache, s->cursor, s->snap);
	return true;
}

size_t mig_source_lay_out_batch(struct mig_source *s, uint8_t *at, unsigned max_data_pages,
				struct mig_laid_out *l)
{
	struct mig_ram_batch b;
	uint64_t words = mig_bitmap_words(s->pages);

	mig_ram_batch_init(&b, at + MIG_RECORD_HEADER_SIZE, MIG_RAM_BATCH_BYTES,
			   s->caps & MIG_CAP_SPARSE_PAGES);
	while (s->cursor < s->pages && b.data_pages < max_data_pages &&
	       mig_ram_batch_pages(&b) < MIG_BATCH_PAGES_MAX) {
		uint64_t w = s->cursor / 64, bits = s->bitmap[w] >> (s->cursor % 64);

		if (!bits) { /* skip a clear word at once */
			s->cursor = (w + 1) * 64;
			if (w + 1 >= words)
				break;
			continue;
		}
		s->cursor += (uint64_t)__builtin_ctzll(bits);
		arm_from(s, w, words);
		if (!add_page(s, &b))
			break;
		mig_bit_clear(s->bitmap, s->cursor);
		s->cursor++;
	}
	*l = (struct mig_laid_out){ 0 };
	if (!mig_ram_batch_pages(&b))
		return 0;
	mig_ram_batch_finish(&b);
	mig_chan_header(at, MIG_REC_RAM, 0, (uint32_t)b.w.len);
	*l = (struct mig_laid_out){ .bytes = b.w.len + MIG_RECORD_HEADER_SIZE,
				    .pages = mig_ram_batch_pages(&b),
				    .zero_pages = b.zero_pages,
				    .delta_pages = b.delta_pages,
				    .unchanged_pages = b.unchanged_pages };
	return l->bytes;
}

void mig_source_count_sent(struct mig_source *s, const struct mig_laid_out *l)
{
	s->rep.pages_sent += l->pages;
	s->rep.zero_pages += l->zero_pages;
	s->rep.delta_pages += l->delta_pages;
	s->rep.unchanged_pages += l->unchanged_pages;
	s->rep.bytes_sent += l->bytes;
}

int64_t mig_source_send_batch(struct mig_source *s, unsigned max_data_pages)
{
	/* Header and payload in one send: one TLS record, not one for each. */
	struct mig_laid_out l;
	size_t len = mig_source_lay_out_batch(s, s->buf, max_data_pages, &l);

	if (!len)
		return 0;
	if (mig_chan_send_laid_out(s->ch, s->buf, len))
		return -1;
	mig_source_count_sent(s, &l);
	keep_to_bandwidth(s, len);
	return (int64_t)len;
}

static void copy_peer_error(struct mig_source *s, struct mig_record *rec)
{
	char why[128];

	mig_get_text(&rec->payload, why, sizeof(why));
	format_snprintf(s->rep.error, sizeof(s->rep.error), "destination: %s", why);
	s->peer_error = true;
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
		/*
		 * Once, and only while the VM still runs here: it approves a
		 * stop. Protection stops for no switchover: it may come late.
		 */
		if (s->switchover_acked ||
		    (s->rep.state != MIG_ACTIVE && s->rep.state != MIG_PROTECTED))
			break;
		s->switchover_acked = true;
		return 0;
	case MIG_REC_REQ_PAGES:
		if (s->rep.state == MIG_POSTCOPY_ACTIVE)
			return serve_page_request(s, rec);
		break;
	case MIG_REC_EPOCH_ACK:
	case MIG_REC_RELEASED:
		if (s->rep.state == MIG_PROTECTED)
			return mig_source_protect_reply(s, rec);
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

static int expect(struct mig_source *s, uint16_t want, struct mig_record *rec, bool passing)
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
		/*
		 * A millisecond's look at a time, the guest's frames passed on in
		 * between: what came is read first. A send that fails leaves the
		 * link lost, but an ERROR that came before it is still read (a
		 * destination that refused is then known to hold nothing).
		 */
		if (passing && s->cfg.frames && !s->frames_done) {
			err = mig_chan_ready(s->ch, 0);
			if (!err && mig_source_pass_frames_early(s)) {
				(void)mig_source_serve_return_path(s);
				return MIG_CHAN_BROKEN;
			}
			if (!err)
				err = mig_chan_ready(s->ch, 1);
			if (err < 0)
				return err;
			if (!err)
				continue;
		}
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

int mig_source_expect(struct mig_source *s, uint16_t want, struct mig_record *rec)
{
	return expect(s, want, rec, false);
}

int mig_source_expect_passing(struct mig_source *s, uint16_t want, struct mig_record *rec)
{
	return expect(s, want, rec, true);
}

/** Tells the destination which pages it must fetch later (POSTCOPY_DISCARD chunks). */

void mig_source_set_limits(struct mig_source *s, uint64_t downtime_limit_ns, uint64_t max_bandwidth)
{
	if (downtime_limit_ns)
		s->cfg.precopy.downtime_limit_ns = downtime_limit_ns;
	s->cfg.max_bandwidth = max_bandwidth;
}
