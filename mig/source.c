/* SPDX-License-Identifier: Apache-2.0 */
/** The source end: HELLO, precopy rounds, cancel (design section 5). */
#include <stdlib.h>
#include <string.h>

#include "lib/format.h"
#include "mig/page_sets.h"
#include "mig/ram_codec.h"
#include "mig/source_internal.h"

struct mig_source *mig_source_new(struct mig_vm *vm, const struct mig_source_config *cfg)
{
	struct mig_source *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->vm = vm;
	s->ops = vm->ops;
	s->cfg = *cfg;
	/* Protection is asked for in HELLO only when wanted: a standby takes it as the request. */
	if (cfg->mode == MIG_MODE_PROTECT)
		s->cfg.hello.capabilities |= MIG_CAP_PROTECT;
	else
		s->cfg.hello.capabilities &= ~(uint32_t)MIG_CAP_PROTECT;
	s->pages = vm->ops->page_count(vm->ctx);
	s->bitmap = calloc(mig_bitmap_words(s->pages), sizeof(uint64_t));
	s->buf = malloc(MIG_RECORD_MAX);
	s->rbuf = malloc(MIG_RECORD_MAX);
	s->snap = malloc(MIG_PAGE_SIZE);
	if (!s->bitmap || !s->buf || !s->rbuf || !s->snap) {
		mig_source_free(s);
		return NULL;
	}
	s->rep.mode = cfg->mode;
	return s;
}

void mig_source_free(struct mig_source *s)
{
	if (!s)
		return;
	free(s->bitmap);
	free(s->buf);
	free(s->rbuf);
	free(s->snap);
	free(s->ckpt);
	free(s->hot);
	free(s->prev);
	free(s->arm);
	free(s->unacked);
	mig_page_cache_free(&s->cache);
	free(s);
}

const struct mig_report *mig_source_report(const struct mig_source *s) { return &s->rep; }

void mig_source_abandon(struct mig_source *s, const char *why) { mig_source_fail(s, why); }

bool mig_source_resolve(struct mig_source *s, enum mig_verdict v, char *err, size_t err_size)
{
	enum mig_state st = s->rep.state;

	if (v == MIG_VERDICT_LOST && st == MIG_POSTCOPY_PAUSED) {
		s->rep.pages_lost = mig_bitmap_count(s->bitmap, s->pages);
		format_snprintf(s->rep.error, sizeof(s->rep.error),
				"resolved by the operator: the VM is lost with the destination "
				"(%llu of its pages were never sent there)",
				(unsigned long long)s->rep.pages_lost);
		s->rep.state = MIG_LOST;
		return true;
	}
	if (v == MIG_VERDICT_SOURCE && st == MIG_FENCED)
		return mig_source_unfence(s);
	if (v != MIG_VERDICT_LOST && st == MIG_UNRESOLVED) {
		if (v == MIG_VERDICT_SOURCE) {
			s->ops->resume(s->vm->ctx);
			format_snprintf(s->rep.error, sizeof(s->rep.error),
					"resolved by the operator: the destination never ran the "
					"VM; it resumed here");
			s->rep.state = MIG_FAILED;
		} else {
			s->rep.total_ns = s->ops->now_ns(s->vm->ctx) - s->t_start;
			format_snprintf(s->rep.error, sizeof(s->rep.error),
					"resolved by the operator: the VM runs on the destination");
			s->rep.state = MIG_COMPLETED;
		}
		return true;
	}
	format_snprintf(err, err_size, "%s cannot be decided while the migration is %s",
			v == MIG_VERDICT_SOURCE	       ? "'source'"
			: v == MIG_VERDICT_DESTINATION ? "'destination'"
						       : "'lost'",
			mig_state_name(st));
	return false;
}

bool mig_source_cancel(struct mig_source *s)
{
	int open = MIG_CTL_OPEN;

	return __atomic_compare_exchange_n(&s->control, &open, MIG_CTL_CANCEL, false,
					   __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST) ||
	       open == MIG_CTL_CANCEL;
}

