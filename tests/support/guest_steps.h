/* SPDX-License-Identifier: Apache-2.0 */
/**
 * What the guests of the VM core's host tests do alike: the devices'
 * registers at the guest's addresses, a store of a value, the three stores
 * that let an interrupt through, the end of a program, the EL1 exception
 * handler, and programs that only move data, written as tables. Each runs
 * on a vCPU's thread like the rest of a guest (fake_guest.h): no cmocka
 * asserts here.
 */
#ifndef TESTS_SUPPORT_GUEST_STEPS_H
#define TESTS_SUPPORT_GUEST_STEPS_H

#include <stdbool.h>
#include <stdint.h>

#include "tests/support/guest_vm.h"

/* Device registers (GICv3 spec 12.9-12.11, PL011 TRM 3.2). */
#define GICD_CTLR	   (GUEST_GICD_IPA + 0x0)
#define GICD_TYPER	   (GUEST_GICD_IPA + 0x4)
#define GICD_IGROUPR(n)	   (GUEST_GICD_IPA + 0x80 + 4 * (n))
#define GICD_ISENABLER(n)  (GUEST_GICD_IPA + 0x100 + 4 * (n))
#define GICD_IPRIORITYR	   (GUEST_GICD_IPA + 0x400)
#define GICD_IROUTER(i)	   (GUEST_GICD_IPA + 0x6000 + 8 * (i))
#define GICR_SGI(v)	   (GUEST_GICR_IPA + 0x20000 * (v) + 0x10000)
#define GICR_IGROUPR0(v)   (GICR_SGI(v) + 0x80)
#define GICR_ISENABLER0(v) (GICR_SGI(v) + 0x100)
#define UARTDR		   (GUEST_UART_IPA + 0x00)
#define UARTFR		   (GUEST_UART_IPA + 0x18)
#define UARTIMSC	   (GUEST_UART_IPA + 0x38)
#define UARTPERIPHID0	   (GUEST_UART_IPA + 0xfe0)

/**
 * A store of `value` through x1 (mov x1, value; str x1, or w1, h1, b1 for
 * fewer bytes), like fake_guest_store: true when it trapped (*e filled).
 */
bool guest_store(struct fake_guest *g, uint64_t ipa, unsigned size, uint64_t value,
		 struct vcpu_exit *e);

/**
 * The three stores, from `at` on, that let INTID `intid` reach vCPU `vcpu`:
 * the distributor enabled for group 1, then the INTID enabled and in group
 * 1, at vCPU `vcpu`'s redistributor for an SGI or a PPI, at the
 * distributor for an SPI. For the guest's cases at, at + 4 and at + 8;
 * like guest_store.
 */
bool guest_enable_irq(struct fake_guest *g, uint64_t at, unsigned vcpu, uint32_t intid,
		      struct vcpu_exit *e);

/**
 * The interrupt handler's work in one step: the most urgent pending group 1
 * interrupt acknowledged and ended at once (fake_guest_ack, fake_guest_eoi),
 * PC on to the next instruction. Returns the INTID it took.
 */
uint32_t guest_handle_irq(struct fake_guest *g);

/** The end of a program: x0-x30 kept in `x` for the test (unless NULL), then PSCI SYSTEM_OFF. */
struct vcpu_exit guest_off(struct fake_guest *g, uint64_t *x);

/** What the guest's EL1 exception handler saw of its first four exceptions. */
struct guest_exceptions {
	unsigned handled;
	uint64_t pc[4], pstate[4], esr[4], far[4], elr[4], spsr[4];
};

/**
 * The guest's EL1 exception handler, at its vector: records where it was
 * entered, PSTATE and the EL1 syndrome registers in `seen`, and returns
 * past the instruction that took the exception (ELR_EL1 + 4, ERET).
 */
void guest_take_exception(struct fake_guest *g, struct guest_exceptions *seen);

/** One instruction of a program that only moves data (guest_play). */
struct guest_insn {
	enum { GUEST_LDR, GUEST_STR, GUEST_MRS, GUEST_MSR } op;
	uint64_t ipa;	 /**< LDR, STR */
	unsigned size;	 /**< LDR, STR: bytes (a store of fewer than 8 is from a W register) */
	unsigned form;	 /**< LDR: FAKE_MEM_* */
	unsigned enc[5]; /**< MRS, MSR: op0, op1, CRn, CRm, op2 */
	unsigned rt;	 /**< 31: xzr */
	uint64_t value;	 /**< STR, MSR: put in x[rt] first */
};

/* ldr x[rt], [ipa]; str x1 (= value), [ipa]; str xzr, [ipa]; mrs x[rt], reg; msr reg, x[rt] */
/* clang-format off */
#define LDR(ipa_, size_, rt_, form_) \
	{ .op = GUEST_LDR, .ipa = (ipa_), .size = (size_), .rt = (rt_), .form = (form_) }
#define STR(ipa_, size_, value_) \
	{ .op = GUEST_STR, .ipa = (ipa_), .size = (size_), .rt = 1, .value = (value_) }
#define STR_ZR(ipa_, size_) { .op = GUEST_STR, .ipa = (ipa_), .size = (size_), .rt = 31 }
#define MRS(reg, rt_) { .op = GUEST_MRS, .enc = { reg }, .rt = (rt_) }
#define MSR(reg, rt_, value_) { .op = GUEST_MSR, .enc = { reg }, .rt = (rt_), .value = (value_) }
/* clang-format on */

/**
 * A program at ENTRY: instruction n at AT(n), then guest_off at AT(count)
 * keeping the registers in `x`. Before the first instruction every general
 * register holds `fill` (0: as the reset left them), so that a test sees
 * which ones an instruction wrote.
 */
struct guest_program {
	const struct guest_insn *insn;
	unsigned count;
	uint64_t fill;
	uint64_t *x;
};

/* clang-format off */
#define GUEST_PROGRAM(table, fill_, x_) \
	{ .insn = (table), .count = sizeof(table) / sizeof((table)[0]), .fill = (fill_), .x = (x_) }
/* clang-format on */

/** Plays `p` as a guest (fake_guest_fn's work): up to the next exit. */
struct vcpu_exit guest_play(struct fake_guest *g, const struct guest_program *p);

#endif
