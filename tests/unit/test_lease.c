/* SPDX-License-Identifier: Apache-2.0 */
/**
 * Hot standby's lease rule (mig/lease.c): the calls one by one, then a
 * simulation that tries to break its promise. In each of many random
 * worlds a primary sends a message every epoch, the standby acknowledges
 * each it receives; messages are delayed, lost, reordered, the link is cut
 * (for a while or for good), either board may crash, the two clocks run
 * fast or slow within the drift the margin allows for, and the primary's
 * fencing takes up to its bound. Events run in real-time order; each board
 * sees only its own clock. Never may the standby take over while the
 * primary's VM still runs; and once the link is gone for good (or the
 * primary dead) after the standby could run the VM, it does, within its
 * wait.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mig/lease.h"

#define MS    1000000ull
#define NEVER UINT64_MAX

static void test_margin(void **state)
{
	(void)state;
	/* No drift: the fencing and the microsecond of rounding. */
	assert_int_equal(lease_margin_ns(100 * MS, 5 * MS, 0), 5 * MS + 1000);
	/* 100 ppm each way on 100 ms: 2 x 100 ppm x 100 ms = 20 us, over (1 - 100 ppm). */
	assert_int_equal(lease_margin_ns(100 * MS, 0, 100), 20003 + 1000);
	/* Far past any real clock: still a bounded, larger margin. */
	assert_true(lease_margin_ns(100 * MS, 0, 999999) > 100 * MS);
	assert_int_equal(lease_margin_ns(UINT64_MAX, UINT64_MAX, 500000), UINT64_MAX);
	/* A clock that may stand still: no wait is long enough. */
	assert_int_equal(lease_margin_ns(1, 1, 1000000), UINT64_MAX);
}

static void test_primary(void **state)
{
	struct lease_primary p;
	uint64_t a, b;

	(void)state;
	lease_primary_init(&p, 100 * MS, 7);
	a = lease_primary_send(&p, 10 * MS);
	b = lease_primary_send(&p, 30 * MS);
	/* Unprotected until the first acknowledgement: nothing owed. */
	assert_false(lease_primary_must_fence(&p, 10000 * MS));
	assert_false(lease_primary_ack(&p, 7, 0, 40 * MS));
	assert_false(lease_primary_ack(&p, 7, b + 1, 40 * MS)); /* never sent */
	assert_false(lease_primary_ack(&p, 8, b, 40 * MS));	/* another session's */
	assert_false(lease_primary_must_fence(&p, 10000 * MS));
	assert_true(lease_primary_ack(&p, 7, b, 40 * MS));
	assert_false(lease_primary_must_fence(&p, 129 * MS));
	/* An older message's acknowledgement arriving late shortens nothing. */
	assert_true(lease_primary_ack(&p, 7, a, 50 * MS));
	assert_false(lease_primary_must_fence(&p, 129 * MS));
	/* Too old to be remembered: no renewal. */
	for (unsigned i = 0; i < LEASE_WINDOW; i++)
		lease_primary_send(&p, 60 * MS);
	assert_false(lease_primary_ack(&p, 7, b, 70 * MS));
	/* Ended: fenced for good; a message's acknowledgement after the end renews nothing. */
	assert_true(lease_primary_must_fence(&p, 130 * MS));
	assert_false(lease_primary_ack(&p, 7, b + LEASE_WINDOW, 131 * MS));
	assert_true(lease_primary_must_fence(&p, 131 * MS));
}

static void test_standby(void **state)
{
	struct lease_standby s;

	(void)state;
	lease_standby_init(&s, 100 * MS, 10 * MS, 7);
	assert_false(lease_standby_may_take_over(&s, 1000 * MS)); /* heard nothing */
	/* An earlier session's message, left in flight: not heard. */
	assert_false(lease_standby_heard(&s, 40 * MS, 6, true));
	assert_true(lease_standby_heard(&s, 50 * MS, 7, false));
	lease_standby_committed(&s);
	/* The primary holds no lease it knows of: it may run on, so must the standby not. */
	assert_false(lease_standby_may_take_over(&s, 1000 * MS));
	assert_true(lease_standby_heard(&s, 60 * MS, 7, true));
	assert_false(lease_standby_may_take_over(&s, 169 * MS));
	assert_true(lease_standby_may_take_over(&s, 170 * MS));
	/* A later message starts the wait again; an earlier stamp does not move it back. */
	lease_standby_heard(&s, 150 * MS, 7, false);
	lease_standby_heard(&s, 140 * MS, 7, false);
	assert_false(lease_standby_may_take_over(&s, 259 * MS));
	assert_true(lease_standby_may_take_over(&s, 260 * MS));
	/* No whole checkpoint: nothing to run. */
	lease_standby_init(&s, 100 * MS, 10 * MS, 7);
	lease_standby_heard(&s, 60 * MS, 7, true);
	assert_false(lease_standby_may_take_over(&s, 1000 * MS));
}

/* --- the simulation ---------------------------------------------------------------- */

static uint64_t rng;