static int hello(struct mig_source *s)
{
	struct mig_writer w;
	struct mig_record rec;
	uint32_t caps;

	s->rep.migration_id = s->cfg.hello.migration_id;
	if (!s->rep.migration_id) {
		mig_source_fail(s, "no migration id: nothing was sent, the VM runs on here");
		return -1;
	}
	mig_writer_init(&w, s->buf, MIG_RECORD_MAX);
	mig_hello_put(&w, &s->cfg.hello);
	if (mig_chan_send(s->ch, MIG_REC_HELLO, 0, w.buf, (uint32_t)w.len) ||
	    mig_chan_recv(s->ch, s->rbuf, &rec, s->cfg.reply_timeout_ms)) {
		mig_source_fail(s, "the destination did not answer HELLO");
		return -1;
	}
	if (rec.type == MIG_REC_REFUSE) {
		char why[128];

		mig_get_text(&rec.payload, why, sizeof(why));
		format_snprintf(s->rep.error, sizeof(s->rep.error),
				"refused by the destination: %s", why);
		s->rep.state = MIG_FAILED;
		return -1;
	}
	if (rec.type != MIG_REC_ACCEPT) {
		mig_source_fail(s,
				"the destination answered HELLO with something else than ACCEPT");
		return -1;
	}
	caps = mig_get_u32(&rec.payload);
	s->caps = caps & s->cfg.hello.capabilities;
	s->rep.cost_dest_ns = mig_get_u64(&rec.payload);
	/* A destination that reads no newer asks for the format before this one's. */
	s->rep.stream_format = s->cfg.hello.format_version;
	if (caps & MIG_CAP_FORMAT_OLDER)
		s->rep.stream_format--;
	if (rec.length != MIG_ACCEPT_BYTES || s->rep.cost_dest_ns > MIG_SWITCHOVER_COST_MAX_NS ||
	    ((caps & MIG_CAP_FORMAT_OLDER) &&
	     !(s->cfg.hello.capabilities & MIG_CAP_FORMAT_WINDOW))) {
		mig_source_fail(s, "malformed ACCEPT: nothing was sent, the VM runs on here");
		return -1;
	}
	if (s->cfg.mode == MIG_MODE_POSTCOPY && !(s->caps & MIG_CAP_POSTCOPY)) {
		mig_source_fail(s, "the destination cannot take a postcopy migration");
		return -1;
	}
	return 0;
}

/* Exchanges that measure the clocks' offset; the one with the smallest round trip counts. */
#define CLOCK_EXCHANGES 5
/* settle(): a pass that finds this few pages written is the last before the stop. */
#define MIG_SETTLE_PAGES_FEW 2u
/* settle(): at most this many passes (each a drain's round trip) before the stop. */
#define MIG_SETTLE_PASSES_MAX 8u

/**
 * One exchange of the destination's clock against this one (design section
 * 7, "Measured exactly"): t1 sent, the destination's t2, t3 on return; the
 * offset is t2 - (t1 + t3) / 2, true within half the round trip. Kept when
 * its round trip is the smallest so far. 0, or -1 when the link broke.
 */
static int clock_exchange(struct mig_source *s)
{
	uint64_t t1 = s->ops->now_ns(s->vm->ctx), t3, t2, echo;
	struct mig_record rec;

	if (mig_chan_send(s->ch, MIG_REC_CLOCK, 0, &t1, sizeof(t1)) ||
	    mig_source_expect(s, MIG_REC_CLOCK_REPLY, &rec))
		return -1;
	t3 = s->ops->now_ns(s->vm->ctx);
	echo = mig_get_u64(&rec.payload);
	t2 = mig_get_u64(&rec.payload);
	if (rec.length != 16 || echo != t1 || (s->clock_known && t3 - t1 >= s->clock_rtt_ns))
		return 0; /* not this exchange's answer, or a slower one */
	s->clock_rtt_ns = t3 - t1;
	s->rep.clock_offset_ns = (int64_t)(t2 - (t1 + s->clock_rtt_ns / 2));
	s->rep.downtime_uncertainty_ns = s->clock_rtt_ns / 2 + 1;
	s->clock_known = true;
	return 0;
}

static int measure_clock(struct mig_source *s)
{
	for (unsigned i = 0; i < CLOCK_EXCHANGES; i++)
		if (clock_exchange(s))
			return -1;
	return 0;
}

