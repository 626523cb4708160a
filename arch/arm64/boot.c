/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The first C of each CPU, between the assembly entry (start.S) and the
 * board program: translation on, then ferry_boot (the boot CPU) or
 * ferry_secondary (the others), which bring up the rest.
 */
#include "boards/board.h"
#include "hyp/arch.h"

_Noreturn void hyp_boot_main(void);
_Noreturn void hyp_secondary_main(unsigned cpu);

_Noreturn void hyp_boot_main(void)
{
	const struct board_desc *b = &board_current;

	/* Only the RAM Ferry itself occupies until the device tree says more. */
	arch_mmu_init(b->ram_base, b->hyp_reserved, b->device_end);
	arch_cpu_set_mpidr();
	ferry_boot();
}

_Noreturn void hyp_secondary_main(unsigned cpu)
{
	arch_mmu_enable();
	arch_cpu_set_mpidr();
	ferry_secondary(cpu);
}

void arch_selftest_fault(void)
{
	/* Inside the 39-bit VA space but mapped by nothing: level-1 translation fault. */
	volatile uint64_t *nowhere = (volatile uint64_t *)(uintptr_t)0x7f00000000ull;

	(void)*nowhere;
}
