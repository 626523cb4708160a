/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The physical CPUs of the fake arch: which one the calling thread is,
 * the private interrupts pending on each, and the idle wait they end
 * (arch_idle_wait, arch_irq_window, arch_kick_cpu of hyp/arch.h). As on
 * the board, an interrupt raised before the wait starts is not lost: it
 * stays pending and the wait returns at once.
 */
#include <pthread.h>
#include <time.h>

#include "hyp/arch.h"
#include "hyp/irq.h"
#include "tests/fake_arch/fake_internal.h"

struct fake_cpu {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	uint32_t pending;     /**< INTIDs 0-31 */
	uint64_t timer_until; /**< arch_timer_arm: the wait ends then (ns, monotonic); 0 none */
	struct fake_cpu_stats stats;
};

static struct fake_cpu cpus[FAKE_CPU_MAX];
static pthread_once_t cpus_once = PTHREAD_ONCE_INIT;
static _Thread_local unsigned this_cpu;

static void cpus_init(void)
{
	pthread_condattr_t attr;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	for (unsigned i = 0; i < FAKE_CPU_MAX; i++) {
		pthread_mutex_init(&cpus[i].lock, NULL);
		pthread_cond_init(&cpus[i].wake, &attr);
	}
	pthread_condattr_destroy(&attr);
}

static struct fake_cpu *cpu_get(unsigned cpu)
{
	if (cpu >= FAKE_CPU_MAX)
		fake_fatal("no CPU %u (the board has at most %u)", cpu, FAKE_CPU_MAX);
	pthread_once(&cpus_once, cpus_init);
	return &cpus[cpu];
}

unsigned fake_cpu_this(void) { return this_cpu; }

unsigned arch_cpu_index(void) { return this_cpu; }

void fake_cpu_set_index(unsigned cpu)
{
	cpu_get(cpu);
	this_cpu = cpu;
}

void fake_cpu_raise_irq(unsigned cpu, uint32_t intid)
{
	struct fake_cpu *c = cpu_get(cpu);

	if (intid >= 32)
		fake_fatal("INTID %u is not a private interrupt", intid);
	pthread_mutex_lock(&c->lock);
	c->pending |= 1u << intid;
	pthread_cond_broadcast(&c->wake);
	pthread_mutex_unlock(&c->lock);
}

void arch_kick_cpu(unsigned cpu)
{
	__atomic_fetch_add(&cpu_get(cpu)->stats.kicks, 1, __ATOMIC_RELAXED);
	fake_cpu_raise_irq(cpu, ARCH_KICK_INTID);
}

bool fake_cpu_irq_pending(unsigned cpu)
{
	struct fake_cpu *c = cpu_get(cpu);
	bool pending;

	pthread_mutex_lock(&c->lock);
	pending = c->pending != 0;
	pthread_mutex_unlock(&c->lock);
	return pending;
}

/*
 * The hypervisor timer (hyp/arch.h): the next wait of this CPU ends by
 * then, as the board's timer interrupt would end it (its handler only
 * stops the timer).
 */
void arch_timer_arm(uint64_t ticks)
{
	struct fake_cpu *c = cpu_get(this_cpu);

	pthread_mutex_lock(&c->lock);
	c->timer_until = arch_counter_now() + ticks; /* the fake counter counts ns */
	pthread_mutex_unlock(&c->lock);
}

void arch_timer_arm_at(uint64_t count)
{
	struct fake_cpu *c = cpu_get(this_cpu);

	pthread_mutex_lock(&c->lock);
	c->timer_until = count ? count : 1;
	pthread_mutex_unlock(&c->lock);
}

bool arch_timer_armed_at(uint64_t count)
{
	struct fake_cpu *c = cpu_get(this_cpu);
	bool armed;

	pthread_mutex_lock(&c->lock);
	armed = count && c->timer_until == count;
	pthread_mutex_unlock(&c->lock);
	return armed;
}

void arch_timer_stop(void)
{
	struct fake_cpu *c = cpu_get(this_cpu);

	pthread_mutex_lock(&c->lock);
	c->timer_until = 0;
	pthread_mutex_unlock(&c->lock);
}

bool fake_cpu_timer_expired(unsigned cpu)
{
	struct fake_cpu *c = cpu_get(cpu);
	bool expired;

	pthread_mutex_lock(&c->lock);
	expired = c->timer_until && arch_counter_now() >= c->timer_until;
	if (expired)
		c->timer_until = 0; /* its handler stops it */
	pthread_mutex_unlock(&c->lock);
	return expired;
}

/**
 * Waits (locked) until something is pending, the timer expires, or the
 * safety net ends; false on the latter.
 */
static bool wait_locked(struct fake_cpu *c)
{
	uint64_t net = arch_counter_now() + FAKE_IDLE_TIMEOUT_MS * 1000000ull;
	bool timer = c->timer_until && c->timer_until < net;
	uint64_t end = timer ? c->timer_until : net;
	struct timespec until = { (time_t)(end / 1000000000u), (long)(end % 1000000000u) };

	while (!c->pending)
		if (pthread_cond_timedwait(&c->wake, &c->lock, &until)) {
			if (timer)
				c->timer_until = 0;
			return c->pending != 0 || timer;
		}
	return true;
}

void fake_cpu_wait_irq(unsigned cpu)
{
	struct fake_cpu *c = cpu_get(cpu);

	pthread_mutex_lock(&c->lock);
	wait_locked(c);
	pthread_mutex_unlock(&c->lock);
}

/** Takes the pending interrupts and hands each to its handler, as hyp_irq_handle does. */
static void handle(struct fake_cpu *c, bool wait)
{
	uint32_t pending;

	pthread_mutex_lock(&c->lock);
	if (wait && !wait_locked(c))
		__atomic_fetch_add(&c->stats.idle_timeouts, 1, __ATOMIC_RELAXED);
	pending = c->pending;
	c->pending = 0;
	pthread_mutex_unlock(&c->lock);
	while (pending) {
		uint32_t intid = (uint32_t)__builtin_ctz(pending);

		pending &= pending - 1;
		__atomic_fetch_add(&c->stats.irqs, 1, __ATOMIC_RELAXED);
		irq_dispatch(intid);
	}
}

void arch_idle_wait(void)
{
	struct fake_cpu *c = cpu_get(this_cpu);

	__atomic_fetch_add(&c->stats.idle_waits, 1, __ATOMIC_RELAXED);
	handle(c, true);
}

void arch_irq_window(void) { handle(cpu_get(this_cpu), false); }

struct fake_cpu_stats fake_cpu_stats(unsigned cpu)
{
	struct fake_cpu *c = cpu_get(cpu);

	return (struct fake_cpu_stats){
		.kicks = __atomic_load_n(&c->stats.kicks, __ATOMIC_RELAXED),
		.idle_waits = __atomic_load_n(&c->stats.idle_waits, __ATOMIC_RELAXED),
		.idle_timeouts = __atomic_load_n(&c->stats.idle_timeouts, __ATOMIC_RELAXED),
		.irqs = __atomic_load_n(&c->stats.irqs, __ATOMIC_RELAXED),
	};
}

void fake_cpu_reset(void)
{
	for (unsigned i = 0; i < FAKE_CPU_MAX; i++) {
		struct fake_cpu *c = cpu_get(i);

		pthread_mutex_lock(&c->lock);
		c->pending = 0;
		c->stats = (struct fake_cpu_stats){ 0 };
		pthread_mutex_unlock(&c->lock);
	}
}
