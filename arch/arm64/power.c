/* SPDX-License-Identifier: Apache-2.0 */
/**
 * Ending the machine. With QEMU's -semihosting, SYS_EXIT ends QEMU with the
 * exit code we choose, which is how tests receive a verdict; without it,
 * PSCI SYSTEM_OFF powers the board off (QEMU then exits with 0).
 */
#include "arch/arm64/psci_call.h"
#include "hyp/arch.h"
#include "hyp/console.h"
#include "lib/exit_code.h"
#include "lib/format.h"

/* Arm semihosting v2: SYS_EXIT, ADP_Stopped_ApplicationExit */
#define SEMIHOSTING_SYS_EXIT	     0x18
#define ADP_STOPPED_APPLICATION_EXIT 0x20026

static bool semihosting_on;

void arch_semihosting_enable(void) { semihosting_on = true; }

static void semihosting_exit(int code)
{
	/* On AArch64 the parameter block is {reason, exit code}. */
	uint64_t block[2] = { ADP_STOPPED_APPLICATION_EXIT, (uint64_t)(int64_t)code };
	register uint64_t x0 __asm__("x0") = SEMIHOSTING_SYS_EXIT;
	register uint64_t x1 __asm__("x1") = (uint64_t)(uintptr_t)block;

	__asm__ volatile("hlt #0xf000" : "+r"(x0) : "r"(x1) : "memory");
}

_Noreturn void arch_power_off(int code)
{
	char line[64];
	size_t n = format_snprintf(line, sizeof(line), "\n" FERRY_EXIT_LINE "%d\n", code);

	/* Unlocked: a CPU that crashed holding the console's lock powers off too. */
	console_write_unlocked(line, n < sizeof(line) ? n : sizeof(line) - 1);
	if (semihosting_on)
		semihosting_exit(code);
	psci_call(PSCI_SYSTEM_OFF, 0, 0, 0);
	for (;;)
		__asm__ volatile("wfi");
}
