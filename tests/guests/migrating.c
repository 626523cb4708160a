/* SPDX-License-Identifier: Apache-2.0 */
/**
 * A guest that is migrated while it runs: it keeps rewriting pages of a
 * 16 MiB area (8 pages every 10 ms; each page holds a pattern of its number
 * and its own generation, the generations kept in memory too), prints a
 * heartbeat every 100 ms of its virtual time, and checks all of it each
 * time: every page still holds what was last written, the virtual counter
 * never went backwards. With a second vCPU, that one takes its virtual
 * timer's interrupt every 5 ms and sends an SGI to vCPU 0 every fourth
 * tick: each heartbeat also checks both kept coming. After 8 s of its own
 * time it passes, wherever it runs by then. With HEARTBEAT_US it also
 * prints "hb T" every that many µs, T its own time in µs read just before,
 * nine digits, so that every such line takes as long to write
 * (bench/downtime.py times the first byte of each such line from outside).
 * With SLEEPS, vCPU 0 waits in WFI between its deadlines instead of polling.
 */
#include "tests/guests/rt/guest.h"

#ifndef GUEST_NAME
#define GUEST_NAME "migrating"
#endif
const char test_name[] = GUEST_NAME;

#define AREA_START 0x40400000ull
#ifndef AREA_PAGES
#define AREA_PAGES 4096u /* 16 MiB */
#endif
#define WORDS 512u /* per page */
#ifndef RUN_MS
#define RUN_MS 8000u
#endif
#define BEAT_MS 100u
#define PACE_MS 10u
#ifndef PAGES_PER_PACE
#define PAGES_PER_PACE 8u /* 3.2 MB/s of rewritten memory */
#endif
/* Each heartbeat checks this share of the area (1: all of it), the next share the next time. */
#ifndef CHECK_SHARES
#define CHECK_SHARES 1u
#endif

static uint32_t generation[AREA_PAGES + 1];
static const volatile unsigned area_pages = AREA_PAGES;		/* 0 for the all-zero variant */
static const volatile unsigned pages_per_pace = PAGES_PER_PACE; /* 0 for the idle variant */
#ifndef HEARTBEAT_US
#define HEARTBEAT_US 0u
#endif
static const volatile unsigned heartbeat_us = HEARTBEAT_US; /* 0: none */

#define VTIMER_INTID 27
#define SGI_TICK     2
#define TICK_MS	     5u

static volatile unsigned ticks, sgis;

#ifndef SLEEPS
#define SLEEPS 0u
#endif
/* 1: vCPU 0 waits for its next deadline in WFI, woken by its timer; 0: it polls the counter. */
static const volatile unsigned sleeps = SLEEPS;

static void on_irq(unsigned kind, struct guest_frame *f)
{
	uint32_t intid;

	(void)f;
	intid = guest_irq_take(kind);
	if (intid == VTIMER_INTID && (sysreg_read(mpidr_el1) & 0xff) == 0) {
		sysreg_write(cntv_ctl_el0, 0); /* vCPU 0's wake-up from sleep_until: once */
	} else if (intid == VTIMER_INTID) {
		/* The next tick, from the last deadline: the line drops before EOI. */
		sysreg_write(cntv_cval_el0,
			     sysreg_read(cntv_cval_el0) + guest_counter_freq() * TICK_MS / 1000);
		if (++ticks % 4 == 0)
			gic_send_sgi(0, SGI_TICK);
	} else if (intid == SGI_TICK) {
		sgis++;
	}
	if (intid < 1020)
		gic_eoi(intid);
}

/* vCPU 1: the timer's interrupts, and SGIs to vCPU 0. */
static _Noreturn void ticker(void)
{
	gic_enable_ppi(1, VTIMER_INTID);
	sysreg_write(cntv_cval_el0, guest_counter() + guest_counter_freq() * TICK_MS / 1000);
	sysreg_write(cntv_ctl_el0, 1);
	__asm__ volatile("msr daifclr, #2");
	for (;;)
		__asm__ volatile("wfi");
}

/*
 * Every tenth heartbeat (a second; the host may stall a vCPU for a while,
 * a lost interrupt stops the count for good): with two vCPUs, timer ticks
 * and SGIs must have kept coming.
 */
