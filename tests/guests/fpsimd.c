/* SPDX-License-Identifier: Apache-2.0 */
/**
 * FP/SIMD registers survive exits and the hypervisor's own use of them:
 * every CPU fills v0-v31 with its own pattern, sleeps through timer
 * interrupts and MMIO exits (UART output), and checks each register.
 */
#include "tests/guests/rt/guest.h"

const char test_name[] = "fpsimd";

static volatile unsigned done;

static void on_irq(unsigned kind, struct guest_frame *f)
{
	uint32_t intid;

	(void)f;
	intid = guest_irq_take(kind);
	if (intid == 27)
		sysreg_write(cntv_ctl_el0, 0);
	if (intid < 1020)
		gic_eoi(intid);
}

/*
 * Loads v0-v31 from buf, sleeps, stores them back: no compiler code in
 * between. WFI runs with IRQs masked (it still wakes on a pending one), so
 * the timer interrupt cannot slip in before it and leave it waiting forever.
 */
static void roundtrip(uint64_t *in, uint64_t *out)
{
	__asm__ volatile("ld1 {v0.2d-v3.2d}, [%0], #64\n ld1 {v4.2d-v7.2d}, [%0], #64\n"
			 "ld1 {v8.2d-v11.2d}, [%0], #64\n ld1 {v12.2d-v15.2d}, [%0], #64\n"
			 "ld1 {v16.2d-v19.2d}, [%0], #64\n ld1 {v20.2d-v23.2d}, [%0], #64\n"
			 "ld1 {v24.2d-v27.2d}, [%0], #64\n ld1 {v28.2d-v31.2d}, [%0], #64\n"
			 "wfi\n msr daifclr, #2\n isb\n msr daifset, #2\n"
			 "st1 {v0.2d-v3.2d}, [%1], #64\n st1 {v4.2d-v7.2d}, [%1], #64\n"
			 "st1 {v8.2d-v11.2d}, [%1], #64\n st1 {v12.2d-v15.2d}, [%1], #64\n"
			 "st1 {v16.2d-v19.2d}, [%1], #64\n st1 {v20.2d-v23.2d}, [%1], #64\n"
			 "st1 {v24.2d-v27.2d}, [%1], #64\n st1 {v28.2d-v31.2d}, [%1], #64\n"
			 : "+r"(in), "+r"(out)
			 :
			 : "memory", "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9",
			   "v10", "v11", "v12", "v13", "v14", "v15", "v16", "v17", "v18", "v19",
			   "v20", "v21", "v22", "v23", "v24", "v25", "v26", "v27", "v28", "v29",
			   "v30", "v31");
}

static void run(unsigned cpu)
{
	static uint64_t in[GUEST_CPU_MAX][64], out[GUEST_CPU_MAX][64];

	gic_enable_ppi(cpu, 27);
	for (unsigned round = 0; round < 20; round++) {
		for (unsigned i = 0; i < 64; i++)
			in[cpu][i] =
				0x0123456789abcdefull * (i + 1) ^ ((uint64_t)cpu << 56) ^ round;
		/* a timer interrupt 1 ms ahead ends the WFI */
		sysreg_write(cntv_cval_el0, guest_counter() + guest_counter_freq() / 1000);
		sysreg_write(cntv_ctl_el0, 1);
		roundtrip(in[cpu], out[cpu]);
		for (unsigned i = 0; i < 64; i++)
			if (in[cpu][i] != out[cpu][i])
				guest_fail("a SIMD register changed across an exit");
		guest_printf("cpu%u round %u ok\n", cpu, round);
	}
	__atomic_fetch_add(&done, 1, __ATOMIC_SEQ_CST);
}

void test_main(unsigned cpu)
{
	guest_exception_hook = on_irq;
	if (cpu == 0) {
		unsigned n = guest_cpu_count();

		for (unsigned c = 1; c < n; c++)
			guest_cpu_on(c);
		run(0);
		while (done < n)
			;
		guest_pass();
	}
	run(cpu);
	for (;;)
		__asm__ volatile("wfi");
}
