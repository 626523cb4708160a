/* SPDX-License-Identifier: Apache-2.0 */
/**
 * Hot standby's lease rule (design section 8): when the link between a
 * protected VM's primary board and its standby fails, which of the two may
 * run the VM. Pure arithmetic on each board's own monotonic clock (ns),
 * host-tested against simulated cuts, delays, losses, crashes and clocks
 * that run at different rates (docs/protection.md).
 *
 * The primary numbers every message it sends the standby (checkpoints,
 * heartbeats) and remembers when it sent each. The standby acknowledges
 * what it received; an acknowledgement of message n extends the
 * primary's lease to n's sending plus the lease. Once its clock passes the
 * lease's end the primary fences: it stops its VM and says so. Before its
 * first acknowledgement the primary holds no lease and owes nothing: the
 * standby has nothing it may run.
 *
 * The standby may run the VM only once it knows the primary holds a lease
 * (a message that says so arrived) and has a whole checkpoint, and only
 * after the lease plus a margin passed since the last message it received,
 * with nothing heard. That message was sent no later than it arrived, and
 * no acknowledgement extends the lease past the sending of a message the
 * standby received plus the lease: the primary's lease ends a margin
 * before the standby's wait does, whatever the link did. The margin covers
 * the primary's fencing (its lease's end to its vCPUs stopped) and the two
 * clocks' rates differing over the wait (lease_margin_ns).
 */
#ifndef MIG_LEASE_H
#define MIG_LEASE_H

#include <stdbool.h>
#include <stdint.h>

/** Messages whose sending the primary remembers: an older one's acknowledgement renews nothing. */
#define LEASE_WINDOW 64u

struct lease_primary {
	uint64_t lease_ns;
	uint64_t next_seq;   /**< the next message's number; 1 is the first */
	uint64_t expires_ns; /**< the lease's end on this clock; held only when leased */
	bool leased;	     /**< acknowledged once: fencing is owed from here on */
	struct {
		uint64_t seq, sent_ns;
	} sent[LEASE_WINDOW];
};

struct lease_standby {
	uint64_t wait_ns;	/**< the lease plus the margin */
	uint64_t last_heard_ns; /**< when the last message from the primary arrived */
	bool heard;		/**< a message arrived */
	bool primary_leased;	/**< a message said the primary holds a lease */
	bool whole;		/**< a whole checkpoint is committed here */
};

/**
 * The margin the standby waits beyond the lease: the primary's fencing at
 * most `fence_ns`, and each clock's rate off by at most `drift_ppm` (parts
 * per million, under 10^6) from real time, the two in opposite directions.
 */
uint64_t lease_margin_ns(uint64_t lease_ns, uint64_t fence_ns, uint32_t drift_ppm);

void lease_primary_init(struct lease_primary *p, uint64_t lease_ns);

/** A message goes to the standby at `now`: the number it carries. */
uint64_t lease_primary_send(struct lease_primary *p, uint64_t now);

/**
 * The standby acknowledged message `seq`: the lease extends to its sending
 * plus the lease (never shortens). False for a number never sent (a
 * hostile or confused peer: nothing renewed), or one too old to be
 * remembered (nothing renewed either).
 */
bool lease_primary_ack(struct lease_primary *p, uint64_t seq);

/** True once the primary holds a lease whose end `now` has reached: it must stop its VM. */
bool lease_primary_must_fence(const struct lease_primary *p, uint64_t now);

void lease_standby_init(struct lease_standby *s, uint64_t lease_ns, uint64_t margin_ns);

/**
 * A message from the primary arrived at `now`; `primary_leased`: it says
 * the primary held a lease when it sent it.
 */
void lease_standby_heard(struct lease_standby *s, uint64_t now, bool primary_leased);

/** A whole checkpoint is committed here: there is a VM to run. */
void lease_standby_committed(struct lease_standby *s);

/** True when the standby may run the VM at `now` (automatic takeover). */
bool lease_standby_may_take_over(const struct lease_standby *s, uint64_t now);

#endif
