/* SPDX-License-Identifier: Apache-2.0 */
/** Precopy switchover policy, see precopy_policy.h. */
#include "mig/precopy_policy.h"

#include <string.h>

#define NS_PER_S 1000000000ull

static const struct {
	const char *word;
	enum mig_no_convergence nc;
} choices[] = {
	{ "throttle", MIG_NC_THROTTLE },
	{ "postcopy", MIG_NC_POSTCOPY },
	{ "fail", MIG_NC_GIVE_UP },
};

bool mig_no_convergence_parse(const char *word, enum mig_no_convergence *out)
{
	for (size_t i = 0; i < sizeof(choices) / sizeof(choices[0]); i++)
		if (!strcmp(word, choices[i].word)) {
			*out = choices[i].nc;
			return true;
		}
	return false;
}

const char *mig_no_convergence_name(enum mig_no_convergence nc)
{
	for (size_t i = 0; i < sizeof(choices) / sizeof(choices[0]); i++)
		if (choices[i].nc == nc)
			return choices[i].word;
	return "keep-going";
}

/*
 * Throttling: the guest dirtying at half the link's rate or more (or a
 * leftover that stopped shrinking) is limited to a quarter of what the
 * link carries, so that each round's leftover is at most about a quarter
 * of the one before; a round whose leftover did not halve anyway halves
 * the limit (QEMU's auto-converge tightens the same way, by steps). At the
 * floor, one page per second, the leftover is what the guest dirties in a
 * round that short: it fits. Nothing is decided before a bandwidth was
 * measured.
 */
static void throttle(struct mig_precopy_state *s, const struct mig_precopy_params *p,
		     const struct mig_round *r, uint64_t dirty_bytes_per_s)
{
	uint64_t link_pages = s->bandwidth / s->page_bytes;

	if (!s->bandwidth)
		return;
	if (!s->throttle_pages_per_s) {
		if (dirty_bytes_per_s >= s->bandwidth / 2 ||
		    (p->stall_rounds && s->stalled >= p->stall_rounds))
			s->throttle_pages_per_s = link_pages / 4 ? link_pages / 4 : 1;
	} else if (r->dirty_pages * 2 > s->last_dirty_pages) {
		s->throttle_pages_per_s =
			s->throttle_pages_per_s / 2 ? s->throttle_pages_per_s / 2 : 1;
	}
}

enum mig_precopy_decision mig_precopy_decide(struct mig_precopy_state *s,
					     const struct mig_precopy_params *p,
					     const struct mig_round *r)
{
	uint64_t left;
	unsigned __int128 rate;
	uint64_t dirty_rate;
	bool capped;

	s->rounds++;
	s->total_ns += r->ns;
	/*
	 * The first round sends all of RAM, mostly once and much of it zero
	 * runs: what its pages cost says nothing of pages written again. Each
	 * later round's pages are such pages, as the next round's will be.
	 */
	if (s->rounds == 1 || !s->page_bytes)
		s->page_bytes = MIG_PAGE_WIRE_BYTES;
	if (s->rounds > 1 && r->pages) {
		uint64_t per = r->bytes / r->pages;

		s->page_bytes = per < MIG_PAGE_WIRE_BYTES_MIN ? MIG_PAGE_WIRE_BYTES_MIN
				: per > MIG_PAGE_WIRE_BYTES   ? MIG_PAGE_WIRE_BYTES
							      : per;
	}
	left = r->dirty_pages * s->page_bytes + p->device_bytes;
	rate = r->ns ? (unsigned __int128)r->dirty_pages * s->page_bytes * NS_PER_S / r->ns : 0;
	dirty_rate = rate > UINT64_MAX ? UINT64_MAX : (uint64_t)rate;
	/*
	 * The bandwidth of the round just measured; a round too short to time
	 * keeps the last, and so does one too small to fill the link (unless
	 * none was measured yet).
	 */
	if (r->ns >= 1000 && r->bytes &&
	    (r->bytes >= MIG_BANDWIDTH_ROUND_MIN_BYTES || !s->bandwidth))
		s->bandwidth = (uint64_t)((unsigned __int128)r->bytes * NS_PER_S / r->ns);
	s->expected_downtime_ns =
		s->bandwidth ? (uint64_t)((unsigned __int128)left * NS_PER_S / s->bandwidth) +
				       p->fixed_ns
			     : UINT64_MAX;
	/*
	 * A limit that the switchover's own measured cost (the package and the
	 * fixed part, nothing left) does not fit cannot be met by any leftover:
	 * `fail` gives up at once; otherwise the VM is admitted on the pages
	 * left alone, as if that cost were nil, and the report says so.
	 */
	s->fixed_cost_too_high = s->bandwidth && (uint64_t)((unsigned __int128)p->device_bytes *
							    NS_PER_S / s->bandwidth) +
								 p->fixed_ns >
							 p->downtime_limit_ns;
	if (s->fixed_cost_too_high && p->on_no_convergence == MIG_NC_GIVE_UP) {
		s->not_converging = 1;
		return MIG_GIVE_UP;
	}
	if ((s->fixed_cost_too_high ? s->expected_downtime_ns - p->fixed_ns
				    : s->expected_downtime_ns) <= p->downtime_limit_ns)
		return MIG_SWITCH_OVER;
	/*
	 * The guest dirties as fast as the link carries: more rounds will not
	 * help. A leftover that shrank by less than an eighth did not shrink:
	 * the pages a guest rewrites after their copy in every round wander
	 * from round to round (2752, 2739, 2681, 2642, 2630, 2779, 2611 pages
	 * of a 16 MiB working set, each round a new low or next to one).
	 */
	if (s->rounds == 1 || r->dirty_pages * 8 < s->best_dirty_pages * 7) {
		s->best_dirty_pages = r->dirty_pages;
		s->stalled = 0;
	} else {
		s->stalled++;
	}
	capped = (p->max_rounds && s->rounds >= p->max_rounds) ||
		 (p->max_total_ns && s->total_ns >= p->max_total_ns);
	if (p->on_no_convergence == MIG_NC_THROTTLE) {
		throttle(s, p, r, dirty_rate);
		s->last_dirty_pages = r->dirty_pages;
		if (!capped)
			return MIG_NEXT_ROUND;
		s->not_converging = 1;
		return MIG_GIVE_UP;
	}
	if (capped || (p->stall_rounds && s->stalled >= p->stall_rounds)) {
		s->not_converging = 1;
		switch (p->on_no_convergence) {
		case MIG_NC_GIVE_UP:
			return MIG_GIVE_UP;
		case MIG_NC_SWITCH:
			return MIG_SWITCH_OVER;
		case MIG_NC_POSTCOPY:
			return MIG_GO_POSTCOPY;
		case MIG_NC_THROTTLE:
		case MIG_NC_KEEP_GOING:
		default:
			break;
		}
	}
	return MIG_NEXT_ROUND;
}
