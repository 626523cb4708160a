/* SPDX-License-Identifier: Apache-2.0 */
/**
 * Protection on the standby (docs/protection.md): after the precopy rounds
 * that made its copy, each checkpoint is kept aside until whole
 * (mig/checkpoint.h), committed, and acknowledged; every message from the
 * primary is recorded before its acknowledgement (mig/lease.h). With the
 * primary silent for the lease plus the margin, the standby runs the last
 * committed checkpoint: its package was loaded at its commit, so the
 * takeover only synchronizes and starts.
 */
#include <string.h>

#include "lib/format.h"
#include "mig/dest_internal.h"
#include "mig/page_sets.h"

static bool refuse(struct mig_dest *d, const char *why)
{
	format_snprintf(d->rep.error, sizeof(d->rep.error), "%s", why);
	return false;
}

/* A message of this protection arrived now: heard (before any acknowledgement). */
static bool heard(struct mig_dest *d, uint64_t session, bool leased)
{
	if (!lease_standby_heard(&d->lease, d->ops->now_ns(d->vm->ctx), session, leased))
		return refuse(d, "a message of another protection");
	return true;
}

/* Any record of the primary's protection: it lived, its VM running, then (the rollback's bound). */
static void word(struct mig_dest *d) { d->last_word_ns = d->ops->now_ns(d->vm->ctx); }

static void ack(struct mig_dest *d, uint64_t seq, uint64_t epoch)
{
	uint8_t out[MIG_EPOCH_ACK_BYTES];
	struct mig_writer w;

	mig_writer_init(&w, out, sizeof(out));
	mig_put_u64(&w, d->lease.session);
	mig_put_u64(&w, seq);
	mig_put_u64(&w, epoch);
	mig_chan_send(d->ch, MIG_REC_EPOCH_ACK, 0, out, sizeof(out));
}

/*
 * The first checkpoint makes this board a standby: the precopy rounds made
 * its copy, and the primary asked for protection in HELLO (both agreed).
 * Its lease and fencing bound are the primary's word, within sane limits;
 * the margin is this board's (its clock's drift).
 */
static bool become_standby(struct mig_dest *d, uint64_t session, const struct mig_protect_params *p)
{
	uint64_t lease_ns = p->lease_ns, fence_ns = p->fence_ns;

	if (!(d->caps & MIG_CAP_PROTECT))
		return refuse(d, "EPOCH, but protection was not agreed");
	if (!d->ops->idle)
		return refuse(d, "this board cannot be a standby");
	/* Its copy whole first: a checkpoint holds only what changed since. */
	if (mig_bitmap_count(d->have, d->pages) != d->pages)
		return refuse(d, "EPOCH before the standby held all of RAM");
	if (lease_ns < MIG_LEASE_MIN_NS || lease_ns > MIG_LEASE_MAX_NS ||
	    fence_ns > MIG_FENCE_MAX_NS)
		return refuse(d, "EPOCH with a lease or fencing time out of bounds");
	/* As its primary would take them, for the protection this board may start in turn. */
	if (p->epoch_ns < MIG_EPOCH_MIN_NS || p->epoch_ns > lease_ns / 2)
		return refuse(d, "EPOCH with an epoch under 1 ms or over half the lease");
	if (!d->stage.buf && !mig_ckpt_init(&d->stage, MIG_CKPT_STAGE_BYTES, MIG_RECORD_MAX))
		return refuse(d, "no memory to keep checkpoints aside");
	lease_standby_init(&d->lease, lease_ns, lease_margin_ns(lease_ns, fence_ns, d->drift_ppm),
			   session);
	d->phase = MIG_PHASE_STANDBY;
	d->rep.state = MIG_STANDBY;
	d->rep.protection = *p;
	return true;
}