/** One precopy round: the pages in the bitmap; bytes sent, or -1 (link) / -2 (cancel). */
static int64_t precopy_round(struct mig_source *s)
{
	int64_t bytes = 0, n;
	uint32_t round = s->rep.rounds + 1;

	s->current_round = round;
	s->round_start_ns = s->ops->now_ns(s->vm->ctx);
	s->round_start_marks = s->ops->dirty_marks ? s->ops->dirty_marks(s->vm->ctx) : 0;
	s->round_start_bytes = s->rep.bytes_sent;
	s->round_start_pages = s->rep.pages_sent;
	mig_source_rewind(s);
	while ((n = mig_source_send_batch(s, MIG_BATCH_FULL)) > 0) {
		bytes += n;
		if (mig_source_cancel_requested(s))
			return -2;
		/* A long round (the first, of all memory) reports as it goes. */
		if (s->ops->now_ns(s->vm->ctx) - s->progress_ns >= MIG_PROGRESS_EVERY_NS)
			mig_source_progress(s);
		if (mig_source_serve_return_path(s))
			return -1;
	}
	if (n < 0 || mig_chan_send(s->ch, MIG_REC_ROUND_END, 0, &round, sizeof(round)))
		return -1;
	return bytes;
}

/*
 * What the guest wrote since the last collection goes while it still runs;
 * *pages: how many that was. 0, or -1 (link).
 */
static int send_written_since(struct mig_source *s, uint64_t *pages)
{
	uint64_t t0 = s->ops->now_ns(s->vm->ctx);
	int64_t n;

	s->ops->dirty_collect(s->vm->ctx, s->bitmap);
	s->collected_at = s->ops->now_ns(s->vm->ctx);
	s->collect_ns = s->collected_at - t0;
	*pages = mig_bitmap_count(s->bitmap, s->pages);
	mig_source_rewind(s);
	while ((n = mig_source_send_batch(s, MIG_BATCH_FULL)) > 0)
		;
	return n < 0 ? -1 : 0;
}

/*
 * The passes between the drain and the stop: what the guest wrote since
 * goes, and while a pass found more than a few pages the link is drained
 * again (a clock exchange) and another pass follows, up to
 * MIG_SETTLE_PASSES_MAX. The stop then comes right after a pass that found
 * next to nothing, with no backlog on the link for the package to queue
 * behind: a guest that writes in bursts (a batch of pages every few ms)
 * stops between two of them, not in the wake of one, whose pages would
 * otherwise cross the link inside the downtime. (Stopping once a pass
 * found no fewer than the one before let two bursts in a row, one per
 * pass, leave the stop in the wake of a third: 1 of 10 runs of such a
 * guest at 2.8 ms.) A guest that always writes more costs a few round
 * trips of migration time, not of downtime. Such a guest (one answering
 * the network every millisecond writes pages all along) is held for the
 * last pass: its writes wait at the throttle's floor from that pass's
 * collection to the stop, which then finds next to nothing (it found 19 to
 * 68 pages written during the last pass's sending, 1.1 to 2.9 ms of
 * downtime where 0 to 2 pages cost 0.7 to 1.3 ms). That pass is not
 * drained: the stop follows its sending, its pages (the changes of those
 * the guest wrote during the pass before) ahead of the package, so that
 * the hold, the guest's clock running and its service standing (the
 * report's throttle waits count it), lasts that pass and not a link's
 * round trip more.
 */
static int settle(struct mig_source *s)
{
	uint64_t pages;

	for (s->rep.settle_passes = 1;; s->rep.settle_passes++) {
		bool held = s->rep.settle_passes == MIG_SETTLE_PASSES_MAX;

		if (held)
			s->ops->throttle(s->vm->ctx, 1);
		if (send_written_since(s, &pages))
			return -1;
		if (held || pages <= MIG_SETTLE_PAGES_FEW || mig_source_cancel_requested(s))
			return 0;
		if (clock_exchange(s))
			return -1;
	}
}

/*
 * A destination's entry stamp (DRY_RUN_DONE) moved onto this clock lies
 * between the DRY_RUN's sending and its answer's arrival, give or take
 * the offset's uncertainty; without a measured offset nothing can be told.
 */
