/* SPDX-License-Identifier: Apache-2.0 */
/**
 * When precopy switches over: after each round, from what the round sent
 * and how long it took (the bandwidth actually measured), the downtime the
 * remaining dirty pages would cost is estimated; the VM stops when that fits
 * the downtime limit. A guest that dirties memory faster than the link can
 * carry it is throttled (design section 7, "Bounded"): its vCPUs may dirty
 * only so many pages per second, a quarter of what the link carries at
 * first, halved after every round whose leftover did not halve, until the
 * leftover fits. Caps on rounds and total time end a migration that does
 * not converge, with the outcome the policy asks for. Pure arithmetic,
 * host-tested.
 */
#ifndef MIG_PRECOPY_POLICY_H
#define MIG_PRECOPY_POLICY_H

#include <stdbool.h>
#include <stdint.h>

enum mig_no_convergence {
	MIG_NC_KEEP_GOING, /**< more rounds, report that it is not converging */
	MIG_NC_GIVE_UP,	   /**< fail the migration; the VM goes on at the source */
	MIG_NC_SWITCH,	   /**< switch over anyway: a longer downtime than asked */
	MIG_NC_POSTCOPY,   /**< switch to postcopy: the downtime asked, the rest fetched after */
	/** throttle the guest's dirtying until the leftover fits; give up at the caps */
	MIG_NC_THROTTLE,
};

struct mig_precopy_params {
	uint64_t downtime_limit_ns;
	unsigned max_rounds;
	uint64_t max_total_ns;
	uint64_t device_bytes; /**< size of the device package (as rehearsed) */
	/** The switchover's measured cost beside its bytes: both ends' work, the latency. */
	uint64_t fixed_ns;
	/** Rounds in a row whose leftover did not shrink that mean no convergence (0: never). */
	unsigned stall_rounds;
	enum mig_no_convergence on_no_convergence;
};

/** What one round did. */
struct mig_round {
	uint64_t bytes;	      /**< put on the wire */
	uint64_t ns;	      /**< how long it took */
	uint64_t dirty_pages; /**< dirtied while it ran: the next round's work */
	uint64_t pages;	      /**< it sent (whole, sparse, as deltas, zero or unchanged) */
};

struct mig_precopy_state {
	unsigned rounds;
	uint64_t total_ns;
	uint64_t bandwidth;	       /**< bytes per second, measured */
	uint64_t expected_downtime_ns; /**< if it switched over now */
	int not_converging;	       /**< the caps were reached */
	uint64_t best_dirty_pages;     /**< the last leftover that shrank by an eighth or more */
	unsigned stalled;	       /**< rounds since the leftover last shrank */
	uint64_t last_dirty_pages;     /**< the leftover of the round before */
	/** The switchover's own measured cost alone is over the limit (admitted without it). */
	int fixed_cost_too_high;
	/** Pages per second the guest may dirty (MIG_NC_THROTTLE); 0: as many as it likes. */
	uint64_t throttle_pages_per_s;
	/**
	 * What a page written again costs on the wire, as the last round after
	 * the first measured it (MIG_PAGE_WIRE_BYTES before): such pages go as
	 * what changed in them, often a few words.
	 */
	uint64_t page_bytes;
};

enum mig_precopy_decision { MIG_NEXT_ROUND, MIG_SWITCH_OVER, MIG_GIVE_UP, MIG_GO_POSTCOPY };

/** Bytes a dirty page costs on the wire (entry and data), sent whole. */
#define MIG_PAGE_WIRE_BYTES (8u + 4096u)
/**
 * The least a page is taken to cost: an entry and a segment's word (a page
 * left out as unchanged costs nothing, but its neighbours need not).
 */
#define MIG_PAGE_WIRE_BYTES_MIN (8u + 2u + 4u + 8u)
/**
 * A round that sent less than this measures its latency more than the
 * link's bandwidth: the last measured rate stands (the first round, all of
 * RAM, always measures one).
 */
#define MIG_BANDWIDTH_ROUND_MIN_BYTES (256u * 1024u)

/**
 * The outcomes an operator chooses among (`on-no-convergence`): "throttle",
 * "postcopy", "fail". Parse: false for any other word.
 */
bool mig_no_convergence_parse(const char *word, enum mig_no_convergence *out);
const char *mig_no_convergence_name(enum mig_no_convergence nc);

/** Accounts a finished round and decides what comes next. */
enum mig_precopy_decision mig_precopy_decide(struct mig_precopy_state *s,
					     const struct mig_precopy_params *p,
					     const struct mig_round *r);

#endif
