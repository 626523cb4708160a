/* SPDX-License-Identifier: Apache-2.0 */
/**
 * Hardware bring-up of each CPU, between the assembly entry (start.S) and
 * the arch-neutral hyp_main: translation on, console, board check,
 * interrupt controller, timer.
 */
#include "boards/board.h"
#include "drivers/gicv3.h"
#include "drivers/pl011.h"
#include "hyp/arch.h"
#include "hyp/board_check.h"
#include "hyp/bootargs.h"
#include "hyp/console.h"
#include "hyp/exit_code.h"
#include "hyp/main.h"

_Noreturn void hyp_boot_main(void);
_Noreturn void hyp_secondary_main(unsigned cpu);

static void report_problem(void *ctx, const char *message)
{
	(void)ctx;
	console_printf("board: %s\n", message);
}

_Noreturn void hyp_boot_main(void)
{
	const struct board_desc *b = &board_current;
	static struct board_facts facts;
	unsigned problems;

	/* Only the RAM Ferry itself occupies until the device tree says more. */
	arch_mmu_init(b->ram_base, b->hyp_reserved, b->device_end);
	pl011_init(b->uart.base, b->uart.clock_hz, 115200);
	console_init(pl011_write);

	/* The DTB may use the RAM between its address and Ferry's image. */
	problems = board_check((const void *)(uintptr_t)b->dtb_addr, b->image_base - b->dtb_addr, b,
			       &facts, report_problem, NULL);
	/* Before anything can fail: the exit code must reach the launcher. */
	if (bootargs_flag(facts.bootargs, "ferry.semihosting"))
		arch_semihosting_enable();
	if (problems) {
		console_printf("Ferry: this board is not %s (%u problems): stopping\n", b->name,
			       problems);
		arch_power_off(FERRY_EXIT_BAD_BOARD);
	}
	arch_mmu_extend_ram(facts.ram_base, facts.ram_size);

	arch_cpu_set_mpidr();
	gicv3_init(b->gic.gicd_base, b->gic.gicr_base, b->gic.gicr_stride);
	if (gicv3_cpu_init(0, arch_cpu_mpidr()) != 0) {
		console_printf("Ferry: no GIC redistributor for the boot CPU: stopping\n");
		arch_power_off(FERRY_EXIT_BAD_BOARD);
	}
	hyp_main(b, &facts);
}

_Noreturn void hyp_secondary_main(unsigned cpu)
{
	arch_mmu_enable();
	arch_cpu_set_mpidr();
	if (gicv3_cpu_init(cpu, arch_cpu_mpidr()) != 0) {
		console_printf("cpu%u: no GIC redistributor for MPIDR 0x%llx: parked\n", cpu,
			       (unsigned long long)arch_cpu_mpidr());
		for (;;)
			__asm__ volatile("wfi");
	}
	hyp_secondary(cpu);
}

void arch_selftest_fault(void)
{
	/* Inside the 39-bit VA space but mapped by nothing: level-1 translation fault. */
	volatile uint64_t *nowhere = (volatile uint64_t *)(uintptr_t)0x7f00000000ull;

	(void)*nowhere;
}
