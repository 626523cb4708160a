/* SPDX-License-Identifier: Apache-2.0 */
/** Precopy switchover policy, see precopy_policy.h. */
#include "mig/precopy_policy.h"

#define NS_PER_S 1000000000ull

enum mig_precopy_decision mig_precopy_decide(struct mig_precopy_state *s,
					     const struct mig_precopy_params *p,
					     const struct mig_round *r)
{
	uint64_t left = r->dirty_pages * MIG_PAGE_WIRE_BYTES + p->device_bytes;

	s->rounds++;
	s->total_ns += r->ns;
	/* The bandwidth of the round just measured; a round too short to time keeps the last. */
	if (r->ns >= 1000 && r->bytes)
		s->bandwidth = (uint64_t)((unsigned __int128)r->bytes * NS_PER_S / r->ns);
	s->expected_downtime_ns =
		s->bandwidth ? (uint64_t)((unsigned __int128)left * NS_PER_S / s->bandwidth)
			     : UINT64_MAX;
	if (s->expected_downtime_ns <= p->downtime_limit_ns)
		return MIG_SWITCH_OVER;
	/* The guest dirties as fast as the link carries: more rounds will not help. */
	if (s->rounds == 1 || r->dirty_pages < s->best_dirty_pages) {
		s->best_dirty_pages = r->dirty_pages;
		s->stalled = 0;
	} else {
		s->stalled++;
	}
	if ((p->max_rounds && s->rounds >= p->max_rounds) ||
	    (p->max_total_ns && s->total_ns >= p->max_total_ns) ||
	    (p->stall_rounds && s->stalled >= p->stall_rounds)) {
		s->not_converging = 1;
		switch (p->on_no_convergence) {
		case MIG_NC_GIVE_UP:
			return MIG_GIVE_UP;
		case MIG_NC_SWITCH:
			return MIG_SWITCH_OVER;
		case MIG_NC_POSTCOPY:
			return MIG_GO_POSTCOPY;
		case MIG_NC_KEEP_GOING:
		default:
			break;
		}
	}
	return MIG_NEXT_ROUND;
}