static uint64_t rnd(uint64_t n) /* 0 .. n-1 (xorshift64*) */
{
	rng ^= rng >> 12, rng ^= rng << 25, rng ^= rng >> 27;
	return n ? (rng * 2685821657736338717ull) % n : 0;
}

/* A clock: real time t (ns) reads t + t * ppm / 10^6 + offset. */
struct clock {
	int64_t ppm;
	uint64_t offset;
};

static uint64_t reading(const struct clock *c, uint64_t t)
{
	return (uint64_t)((__int128)t + (__int128)t * c->ppm / 1000000 + c->offset);
}

/* The first real time at which the clock reads `at` or more (NEVER if not before the end). */
static uint64_t when(const struct clock *c, uint64_t at)
{
	__int128 t;

	if (at <= c->offset)
		return 0;
	t = ((__int128)(at - c->offset) * 1000000 + (1000000 + c->ppm) - 1) / (1000000 + c->ppm);
	while (t > 0 && reading(c, (uint64_t)t - 1) >= at)
		t--;
	while (reading(c, (uint64_t)t) < at)
		t++;
	return (uint64_t)t;
}

enum kind { SEND, ARRIVE, ACK };

struct event {
	uint64_t t, seq;
	enum kind kind;
	bool leased;
};

#define EVENTS 4096
static struct event heap[EVENTS];
static unsigned heap_n;