bool mig_dest_epoch(struct mig_dest *d, struct mig_record *rec)
{
	uint64_t session = mig_get_u64(&rec->payload), seq = mig_get_u64(&rec->payload);
	uint64_t epoch = mig_get_u64(&rec->payload), lease_ns = mig_get_u64(&rec->payload);
	uint64_t fence_ns = mig_get_u64(&rec->payload);
	bool v2 = d->caps & MIG_CAP_PROTECT_AGAIN;
	/* The first form does not say its epoch: it asks for nothing after a takeover. */
	uint64_t epoch_ns = v2 ? mig_get_u64(&rec->payload) : lease_ns / 2;
	uint8_t flags = mig_get_u8(&rec->payload);
	bool manual = flags & MIG_EPOCH_MANUAL;
	uint64_t now;

	if (rec->length != (v2 ? MIG_EPOCH_BYTES : MIG_EPOCH_V1_BYTES) ||
	    flags & ~(MIG_EPOCH_LEASED | MIG_EPOCH_MANUAL | (v2 ? MIG_EPOCH_REPROTECT : 0)) ||
	    (manual && flags & MIG_EPOCH_LEASED) || !session)
		return refuse(d, "malformed EPOCH");
	if (d->phase != MIG_PHASE_STANDBY) {
		struct mig_protect_params p = { .epoch_ns = epoch_ns,
						.lease_ns = lease_ns,
						.fence_ns = fence_ns,
						.manual = manual,
						.reprotect = flags & MIG_EPOCH_REPROTECT };

		if (!become_standby(d, session, &p))
			return false;
		d->manual = manual;
	}
	if (manual != d->manual)
		return refuse(d, "EPOCH changed the protection's takeover");
	/* The first EPOCH's lease holds for the protection. */
	if (!heard(d, session, flags & MIG_EPOCH_LEASED))
		return false;
	d->epoch_seq = seq;
	if (!mig_ckpt_begin(&d->stage, epoch, d->rep.error, sizeof(d->rep.error)))
		return false;
	/* The report's figures: of checkpoints the stage took only. */
	word(d);
	now = d->last_word_ns;
	if (d->epoch_began_ns && now - d->epoch_began_ns > d->rep.epoch_gap_max_ns) {
		d->rep.epoch_gap_max_ns = now - d->epoch_began_ns;
		d->rep.epoch_gap_max_at = epoch;
	}
	d->epoch_began_ns = now;
	return true;
}

bool mig_dest_epoch_ram(struct mig_dest *d, struct mig_record *rec)
{
	struct mig_ram_forms forms;

	mig_dest_forms(d, false, &forms);
	if (!mig_ckpt_ram(&d->stage, &rec->payload, d->pages, d, &forms, d->rep.error,
			  sizeof(d->rep.error)))
		return false;
	word(d);
	return true;
}

bool mig_dest_epoch_package(struct mig_dest *d, struct mig_record *rec)
{
	if (!mig_ckpt_package(&d->stage, rec->payload.buf + rec->payload.pos, rec->length,
			      d->rep.error, sizeof(d->rep.error)))
		return false;
	word(d);
	return true;
}

/* Writes a committed page (its number checked with the record). */
static void commit_page(void *ctx, uint64_t page, const void *data)
{
	struct mig_dest *d = ctx;
	uint8_t *dst = d->ops->page(d->vm->ctx, page);

	if (data)
		memcpy(dst, data, MIG_PAGE_SIZE);
	else
		memset(dst, 0, MIG_PAGE_SIZE);
}

bool mig_dest_epoch_end(struct mig_dest *d, struct mig_record *rec)
{
	uint64_t epoch = mig_get_u64(&rec->payload), t0 = d->ops->now_ns(d->vm->ctx);
	struct mig_ram_forms forms;

	if (rec->length != 8)
		return refuse(d, "malformed EPOCH_END");
	mig_dest_forms(d, false, &forms);
	if (!mig_ckpt_commit(&d->stage, epoch, d->vm, d->pages, commit_page, d, &forms,
			     d->rep.error, sizeof(d->rep.error))) {
		if (d->stage.broken) { /* never runs it: the primary goes on alone */
			mig_dest_release(d);
			d->ops->discard(d->vm->ctx);
			d->phase = MIG_PHASE_IDLE;
		}
		return false;
	}
	lease_standby_committed(&d->lease);
	d->rep.epochs_committed++;
	word(d);
	d->committed_began_ns = d->epoch_began_ns;
	t0 = d->ops->now_ns(d->vm->ctx) - t0;
	if (t0 > d->rep.epoch_commit_max_ns)
		d->rep.epoch_commit_max_ns = t0;
	ack(d, d->epoch_seq, epoch);
	/*
	 * Its lines leave the pair here, once (the primary shows them only if it
	 * loses this standby before the acknowledgement). After it: a slow
	 * console does not hold the lease's renewal back.
	 */
	if (d->stage.output_len && d->ops->output_show)
		d->ops->output_show(d->vm->ctx, d->stage.output, d->stage.output_len);
	return true;
}

bool mig_dest_heartbeat(struct mig_dest *d, struct mig_record *rec)
{
	uint64_t session = mig_get_u64(&rec->payload), seq = mig_get_u64(&rec->payload);
	uint8_t leased = mig_get_u8(&rec->payload);

	if (rec->length != MIG_HEARTBEAT_BYTES || leased > 1 || (d->manual && leased))
		return refuse(d, "malformed HEARTBEAT");
	if (!heard(d, session, leased))
		return false;
	word(d);
	ack(d, seq, 0);
	return true;
}

