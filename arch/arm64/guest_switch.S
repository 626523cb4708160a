/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Entering a guest and coming back. arch_guest_run(regs) saves the
 * hypervisor's callee-saved registers, loads the guest's general and
 * FP/SIMD registers, PC and PSTATE from regs and ERETs to EL1. An exception
 * from the guest comes back through the lower-EL vectors to guest_exit,
 * which saves the guest's registers into the same struct and returns from
 * arch_guest_run with the vector kind (VEC_EL1_64_SYNC, ...).
 */
#include "arch/arm64/asm.h"
#include "arch/arm64/percpu.h"
#include "hyp/vcpu_regs.h"

.macro fp_regs op, base
	\op	q0, q1, [\base, #0]
	\op	q2, q3, [\base, #32]
	\op	q4, q5, [\base, #64]
	\op	q6, q7, [\base, #96]
	\op	q8, q9, [\base, #128]
	\op	q10, q11, [\base, #160]
	\op	q12, q13, [\base, #192]
	\op	q14, q15, [\base, #224]
	\op	q16, q17, [\base, #256]
	\op	q18, q19, [\base, #288]
	\op	q20, q21, [\base, #320]
	\op	q22, q23, [\base, #352]
	\op	q24, q25, [\base, #384]
	\op	q26, q27, [\base, #416]
	\op	q28, q29, [\base, #448]
	\op	q30, q31, [\base, #480]
.endm

.macro gp_regs op, base
	\op	x2, x3, [\base, #16]
	\op	x4, x5, [\base, #32]
	\op	x6, x7, [\base, #48]
	\op	x8, x9, [\base, #64]
	\op	x10, x11, [\base, #80]
	\op	x12, x13, [\base, #96]
	\op	x14, x15, [\base, #112]
	\op	x16, x17, [\base, #128]
	\op	x18, x19, [\base, #144]
	\op	x20, x21, [\base, #160]
	\op	x22, x23, [\base, #176]
	\op	x24, x25, [\base, #192]
	\op	x26, x27, [\base, #208]
	\op	x28, x29, [\base, #224]
.endm

	.section .text, "ax"
	.global arch_guest_run
arch_guest_run:
	stp	x29, x30, [sp, #-96]!
	stp	x19, x20, [sp, #16]
	stp	x21, x22, [sp, #32]
	stp	x23, x24, [sp, #48]
	stp	x25, x26, [sp, #64]
	stp	x27, x28, [sp, #80]
	mrs	x1, tpidr_el2
	str	x0, [x1, #PERCPU_GUEST]
	mov	x2, sp
	str	x2, [x1, #PERCPU_HYP_SP]

	add	x2, x0, #VCPU_REGS_FP
	fp_regs	ldp, x2
	add	x2, x2, #512
	ldp	x3, x4, [x2]
	msr	fpsr, x3
	msr	fpcr, x4
	ldr	x3, [x0, #VCPU_REGS_PC]
	msr	elr_el2, x3
	ldr	x3, [x0, #VCPU_REGS_PSTATE]
	msr	spsr_el2, x3

	gp_regs	ldp, x0
	ldr	x30, [x0, #240]
	ldp	x0, x1, [x0, #0]
	eret
	dsb	nsh	/* no speculation past the ERET */
	isb

	/* x0 = vector kind; the guest's x0 and x1 are at [sp]. */
	.global arch_guest_exit
arch_guest_exit:
	mrs	x1, tpidr_el2
	ldr	x1, [x1, #PERCPU_GUEST]
	gp_regs	stp, x1
	str	x30, [x1, #240]
	ldp	x2, x3, [sp], #16
	stp	x2, x3, [x1, #0]
	mrs	x2, elr_el2
	str	x2, [x1, #VCPU_REGS_PC]
	mrs	x2, spsr_el2
	str	x2, [x1, #VCPU_REGS_PSTATE]
	add	x2, x1, #VCPU_REGS_FP
	fp_regs	stp, x2
	mrs	x3, fpsr
	mrs	x4, fpcr
	add	x2, x2, #512
	stp	x3, x4, [x2]

	mrs	x1, tpidr_el2
	ldr	x2, [x1, #PERCPU_HYP_SP]
	mov	sp, x2
	ldp	x19, x20, [sp, #16]
	ldp	x21, x22, [sp, #32]
	ldp	x23, x24, [sp, #48]
	ldp	x25, x26, [sp, #64]
	ldp	x27, x28, [sp, #80]
	ldp	x29, x30, [sp], #96
	ret