static void push(struct event e)
{
	unsigned i = heap_n++;

	assert_true(heap_n <= EVENTS);
	while (i && heap[(i - 1) / 2].t > e.t) {
		heap[i] = heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	heap[i] = e;
}

static struct event pop(void)
{
	struct event top = heap[0], last = heap[--heap_n];
	unsigned i = 0;

	for (;;) {
		unsigned c = 2 * i + 1;

		if (c >= heap_n)
			break;
		if (c + 1 < heap_n && heap[c + 1].t < heap[c].t)
			c++;
		if (heap[c].t >= last.t)
			break;
		heap[i] = heap[c];
		i = c;
	}
	heap[i] = last;
	return top;
}

struct world {
	uint64_t lease, epoch, fence_max, delay_max, end;
	uint32_t drift_ppm, loss_pct;
	uint64_t cut_from, cut_to; /* the link carries nothing sent or arriving in between */
	uint64_t a_crash, b_crash; /* NEVER: no crash */
	bool tight; /* the worst case often: no delay, fencing at its bound, clocks at the edge */
	struct clock a, b;
};

static uint64_t delay(const struct world *w)
{
	return w->tight && rnd(2) ? 0 : rnd(w->delay_max + 1);
}

static bool carried(const struct world *w, uint64_t sent, uint64_t arrives)
{
	if (rnd(100) < w->loss_pct)
		return false;
	return !(sent < w->cut_to && arrives >= w->cut_from);
}

/* Whether the primary would fence at its clock's reading `now` (asked of a copy: it latches). */
static bool fence_due(const struct lease_primary *p, uint64_t now)
{
	struct lease_primary probe = *p;

	return lease_primary_must_fence(&probe, now);
}

/* One world, run to its end: the promise checked. True when the standby took over. */
static bool run_world(const struct world *w)
{
	struct lease_primary p;
	struct lease_standby s;
	uint64_t margin = lease_margin_ns(w->lease, w->fence_max, w->drift_ppm);
	uint64_t a_stop = w->a_crash, fenced_at = NEVER, took_over = NEVER;
	uint64_t eligible_at = NEVER, last_arrival = 0, prev = 0, session = 1 + rnd(1000000);
	bool gone;

	lease_primary_init(&p, w->lease, session);
	lease_standby_init(&s, w->lease, margin, session);
	heap_n = 0;
	push((struct event){ .t = rnd(w->epoch), .kind = SEND });
	for (;;) {
		bool done = !heap_n || heap[0].t >= w->end;
		uint64_t t = done ? w->end : heap[0].t;
		struct event e;

		/*
		 * The primary fences the moment its lease says so (a timer): the
		 * first real time since the last event at which its own clock's
		 * reading makes lease_primary_must_fence true.
		 */
		if (fenced_at == NEVER && fence_due(&p, reading(&w->a, t))) {
			uint64_t lo = prev,
				 hi = t; /* false at lo (or lo is the start), true at hi */

			while (lo + 1 < hi) {
				uint64_t mid = lo + (hi - lo) / 2;

				if (fence_due(&p, reading(&w->a, mid)))
					hi = mid;
				else
					lo = mid;
			}
			if (hi < w->a_crash) {
				assert_true(lease_primary_must_fence(&p, reading(&w->a, hi)));
				fenced_at = hi;
				/* its vCPUs stopped by then */
				a_stop = hi + (w->tight ? w->fence_max : rnd(w->fence_max + 1));
			}
		}
		prev = t;
		/* The standby takes over the moment its own clock says it may. */
		if (took_over == NEVER &&
		    lease_standby_may_take_over(&s, s.last_heard_ns + s.wait_ns)) {
			uint64_t at = when(&w->b, s.last_heard_ns + s.wait_ns);

			if (at <= t && at < w->b_crash) {
				took_over = at;
				/* The promise: the primary's VM stood still by then. */
				assert_true(a_stop <= took_over);
			}
		}
		if (done)
			break;
		e = pop();
		switch (e.kind) {
		case SEND: {
			uint64_t d = delay(w);

			if (t >= w->a_crash || fenced_at != NEVER)
				break; /* a stopped primary sends nothing more */
			e.seq = lease_primary_send(&p, reading(&w->a, t));
			e.leased = p.leased;
			if (carried(w, t, t + d))
				push((struct event){ .t = t + d,
						     .kind = ARRIVE,
						     .seq = e.seq,
						     .leased = e.leased });
			push((struct event){ .t = t + w->epoch, .kind = SEND });
			break;
		}
		case ARRIVE: {
			uint64_t d = delay(w);

			if (t >= w->b_crash || took_over != NEVER)
				break; /* a standby that took over acknowledges nothing */
			/* An earlier session's message, still in flight, beside it: not heard. */
			if (!rnd(8))
				assert_false(lease_standby_heard(&s, reading(&w->b, t), session + 1,
								 true));
			assert_true(lease_standby_heard(&s, reading(&w->b, t), session, e.leased));
			lease_standby_committed(&s); /* every message a whole checkpoint */
			last_arrival = t;
			if (eligible_at == NEVER && s.primary_leased)
				eligible_at = t;
			if (carried(w, t, t + d))
				push((struct event){ .t = t + d, .kind = ACK, .seq = e.seq });
			break;
		}
		case ACK:
			if (t >= w->a_crash)
				break;
			/* An earlier session's acknowledgement renews nothing. */
			if (!rnd(8))
				assert_false(lease_primary_ack(&p, session + 1, e.seq,
							       reading(&w->a, t)));
			/* Renewed while the lease holds; refused once it ended. */
			assert_true(lease_primary_ack(&p, session, e.seq, reading(&w->a, t)) ==
				    (fenced_at == NEVER));
			break;
		}
	}
	/*
	 * Liveness: the link gone for good (or the primary dead) once the
	 * standby could run the VM, and the standby alive: it took over when
	 * its wait after its last message ended, and a living primary fenced.
	 */
	gone = (w->cut_from != NEVER && w->cut_to == NEVER) || w->a_crash != NEVER;
	if (gone && eligible_at != NEVER && w->b_crash == NEVER &&
	    last_arrival + 4 * (w->lease + margin) < w->end) {
		assert_true(took_over != NEVER);
		assert_true(took_over ==
			    when(&w->b, reading(&w->b, last_arrival) + w->lease + margin));
		assert_true(a_stop != NEVER);
	}
	return took_over != NEVER;
}

static void test_never_two_running_copies(void **state)
{
	unsigned worlds = 3000, takeovers = 0;

	(void)state;
	rng = 0x9e3779b97f4a7c15ull;
	for (unsigned i = 0; i < worlds; i++) {
		struct world w = { 0 };
		uint64_t delta;

		w.lease = (20 + rnd(181)) * MS;
		w.epoch = w.lease / (2 + rnd(6));
		w.fence_max = rnd(6) * MS;
		w.delay_max = rnd(w.lease / 2);
		w.loss_pct = (uint32_t)rnd(4) * 10;
		/* Clocks as far off as the margin allows for, often at its very edge. */
		w.drift_ppm = rnd(3) ? (uint32_t)rnd(200) : (uint32_t)(1000 + rnd(50000));
		delta = w.drift_ppm;
		w.tight = !rnd(3);
		/* The primary's clock slow, the standby's fast: the two apart as far as allowed. */
		w.a.ppm = w.tight || rnd(2) ? -(int64_t)delta
					    : (int64_t)rnd(2 * delta + 1) - (int64_t)delta;
		w.b.ppm = w.tight || rnd(2) ? (int64_t)delta
					    : (int64_t)rnd(2 * delta + 1) - (int64_t)delta;
		w.a.offset = rnd(1000) * MS;
		w.b.offset = rnd(1000) * MS;
		w.cut_from = w.cut_to = NEVER;
		w.a_crash = w.b_crash = NEVER;
		switch (rnd(5)) {
		case 0: /* cut for good */
			w.cut_from = rnd(3 * w.lease);
			break;
		case 1: /* cut for a while, then back */
			w.cut_from = rnd(3 * w.lease);
			w.cut_to = w.cut_from + rnd(3 * w.lease);
			break;
		case 2: /* the primary dies */
			w.a_crash = rnd(3 * w.lease);
			break;
		case 3: /* the standby dies */
			w.b_crash = rnd(3 * w.lease);
			break;
		default: /* a lossy, slow link only */
			break;
		}
		w.end = 3 * w.lease +
			8 * (w.lease + lease_margin_ns(w.lease, w.fence_max, w.drift_ppm));
		takeovers += run_world(&w);
	}
	/* The worlds did put the rule to work: many a takeover among them, and many none. */
	assert_true(takeovers > worlds / 5 && takeovers < worlds * 4 / 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_margin),
		cmocka_unit_test(test_primary),
		cmocka_unit_test(test_standby),
		cmocka_unit_test(test_never_two_running_copies),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