static bool entry_within(const struct mig_source *s, uint64_t entered, uint64_t t1, uint64_t t3)
{
	uint64_t at = entered - (uint64_t)s->rep.clock_offset_ns;
	uint64_t u = s->rep.downtime_uncertainty_ns;

	return !s->clock_known || (at + u >= t1 && at <= t3 + u);
}

/* One dry run's parts: this end's, the link's, the destination's (ns). */
struct dry_cost {
	uint64_t source, link, dest;
};

/*
 * The switchover's fixed cost measured again right before the stop (design
 * section 7, "Bounded"), by a dry run: this end saves its stand-in package
 * once, a record of the package's size crosses the link, the destination
 * does its work once on its own stand-in (DRY_RUN) and answers at once.
 * The trip less the answer's way back (half the smallest clock round trip)
 * is what the switchover costs under the host's conditions of the moment
 * beside the pages: the rehearsals before precopy time each end's work
 * alone, not the link's carrying of a package nor the waking of a parked
 * vCPU. With MIG_CAP_DRY_RUN_ENTRY the trip ends where a downtime does: at
 * the destination's stamp of its stand-in's entry, moved onto this clock by
 * the measured offset; not after the destination parked its vCPUs again
 * and the answer came back (which made the prediction 0.7-1.1 ms longer
 * than the downtime that followed it). 1 with *c measured, 0 when a step
 * failed on either end (nothing measured), -1 (the link broke, or the
 * answer is not one).
 */
static int dry_run(struct mig_source *s, struct dry_cost *c)
{
	struct mig_rehearsal own = { 0 };
	uint64_t t1, t3, echo, dest_ns, entered, trip, back, rest;
	uint64_t bytes = s->cfg.precopy.device_bytes;
	uint32_t want = s->caps & MIG_CAP_DRY_RUN_ENTRY ? MIG_DRY_RUN_DONE_ENTRY_BYTES
							: MIG_DRY_RUN_DONE_BYTES;
	uint32_t len = bytes < 8 ? 8 : bytes > MIG_RECORD_MAX ? MIG_RECORD_MAX : (uint32_t)bytes;
	struct mig_record rec;
	struct mig_writer w;

	t1 = s->ops->now_ns(s->vm->ctx);
	if (!s->ops->rehearse(s->vm->ctx, false, true, &own))
		own.ns = 0;
	memset(s->buf, 0, len);
	mig_writer_init(&w, s->buf, len);
	mig_put_u64(&w, t1);
	if (mig_chan_send(s->ch, MIG_REC_DRY_RUN, 0, s->buf, len) ||
	    mig_source_expect(s, MIG_REC_DRY_RUN_DONE, &rec))
		return -1;
	t3 = s->ops->now_ns(s->vm->ctx);
	echo = mig_get_u64(&rec.payload);
	dest_ns = mig_get_u64(&rec.payload);
	entered = mig_get_u64(&rec.payload); /* 0 when not there */
	if (rec.length != want || echo != t1 || dest_ns > MIG_SWITCHOVER_COST_MAX_NS ||
	    (entered && !entry_within(s, entered, t1, t3))) {
		format_snprintf(s->rep.error, sizeof(s->rep.error),
				"malformed DRY_RUN_DONE: the VM runs on here");
		return -1;
	}
	if (!dest_ns || !own.ns)
		return 0;
	trip = t3 - t1;
	back = s->clock_known ? s->clock_rtt_ns / 2 : 0;
	rest = own.ns + dest_ns + back;
	if (entered && s->clock_known) {
		/* The stand-in's entry on this clock: the trip as a downtime ends. */
		uint64_t at = entered - (uint64_t)s->rep.clock_offset_ns;

		at = at < t1 ? t1 : at > t3 ? t3 : at;
		trip = at - t1;
		rest = own.ns + dest_ns;
	}
	*c = (struct dry_cost){ .source = own.ns,
				.link = trip > rest ? trip - rest : 0,
				.dest = dest_ns };
	return 1;
}

/*
 * MIG_DRY_RUNS dry runs; their mean replaces the costs measured before
 * precopy. One whose step failed leaves those standing. 0, or -1.
 */