static void check_interrupts(unsigned beat)
{
	static unsigned last_ticks, last_sgis;

	if (guest_cpu_count() < 2 || beat % 10)
		return;
	if (beat > 10 && (ticks == last_ticks || sgis == last_sgis)) {
		guest_printf("ticks %u (a second ago %u), SGIs %u (a second ago %u)\n", ticks,
			     last_ticks, sgis, last_sgis);
		guest_fail("the timer's interrupts or the SGIs stopped");
	}
	last_ticks = ticks;
	last_sgis = sgis;
}

static uint64_t pattern(unsigned page, uint32_t gen, unsigned word)
{
	return ((uint64_t)page << 40 | (uint64_t)gen << 12 | word) * 0x9e3779b97f4a7c15ull;
}

static void write_page(unsigned page)
{
	volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)(AREA_START + page * 4096ull);
	uint32_t gen = ++generation[page];

	for (unsigned w = 0; w < WORDS; w++)
		p[w] = pattern(page, gen, w);
}

static void check_share(unsigned beat)
{
	unsigned share = area_pages / CHECK_SHARES, from = (beat % CHECK_SHARES) * share;

	for (unsigned page = from; page < from + share; page++) {
		volatile uint64_t *p =
			(volatile uint64_t *)(uintptr_t)(AREA_START + page * 4096ull);

		for (unsigned w = 0; w < WORDS; w += 37)
			if (p[w] != pattern(page, generation[page], w)) {
				guest_printf("page %u word %u: 0x%llx, expected generation %u\n",
					     page, w, (unsigned long long)p[w], generation[page]);
				guest_fail("memory lost a write");
			}
	}
}

static void sleep_until(uint64_t when)
{
	if (guest_counter() >= when)
		return;
	/*
	 * Masked from arming to waking (a pending interrupt ends a WFI even
	 * then, Arm ARM D1.6.2): taken before the WFI, it would leave it asleep.
	 */
	__asm__ volatile("msr daifset, #2");
	sysreg_write(cntv_cval_el0, when);
	sysreg_write(cntv_ctl_el0, 1);
	__asm__ volatile("isb; wfi; msr daifclr, #2; isb" ::: "memory");
}

void test_main(unsigned cpu)
{
	uint64_t freq = guest_counter_freq(), start = guest_counter(), last = start, next_beat;
	uint64_t next_pace = start, next_hb = start;
	unsigned beat = 0, cursor = 0, written = 0;

	guest_exception_hook = on_irq;
	if (cpu == 1)
		ticker();
	if (sleeps) {
		gic_enable_ppi(0, VTIMER_INTID);
		__asm__ volatile("msr daifclr, #2");
	}
	if (guest_cpu_count() > 1) {
		gic_enable_ppi(0, SGI_TICK);
		__asm__ volatile("msr daifclr, #2");
		if (guest_cpu_on(1) != 0)
			guest_fail("CPU_ON of vCPU 1 failed");
	}
	for (unsigned page = 0; page < area_pages; page++)
		write_page(page);
	next_beat = start + freq * BEAT_MS / 1000;
	for (;;) {
		uint64_t now = guest_counter();

		if (now < last)
			guest_fail("the virtual counter went backwards");
		last = now;
		if (now >= next_pace) {
			for (unsigned i = 0; i < pages_per_pace && area_pages; i++) {
				write_page(cursor);
				cursor = (cursor * 5 + 1) % area_pages;
			}
			written += area_pages ? pages_per_pace : 0;
			next_pace += freq * PACE_MS / 1000;
		}
		if (heartbeat_us && now >= next_hb) {
			/* Read again: writing pages above may have taken a while (throttled). */
			uint64_t at = guest_counter();

			guest_printf("hb %09llu\n",
				     (unsigned long long)((at - start) * 1000000 / freq));
			next_hb = at + freq * heartbeat_us / 1000000;
		}
		if (now < next_beat) {
			uint64_t wake = next_pace < next_beat ? next_pace : next_beat;

			if (heartbeat_us && next_hb < wake)
				wake = next_hb;
			if (sleeps)
				sleep_until(wake);
			continue;
		}
		check_share(beat);
		check_interrupts(++beat);
		guest_printf("beat %u at %llu ms: %u pages checked, %u timer ticks, %u SGIs, %u "
			     "pages written\n",
			     beat, (unsigned long long)((now - start) * 1000 / freq),
			     area_pages / CHECK_SHARES, ticks, sgis, written);
		next_beat = now + freq * BEAT_MS / 1000; /* no catching up after a stall */
		if ((now - start) * 1000 / freq >= RUN_MS)
			guest_pass();
	}
}
