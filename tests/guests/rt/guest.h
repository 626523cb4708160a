/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The tiny runtime of the bare-metal test guests. They run on QEMU virt's
 * memory map (PL011 at 0x0900_0000, GICv3 at 0x0800_0000 / 0x080a_0000),
 * the same with or without Ferry underneath, and report one line:
 * "FERRY-TEST <name>: PASS" or "FERRY-TEST <name>: FAIL <why>".
 */
#ifndef TESTS_GUESTS_GUEST_H
#define TESTS_GUESTS_GUEST_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/arm64/sysreg.h" /* sysreg_read, sysreg_write */

#define GUEST_CPU_MAX 4

/** Written by each test: runs on every CPU that comes up. */
void test_main(unsigned cpu);
/** The test's name for the verdict line. */
extern const char test_name[];

/** Called by the runtime with each exception (kind = vector index 0-15). */
struct guest_frame {
	uint64_t x[19];
	uint64_t x29, x30, elr;
};
extern void (*volatile guest_exception_hook)(unsigned kind, struct guest_frame *f);

void guest_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void guest_pass(void);
_Noreturn void guest_fail(const char *why);
_Noreturn void guest_power_off(void);

int64_t guest_psci(uint64_t fid, uint64_t a1, uint64_t a2, uint64_t a3);
/** Starts CPU `cpu` at test_main(cpu); returns the PSCI result. */
int64_t guest_cpu_on(unsigned cpu);

unsigned guest_cpu_count(void);
uint64_t guest_counter(void);
uint64_t guest_counter_freq(void);

/* GICv3 (as a guest OS uses it) */
void gic_init_distributor(void);
void gic_init_cpu(unsigned cpu);
void gic_enable_ppi(unsigned cpu, unsigned intid);
uint32_t gic_ack(void);
/** In an exception hook: fails the test unless `kind` is an IRQ, then acknowledges it. */
uint32_t guest_irq_take(unsigned kind);
void gic_eoi(uint32_t intid);
void gic_send_sgi(unsigned target_cpu, unsigned intid);

#endif