static int dry_runs(struct mig_source *s)
{
	struct dry_cost sum = { 0 }, one;

	if (!(s->caps & MIG_CAP_DRY_RUN))
		return 0;
	for (unsigned i = 0; i < MIG_DRY_RUNS; i++) {
		int r = dry_run(s, &one);

		if (r <= 0)
			return r;
		sum.source += one.source;
		sum.link += one.link;
		sum.dest += one.dest;
	}
	s->rep.cost_source_ns = sum.source / MIG_DRY_RUNS;
	s->rep.cost_link_ns = sum.link / MIG_DRY_RUNS;
	s->rep.cost_dest_ns = sum.dest / MIG_DRY_RUNS;
	s->cfg.precopy.fixed_ns = s->rep.cost_source_ns + s->rep.cost_link_ns + s->rep.cost_dest_ns;
	s->rep.dry_run = true;
	return 0;
}

/** `fail` and a switchover whose measured cost alone exceeds the limit: the VM runs on here. */
static enum mig_state fixed_cost_fails(struct mig_source *s, const char *how)
{
	char why[sizeof(s->rep.error)];

	format_snprintf(why, sizeof(why),
			"the switchover alone (source %llu us, link %llu us, destination %llu us, "
			"the package%s) exceeds the downtime limit: given up, the VM runs on here",
			(unsigned long long)(s->rep.cost_source_ns / 1000u),
			(unsigned long long)(s->rep.cost_link_ns / 1000u),
			(unsigned long long)(s->rep.cost_dest_ns / 1000u), how);
	return mig_source_fail(s, why);
}

/*
 * Right before the stop: the downtime predicted is the switchover's fixed
 * cost and the pages the stop will find (those written since the drain's
 * collection, at the throttle's floor or the guest's measured rate, at
 * the measured bandwidth). This end's part of that cost also counts the
 * drain's collection of what was written, just timed: the stop collects
 * the same way before its last pages (which the pages count). After a dry run the cost holds
 * the package's crossing too (its record was as large); without one the
 * package goes at the bandwidth, and the policy's verdict on the cost
 * stands. A dry run's cost alone over the limit is a switchover that
 * cannot fit: with `fail` the VM runs on here (true), otherwise it goes
 * on and the report says so. Precopy only.
 */
static bool admission_refused(struct mig_source *s, uint64_t collected_at)
{
	struct mig_precopy_params *p = &s->cfg.precopy;
	uint64_t rate = s->rep.throttle_pages_per_s ? 1 : s->dirty_rate;
	uint64_t since = s->ops->now_ns(s->vm->ctx) - collected_at;
	uint64_t pages = (uint64_t)((unsigned __int128)rate * since / MIG_NS_PER_S);
	uint64_t bytes = pages * MIG_PAGE_WIRE_BYTES + (s->rep.dry_run ? 0 : p->device_bytes);

	s->rep.cost_source_ns += s->collect_ns;
	p->fixed_ns += s->collect_ns;
	s->rep.predicted_downtime_ns =
		p->fixed_ns + (s->pre.bandwidth ? (uint64_t)((unsigned __int128)bytes *
							     MIG_NS_PER_S / s->pre.bandwidth)
						: 0);
	if (!s->rep.dry_run)
		return false;
	s->rep.fixed_cost_over_limit = p->fixed_ns > p->downtime_limit_ns;
	return s->rep.fixed_cost_over_limit && p->on_no_convergence == MIG_NC_GIVE_UP;
}

