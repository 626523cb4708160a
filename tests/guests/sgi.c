/* SPDX-License-Identifier: Apache-2.0 */
/**
 * Software-generated interrupts between CPUs (ICC_SGI1R_EL1): CPU 0 and
 * CPU 1 play ping-pong 200 times; with one CPU, it sends to itself.
 */
#include "tests/guests/rt/guest.h"

const char test_name[] = "sgi";

#define ROUNDS	 200
#define SGI_PING 3

static volatile unsigned received[GUEST_CPU_MAX];
static volatile bool cpu1_ready;

static void on_irq(unsigned kind, struct guest_frame *f)
{
	unsigned cpu = (unsigned)(sysreg_read(mpidr_el1) & 0xff);
	uint32_t intid;

	(void)f;
	intid = guest_irq_take(kind);
	if (intid == SGI_PING)
		received[cpu]++;
	if (intid < 1020)
		gic_eoi(intid);
}

static void wait_for(unsigned cpu, unsigned count)
{
	uint64_t deadline = guest_counter() + guest_counter_freq() * 5;

	/* Polling, not WFI: a lost SGI must end in a verdict, not a hang. */
	while (received[cpu] < count)
		if (guest_counter() > deadline)
			guest_fail("an SGI did not arrive within 5 s");
}

void test_main(unsigned cpu)
{
	guest_exception_hook = on_irq;
	gic_enable_ppi(cpu, SGI_PING);
	__asm__ volatile("msr daifclr, #2");
	if (cpu == 1) {
		cpu1_ready = true;
		for (unsigned r = 1; r <= ROUNDS; r++) {
			wait_for(1, r);
			gic_send_sgi(0, SGI_PING);
		}
		for (;;)
			__asm__ volatile("wfi");
	}
	if (guest_cpu_count() == 1) {
		for (unsigned r = 1; r <= ROUNDS; r++) {
			gic_send_sgi(0, SGI_PING);
			wait_for(0, r);
		}
	} else {
		if (guest_cpu_on(1) != 0)
			guest_fail("CPU_ON failed");
		while (!cpu1_ready)
			;
		for (unsigned r = 1; r <= ROUNDS; r++) {
			gic_send_sgi(1, SGI_PING);
			wait_for(0, r);
		}
	}
	guest_printf("%u SGIs received by cpu0\n", received[0]);
	guest_pass();
}
