/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The crash report: what happened (ESR decoded), where (ELR, FAR), the
 * registers and a frame-pointer backtrace, written without taking the
 * console lock (its holder may be the code that crashed).
 */
#include "arch/arm64/esr.h"
#include "arch/arm64/frame.h"
#include "hyp/arch.h"
#include "hyp/console.h"
#include "lib/exit_code.h"
#include "lib/format.h"

extern char __image_start[], __image_end[], __stacks_start[], __stacks_end[];

static void crash_print(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void crash_print(const char *fmt, ...)
{
	char line[200];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	n = format_vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	console_write_unlocked(line, n < sizeof(line) ? n : sizeof(line) - 1);
}

static bool in_stacks(uint64_t addr)
{
	return addr >= (uint64_t)(uintptr_t)__stacks_start &&
	       addr + 16 <= (uint64_t)(uintptr_t)__stacks_end && (addr & 15) == 0;
}

static void backtrace(uint64_t fp)
{
	crash_print("  backtrace:");
	for (int depth = 0; depth < 16 && in_stacks(fp); depth++) {
		const uint64_t *record = (const uint64_t *)(uintptr_t)fp;

		if (record[1] == 0)
			break;
		crash_print(" 0x%llx", (unsigned long long)record[1]);
		if (record[0] <= fp)
			break; /* frames grow towards higher addresses */
		fp = record[0];
	}
	crash_print("\n");
}

_Noreturn void crash_report(const char *what, const struct arch_frame *f)
{
	static volatile int crashing;
	char desc[160];

	if (__atomic_exchange_n(&crashing, 1, __ATOMIC_ACQ_REL))
		arch_power_off(FERRY_EXIT_PANIC); /* a crash while reporting one */

	esr_describe(f->esr, desc, sizeof(desc));
	crash_print("\nFERRY PANIC on cpu%u: %s\n", arch_cpu_index(), what);
	crash_print("  ESR_EL2  0x%08llx: %s\n", (unsigned long long)f->esr, desc);
	crash_print("  FAR_EL2  0x%016llx\n", (unsigned long long)f->far);
	crash_print("  ELR_EL2  0x%016llx%s\n", (unsigned long long)f->elr,
		    f->elr >= (uint64_t)(uintptr_t)__image_start &&
				    f->elr < (uint64_t)(uintptr_t)__image_end
			    ? " (in Ferry)"
			    : "");
	crash_print("  SPSR_EL2 0x%08llx\n", (unsigned long long)f->spsr);
	for (int i = 0; i < 31; i += 3) {
		crash_print("  x%-2d 0x%016llx", i, (unsigned long long)f->x[i]);
		if (i + 1 < 31)
			crash_print("  x%-2d 0x%016llx", i + 1, (unsigned long long)f->x[i + 1]);
		if (i + 2 < 31)
			crash_print("  x%-2d 0x%016llx", i + 2, (unsigned long long)f->x[i + 2]);
		crash_print("\n");
	}
	crash_print("  sp  0x%016llx\n", (unsigned long long)f->sp);
	backtrace(f->x[29]);
	crash_print("FERRY PANIC: stopping the board\n");
	arch_power_off(FERRY_EXIT_PANIC);
}