/** With SWITCHOVER_ACK agreed, the VM stops only once the destination approved. */
static enum mig_state approved_switchover(struct mig_source *s)
{
	if ((s->caps & MIG_CAP_SWITCHOVER_ACK) && !s->switchover_acked) {
		struct mig_record rec;

		if (mig_source_expect(s, MIG_REC_SWITCHOVER_ACK, &rec)) {
			s->ops->dirty_stop(s->vm->ctx);
			if (!s->rep.error[0])
				format_snprintf(s->rep.error, sizeof(s->rep.error),
						"the destination did not approve the switchover");
			return s->rep.state = MIG_FAILED;
		}
		s->switchover_acked = true;
	}
	/*
	 * Drained before the stop: the destination answers a clock exchange
	 * only once it has handled every record before it, so the package will
	 * not queue behind the last round's pages (up to a window of them)
	 * inside the downtime. A guest that is throttled dirties no new page
	 * meanwhile (the limit at its floor for the drain's round trip): the
	 * stop then finds next to nothing left to send.
	 */
	if (s->rep.throttle_pages_per_s)
		s->ops->throttle(s->vm->ctx, 1);
	/* Before the drain: what the guest writes meanwhile goes with it, and is predicted. */
	if (!mig_source_cancel_requested(s))
		mig_source_rehearse_switchover(s);
	if (clock_exchange(s) || (s->cfg.mode == MIG_MODE_PRECOPY && (dry_runs(s) || settle(s)))) {
		s->ops->dirty_stop(s->vm->ctx);
		if (!s->rep.error[0])
			format_snprintf(s->rep.error, sizeof(s->rep.error),
					"link lost before the switchover: the VM runs on here");
		return s->rep.state = MIG_FAILED;
	}
	if (s->cfg.mode == MIG_MODE_PRECOPY && admission_refused(s, s->collected_at)) {
		s->ops->dirty_stop(s->vm->ctx);
		return fixed_cost_fails(s, ", by a dry run");
	}
	return mig_source_switchover(s);
}

/** Precopy rounds until the policy (or postcopy) says switch over; the state when it ends here. */
static enum mig_state precopy(struct mig_source *s)
{
	const struct mig_vm_ops *ops = s->ops;
	uint64_t words = mig_bitmap_words(s->pages);
	struct mig_precopy_params policy = s->cfg.precopy;

