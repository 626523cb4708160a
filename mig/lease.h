/* SPDX-License-Identifier: Apache-2.0 */
/**
 * Hot standby's lease rule (design section 8): when the link between a
 * protected VM's primary board and its standby fails, which of the two may
 * run the VM. Pure arithmetic on each board's own monotonic clock (ns),
 * host-tested against simulated cuts, delays, losses, crashes and clocks
 * that run at different rates (docs/protection.md).
 *
 * Each protection is a session with its own number (chosen at random by
 * the primary, carried by every message and acknowledgement): what an
 * earlier session left in flight counts for nothing in this one.
 *
 * The primary numbers every message it sends the standby (checkpoints,
 * heartbeats) and remembers when it sent each. The standby acknowledges
 * what it received, after it recorded it as heard, and acknowledges
 * nothing once it took over; an acknowledgement of message n extends the
 * primary's lease to n's sending plus the lease. Once its clock passes
 * the lease's end the primary fences: it stops its VM and says so, for
 * good (no later acknowledgement renews an ended lease). Before its first
 * acknowledgement the primary holds no lease and owes nothing: the
 * standby has nothing it may run.
 *
 * The standby may run the VM only once it knows the primary holds a lease
 * (a message that says so arrived) and has a whole checkpoint, and only
 * after the lease plus a margin passed since the last message it received,
 * with nothing heard. A lease comes from a message the standby received,
 * sent no later than it arrived, so no later than the last arrival: the
 * primary's lease ends a margin before the standby's wait does, whatever
 * the link did. The margin covers the primary's fencing (its lease's end
 * to its vCPUs stopped) and the two clocks' rates differing over the wait
 * (lease_margin_ns).
 */
#ifndef MIG_LEASE_H
#define MIG_LEASE_H

#include <stdbool.h>
#include <stdint.h>

/** Messages whose sending the primary remembers: an older one's acknowledgement renews nothing. */
#define LEASE_WINDOW 64u

struct lease_primary {
	uint64_t lease_ns;
	uint64_t session;
	uint64_t next_seq;   /**< the next message's number; 1 is the first */
	uint64_t expires_ns; /**< the lease's end on this clock; held only when leased */
	bool leased;	     /**< acknowledged once: fencing is owed from here on */
	bool fenced;	     /**< its lease ended: nothing renews it */
	struct {
		uint64_t seq, sent_ns;
	} sent[LEASE_WINDOW];
};

struct lease_standby {
	uint64_t session;
	uint64_t wait_ns;	/**< the lease plus the margin */
	uint64_t last_heard_ns; /**< when the last message from the primary arrived */
	bool heard;		/**< a message arrived */
	bool primary_leased;	/**< a message said the primary holds a lease */
	bool whole;		/**< a whole checkpoint is committed here */
};

/**
 * The margin the standby waits beyond the lease: the primary's fencing at
 * most `fence_ns`, and each clock's rate off by at most `drift_ppm` (parts
 * per million) from real time, the two in opposite directions. A drift of
 * 10^6 or more bounds nothing: UINT64_MAX, a standby that never takes over.
 */
uint64_t lease_margin_ns(uint64_t lease_ns, uint64_t fence_ns, uint32_t drift_ppm);

/** A new protection, `session` its number (non-zero, unlike any before). */
void lease_primary_init(struct lease_primary *p, uint64_t lease_ns, uint64_t session);

/** A message goes to the standby at `now`: the number it carries. */
uint64_t lease_primary_send(struct lease_primary *p, uint64_t now);

/**
 * The standby's acknowledgement of message `seq` of `session` arrived at
 * `now`: the lease extends to the message's sending plus the lease (never
 * shortens). False, nothing renewed, for another session's, a number never
 * sent or too old to be remembered, or once the lease ended (at `now` or
 * before: the primary fenced, or must).
 */
bool lease_primary_ack(struct lease_primary *p, uint64_t session, uint64_t seq, uint64_t now);

/**
 * True once the primary holds a lease whose end `now` has reached: it must
 * stop its VM, and stays fenced (true from then on).
 */
bool lease_primary_must_fence(struct lease_primary *p, uint64_t now);

void lease_standby_init(struct lease_standby *s, uint64_t lease_ns, uint64_t margin_ns,
			uint64_t session);

/**
 * A message of `session` from the primary arrived at `now`;
 * `primary_leased`: it says the primary held a lease when it sent it. False
 * (nothing recorded, not to be acknowledged) for another session's.
 */
bool lease_standby_heard(struct lease_standby *s, uint64_t now, uint64_t session,
			 bool primary_leased);

/** A whole checkpoint is committed here: there is a VM to run. */
void lease_standby_committed(struct lease_standby *s);

/** True when the standby may run the VM at `now` (automatic takeover). */
bool lease_standby_may_take_over(const struct lease_standby *s, uint64_t now);

#endif