void mig_dest_release(struct mig_dest *d)
{
	uint8_t out[8];
	struct mig_writer w;

	mig_ckpt_drop(&d->stage);
	mig_writer_init(&w, out, sizeof(out));
	mig_put_u64(&w, d->lease.session);
	mig_chan_send(d->ch, MIG_REC_RELEASED, 0, out, sizeof(out));
}

bool mig_dest_supervise(struct mig_dest *d, bool run, char *err, size_t err_size)
{
	if (d->phase != MIG_PHASE_STANDBY || !d->manual || !d->lease.whole) {
		format_snprintf(err, err_size,
				"no standby here waits for the supervisor (takeover=manual, its "
				"primary gone)");
		return false;
	}
	if (run) {
		mig_dest_take_over(d);
		if (d->rep.state == MIG_COMPLETED)
			format_snprintf(d->rep.error, sizeof(d->rep.error),
					"took over from checkpoint %llu on the supervisor's word",
					(unsigned long long)d->stage.committed);
		return true;
	}
	format_snprintf(d->rep.error, sizeof(d->rep.error),
			"the supervisor released this standby: its copy is discarded");
	d->ops->discard(d->vm->ctx);
	d->phase = MIG_PHASE_IDLE;
	d->rep.state = MIG_CANCELLED;
	return true;
}

enum mig_state mig_dest_take_over(struct mig_dest *d)
{
	uint64_t decided = d->ops->now_ns(d->vm->ctx);
	char why[128];

	mig_ckpt_drop(&d->stage);
	d->rep.took_over = true;
	d->rep.takeover_detect_ns = decided - d->lease.last_heard_ns;
	if (d->last_word_ns > d->committed_began_ns)
		d->rep.takeover_rollback_ns = d->last_word_ns - d->committed_began_ns;
	/*
	 * Loaded at its commit: synchronized and started in one hand-over to the
	 * vCPUs, as one flight's switchover does (its code rehearsed at HELLO);
	 * start() then only waits for them to enter.
	 */
	if (!d->ops->sync_devices(d->vm->ctx, true, why, sizeof(why))) {
		format_snprintf(d->rep.error, sizeof(d->rep.error),
				"takeover failed: %s; the VM runs nowhere", why);
		d->ops->discard(d->vm->ctx);
		d->phase = MIG_PHASE_IDLE;
		return d->rep.state = MIG_LOST;
	}
	/* No source passes frames on: the guest's own go out from its start. */
	if (d->frames && !d->frames_drained) {
		d->frames_drained = true;
		d->frames->drained(d->frames->ctx);
	}
	d->ops->start(d->vm->ctx);
	if (d->frames && d->frames->started)
		d->frames->started(d->frames->ctx);
	d->rep.takeover_start_ns = d->ops->now_ns(d->vm->ctx) - decided;
	d->phase = MIG_PHASE_RUNNING;
	/*
	 * Settled at once: the primary stopped its copy for good and never
	 * comes back to ask (a fenced primary waits for its supervisor, not
	 * for this board), so the VM may be protected or sent on from here.
	 */
	d->end_heard = true;
	format_snprintf(d->rep.error, sizeof(d->rep.error),
			"took over from checkpoint %llu: the primary was silent for its lease "
			"and the margin",
			(unsigned long long)d->stage.committed);
	return d->rep.state = MIG_COMPLETED;
}

enum mig_state mig_dest_standby_alone(struct mig_dest *d)
{
	mig_ckpt_drop(&d->stage);
	if (d->manual && d->lease.whole) {
		/* Its copy kept, as it is, until a supervisor says what becomes of it. */
		format_snprintf(d->rep.error, sizeof(d->rep.error),
				"the primary is gone after checkpoint %llu: takeover=manual, the "
				"supervisor decides",
				(unsigned long long)d->stage.committed);
		return d->rep.state = MIG_STANDBY;
	}
	if (!d->lease.whole || (!d->lease.primary_leased && !d->manual)) {
		/* Nothing it may ever run: the primary holds no lease it knows of. */
		format_snprintf(d->rep.error, sizeof(d->rep.error),
				"protection ended before a checkpoint this standby may run: "
				"its copy is discarded");
		d->ops->discard(d->vm->ctx);
		d->phase = MIG_PHASE_IDLE;
		return d->rep.state = MIG_FAILED;
	}
	for (;;) {
		uint64_t now = d->ops->now_ns(d->vm->ctx);

		if (lease_standby_may_take_over(&d->lease, now))
			return mig_dest_take_over(d);
		d->ops->idle(d->vm->ctx, d->lease.last_heard_ns + d->lease.wait_ns - now);
	}
}
