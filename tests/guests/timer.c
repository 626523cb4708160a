/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The EL1 virtual timer (PPI 27) interrupts at a fixed rate on every CPU:
 * 100 Hz for half a second by the virtual counter, each interrupt on time,
 * and the counter never goes backwards.
 */
#include "tests/guests/rt/guest.h"

const char test_name[] = "timer";

#define HZ	     100
#define TICKS_WANTED 50
#define VTIMER	     27

static volatile unsigned ticks[GUEST_CPU_MAX];
static volatile unsigned done;
static volatile uint64_t worst_late[GUEST_CPU_MAX];
static volatile unsigned late_ticks[GUEST_CPU_MAX]; /* more than half a period late */
static uint64_t period;

static void on_irq(unsigned kind, struct guest_frame *f)
{
	unsigned cpu = (unsigned)(sysreg_read(mpidr_el1) & 0xff);
	uint32_t intid;

	(void)f;
	intid = guest_irq_take(kind);
	if (intid == VTIMER) {
		uint64_t now = guest_counter(), due = sysreg_read(cntv_cval_el0);

		if (now - due > worst_late[cpu])
			worst_late[cpu] = now - due;
		if (now - due > period / 2)
			late_ticks[cpu]++;
		ticks[cpu]++;
		/*
		 * The next tick a period after this one was due; a tick that came
		 * a whole period late (the host did not run this vCPU) starts the
		 * count again from now, or every missed period would fire at once,
		 * back to back, and on a loaded host never catch up.
		 */
		sysreg_write(cntv_cval_el0, now - due < period ? due + period : now + period);
	}
	if (intid < 1020)
		gic_eoi(intid);
}

static void run(unsigned cpu)
{
	uint64_t start, last, end;

	gic_enable_ppi(cpu, VTIMER);
	start = last = guest_counter();
	sysreg_write(cntv_cval_el0, start + period);
	sysreg_write(cntv_ctl_el0, 1);
	__asm__ volatile("msr daifclr, #2");
	while (ticks[cpu] < TICKS_WANTED) {
		uint64_t now = guest_counter();

		if (now < last)
			guest_fail("virtual counter went backwards");
		last = now;
		__asm__ volatile("wfi");
	}
	__asm__ volatile("msr daifset, #2");
	sysreg_write(cntv_ctl_el0, 0);
	end = guest_counter();
	guest_printf("cpu%u: %u ticks in %llu ms, latest tick %llu us late, %u more than half a "
		     "period late\n",
		     cpu, ticks[cpu],
		     (unsigned long long)((end - start) * 1000 / guest_counter_freq()),
		     (unsigned long long)(worst_late[cpu] * 1000000 / guest_counter_freq()),
		     late_ticks[cpu]);
	/*
	 * 50 ticks at 100 Hz: never sooner than 490 ms (the rate), and most of
	 * them on time. The host is shared: it may stall this vCPU now and then,
	 * which makes one tick late each time (the next counts from then; 11 of
	 * 50 on a host running the suite and builds beside it); a timer running
	 * slow makes every tick late.
	 */
	if (end - start < (TICKS_WANTED - 1) * period)
		guest_fail("ticks came faster than the timer's rate");
	if (late_ticks[cpu] > TICKS_WANTED / 2)
		guest_fail("more than half the ticks late: the timer runs slow");
	__atomic_fetch_add(&done, 1, __ATOMIC_SEQ_CST);
}

void test_main(unsigned cpu)
{
	period = guest_counter_freq() / HZ;
	guest_exception_hook = on_irq;
	if (cpu == 0) {
		unsigned n = guest_cpu_count();

		for (unsigned c = 1; c < n; c++)
			if (guest_cpu_on(c) != 0)
				guest_fail("CPU_ON failed");
		run(0);
		while (done < n)
			;
		guest_pass();
	}
	run(cpu);
	for (;;)
		__asm__ volatile("wfi");
}