	/* Postcopy was asked for: its rounds end in it, never throttled or given up. */
	if (s->cfg.mode == MIG_MODE_POSTCOPY)
		policy.on_no_convergence = MIG_NC_KEEP_GOING;
	s->rep.state = MIG_ACTIVE;
	ops->dirty_start(s->vm->ctx);
	memset(s->bitmap, 0xff, words * sizeof(uint64_t)); /* the first round is all of RAM */
	if (s->pages % 64)
		s->bitmap[words - 1] = (1ull << (s->pages % 64)) - 1;
	if (s->cfg.mode == MIG_MODE_POSTCOPY && s->cfg.postcopy_after_rounds == 0) {
		/* No precopy: every page is fetched after the switchover. */
		uint32_t none = 0;

		if (mig_chan_send(s->ch, MIG_REC_ROUND_END, 0, &none, sizeof(none)))
			return mig_source_fail(s, "link lost before postcopy: the VM runs on here");
		return approved_switchover(s);
	}
	for (;;) {
		uint64_t t0 = ops->now_ns(s->vm->ctx), pages0 = s->rep.pages_sent;
		int64_t bytes = precopy_round(s);
		struct mig_round round;
		enum mig_precopy_decision d;

		if (bytes == -2)
			return mig_source_cancelled(s, false);
		if (bytes < 0) {
			ops->dirty_stop(s->vm->ctx);
			if (!s->rep.error[0])
				mig_source_fail(s, "link lost during precopy: the VM runs on here");
			return s->rep.state = MIG_FAILED;
		}
		ops->dirty_collect(s->vm->ctx, s->bitmap);
		round = (struct mig_round){ .bytes = (uint64_t)bytes,
					    .ns = ops->now_ns(s->vm->ctx) - t0,
					    .dirty_pages = mig_bitmap_count(s->bitmap, s->pages),
					    .pages = s->rep.pages_sent - pages0 };
		s->dirty_rate = round.ns ? round.dirty_pages * MIG_NS_PER_S / round.ns : 0;
		if (s->rep.throttle_pages_per_s)
			s->rep.throttled_rounds++;
		policy.downtime_limit_ns = s->cfg.precopy.downtime_limit_ns; /* as set meanwhile */
		d = mig_precopy_decide(&s->pre, &policy, &round);
		s->rep.rounds = s->pre.rounds;
		if (d == MIG_NEXT_ROUND &&
		    s->pre.throttle_pages_per_s != s->rep.throttle_pages_per_s) {
			s->rep.throttle_pages_per_s = s->pre.throttle_pages_per_s;
			ops->throttle(s->vm->ctx, s->rep.throttle_pages_per_s);
		}
		s->rep.expected_downtime_ns = s->pre.expected_downtime_ns;
		/* All of RAM went once: from here on a page goes as what changed in it. */
		if (!s->deltas && s->caps & MIG_CAP_DELTA_PAGES && s->caps & MIG_CAP_SPARSE_PAGES)
			s->deltas = mig_page_cache_init(&s->cache, s->pages < MIG_PAGE_CACHE_SLOTS
									   ? s->pages
									   : MIG_PAGE_CACHE_SLOTS);
		mig_source_progress(s);
		if (s->cfg.mode == MIG_MODE_POSTCOPY &&
		    (s->pre.rounds >= s->cfg.postcopy_after_rounds || d == MIG_SWITCH_OVER))
			d = MIG_SWITCH_OVER;
		if (d == MIG_GO_POSTCOPY) {
			/* Precopy does not converge: postcopy from here, where the peer can. */
			if (s->caps & MIG_CAP_POSTCOPY) {
				s->cfg.mode = MIG_MODE_POSTCOPY;
				s->rep.mode = MIG_MODE_POSTCOPY;
				s->rep.switched_to_postcopy = true;
			}
			d = MIG_SWITCH_OVER;
		}
		if (d == MIG_GIVE_UP) {
			ops->dirty_stop(s->vm->ctx); /* the throttle goes with it */
			if (s->pre.fixed_cost_too_high &&
			    policy.on_no_convergence == MIG_NC_GIVE_UP)
				return fixed_cost_fails(s, "");
			if (s->rep.throttle_pages_per_s) {
				char why[sizeof(s->rep.error)];

				format_snprintf(
					why, sizeof(why),
					"precopy did not converge in %u rounds, the guest "
					"throttled to %llu pages/s: given up, the VM runs on "
					"here",
					s->pre.rounds,
					(unsigned long long)s->rep.throttle_pages_per_s);
				return mig_source_fail(s, why);
			}
			return mig_source_fail(
				s, "precopy did not converge: given up, the VM runs on here");
		}
		/* Protection never moves the VM: a precopy that cannot converge goes on in it. */
		if ((d == MIG_SWITCH_OVER || d == MIG_GO_POSTCOPY) &&
		    s->cfg.mode == MIG_MODE_PROTECT)
			return mig_source_protect(s);
		if (d == MIG_SWITCH_OVER) {
			if (s->cfg.mode == MIG_MODE_PRECOPY) {
				s->rep.predicted_downtime_ns = s->pre.expected_downtime_ns;
				s->rep.fixed_cost_over_limit = s->pre.fixed_cost_too_high;
			}
			s->collected_at = ops->now_ns(s->vm->ctx);
			return approved_switchover(s);
		}
	}
}

/*
 * The switchover's fixed cost, measured (design section 7, "Bounded"): this
 * end's rehearsed work, the destination's (from ACCEPT), the link's one-way
 * latency; the package's size as rehearsed. The policy adds the pages left
 * at the measured bandwidth.
 */
static void admission_costs(struct mig_source *s)
{
	struct mig_rehearsal measured = { 0 };

	if (s->ops->rehearse(s->vm->ctx, false, false, &measured)) {
		s->rep.cost_source_ns = measured.ns;
		if (measured.package_bytes)
			s->cfg.precopy.device_bytes = measured.package_bytes;
	}
	s->rep.cost_link_ns = s->clock_known ? s->clock_rtt_ns / 2 : 0;
	s->cfg.precopy.fixed_ns = s->rep.cost_source_ns + s->rep.cost_link_ns + s->rep.cost_dest_ns;
}

enum mig_state mig_source_run(struct mig_source *s, struct mig_channel *ch)
{
	s->ch = ch;
	s->rep.state = MIG_SETUP;
	s->t_start = s->ops->now_ns(s->vm->ctx);
	if (hello(s))
		return s->rep.state;
	if (measure_clock(s))
		return mig_source_fail(s,
				       "link lost while measuring the clocks: the VM runs on here");
	admission_costs(s);
	if (mig_source_cancel_requested(s))
		return mig_source_cancelled(s, false);
	return precopy(s);
}
