/* SPDX-License-Identifier: Apache-2.0 */
/** Hot standby's lease rule, see lease.h. */
#include "mig/lease.h"

#include <string.h>

#define PPM 1000000u

/*
 * In real time, with δ = drift_ppm / 10^6: the primary's lease of L on its
 * clock, which may run slow, ends at most L / (1 - δ) after the sending of
 * the last message the standby received, and its vCPUs stand still F
 * later at most; the standby's wait of L + M on its clock, which may run
 * fast, lasts at least (L + M) / (1 + δ) from that message's arrival, no
 * earlier than its sending. The wait ends after the fencing when
 * (L + M) / (1 + δ) > L / (1 - δ) + F, that is when
 * M > L * 2δ / (1 - δ) + F * (1 + δ): that, rounded up, and a microsecond
 * for the rounding of each clock's reading.
 */
uint64_t lease_margin_ns(uint64_t lease_ns, uint64_t fence_ns, uint32_t drift_ppm)
{
	unsigned __int128 d = drift_ppm, clocks, fence, m;

	if (drift_ppm >= PPM)
		return UINT64_MAX; /* a clock that may stand still bounds nothing */
	clocks = ((unsigned __int128)lease_ns * 2u * d + (PPM - d) - 1) / (PPM - d);
	fence = ((unsigned __int128)fence_ns * (PPM + d) + PPM - 1) / PPM;
	m = clocks + fence + 1000u;
	return m > UINT64_MAX ? UINT64_MAX : (uint64_t)m;
}

void lease_primary_init(struct lease_primary *p, uint64_t lease_ns, uint64_t session)
{
	memset(p, 0, sizeof(*p));
	p->lease_ns = lease_ns;
	p->session = session;
	p->next_seq = 1;
}

uint64_t lease_primary_send(struct lease_primary *p, uint64_t now)
{
	uint64_t seq = p->next_seq++;

	p->sent[seq % LEASE_WINDOW].seq = seq;
	p->sent[seq % LEASE_WINDOW].sent_ns = now;
	return seq;
}

bool lease_primary_ack(struct lease_primary *p, uint64_t session, uint64_t seq, uint64_t now)
{
	uint64_t end;

	if (lease_primary_must_fence(p, now) || session != p->session || !seq ||
	    seq >= p->next_seq || p->sent[seq % LEASE_WINDOW].seq != seq)
		return false;
	end = p->sent[seq % LEASE_WINDOW].sent_ns + p->lease_ns;
	if (end < p->sent[seq % LEASE_WINDOW].sent_ns)
		end = UINT64_MAX;
	if (!p->leased || end > p->expires_ns)
		p->expires_ns = end;
	p->leased = true;
	return true;
}

bool lease_primary_must_fence(struct lease_primary *p, uint64_t now)
{
	if (p->leased && now >= p->expires_ns)
		p->fenced = true;
	return p->fenced;
}

void lease_standby_init(struct lease_standby *s, uint64_t lease_ns, uint64_t margin_ns,
			uint64_t session)
{
	memset(s, 0, sizeof(*s));
	s->session = session;
	s->wait_ns = lease_ns + margin_ns < lease_ns ? UINT64_MAX : lease_ns + margin_ns;
}

bool lease_standby_heard(struct lease_standby *s, uint64_t now, uint64_t session,
			 bool primary_leased)
{
	if (session != s->session)
		return false;
	if (!s->heard || now > s->last_heard_ns)
		s->last_heard_ns = now;
	s->heard = true;
	s->primary_leased |= primary_leased;
	return true;
}

void lease_standby_committed(struct lease_standby *s) { s->whole = true; }

bool lease_standby_may_take_over(const struct lease_standby *s, uint64_t now)
{
	return s->heard && s->primary_leased && s->whole && now >= s->last_heard_ns &&
	       now - s->last_heard_ns >= s->wait_ns;
}
