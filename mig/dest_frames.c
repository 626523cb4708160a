/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The guest's network frames the source passes on (FRAMES, engine.h): each
 * length checked before its frame goes to the VM's device, in order.
 */
#include "lib/format.h"
#include "mig/dest_internal.h"
#include "mig/page_sets.h"

void mig_dest_set_frames(struct mig_dest *d, const struct mig_frames_ops *frames)
{
	d->frames = frames;
}

bool mig_dest_frames(struct mig_dest *d, struct mig_record *rec)
{
	struct mig_reader *r = &rec->payload;

	if (!d->frames || d->frames_drained) {
		format_snprintf(d->rep.error, sizeof(d->rep.error),
				d->frames ? "FRAMES after the last"
					  : "FRAMES for a VM without a network device");
		return false;
	}
	while (mig_remaining(r)) {
		uint16_t len = mig_get_u16(r);

		/* Read in place: the record holds it whole, its length is checked first. */
		if (r->error || !len || len > MIG_FRAME_MAX || len > mig_remaining(r)) {
			format_snprintf(d->rep.error, sizeof(d->rep.error), "malformed FRAMES");
			return false;
		}
		d->frames->deliver(d->frames->ctx, r->buf + r->pos, len);
		r->pos += len;
	}
	if (rec->flags & MIG_FLAG_LAST) {
		d->frames_drained = true;
		d->frames->drained(d->frames->ctx);
	}
	return true;
}
