/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The guest's network frames the source passes on after its VM left
 * (engine.h, struct mig_frames_ops): FRAMES records, from the moment the VM
 * is known to run there, the last flagged MIG_FLAG_LAST once the
 * destination's announce was heard here or MIG_FRAMES_WAIT_NS after the
 * first (and after VM_STARTED).
 */
#include "mig/page_sets.h"
#include "mig/source_internal.h"

int mig_source_pass_frames(struct mig_source *s, bool wait)
{
	const struct mig_frames_ops *f = s->cfg.frames;

	if (!f || s->frames_done)
		return 0;
	for (;;) {
		bool drained = false;
		size_t n = f->take(f->ctx, s->buf + MIG_RECORD_HEADER_SIZE,
				   MIG_RECORD_MAX - MIG_RECORD_HEADER_SIZE, &drained);
		bool last = drained || s->ops->now_ns(s->vm->ctx) >= s->frames_until;

		if (n || last) {
			mig_chan_header(s->buf, MIG_REC_FRAMES, last ? MIG_FLAG_LAST : 0,
					(uint32_t)n);
			if (mig_chan_send_laid_out(s->ch, s->buf, MIG_RECORD_HEADER_SIZE + n))
				return -1;
			s->rep.frames_passed_bytes += n;
		}
		if (last) {
			s->frames_done = true;
			return 0;
		}
		/* A millisecond's pumping: the frames still on their way here come in. */
		if (!wait)
			return 0;
		if (mig_chan_ready(s->ch, 1) < 0)
			return -1;
	}
}

int mig_source_pass_frames_early(struct mig_source *s)
{
	const struct mig_frames_ops *f = s->cfg.frames;

	if (!f || s->frames_done || (!s->runs_there && !(f->gone && f->gone(f->ctx))))
		return 0;
	if (!s->frames_begun) {
		s->frames_begun = true;
		s->frames_until = s->ops->now_ns(s->vm->ctx) + MIG_FRAMES_WAIT_NS;
	}
	return mig_source_pass_frames(s, false);
}
