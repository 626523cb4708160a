/* SPDX-License-Identifier: Apache-2.0 */
/*
 * EL2 entry. QEMU (and firmware on a real board) enters the boot CPU at
 * _start at EL2 with the MMU off; PSCI CPU_ON enters each secondary CPU at
 * arch_secondary_entry with x0 = the context id we passed (its CPU index).
 */
#include "arch/arm64/asm.h"
#include "arch/arm64/percpu.h"

	.section .text.boot, "ax"
	.global _start
_start:
	msr	daifset, #0xf
	mrs	x9, CurrentEL
	cmp	x9, #(2 << 2)
	b.ne	wrong_el
	mov	x19, #0

	/* Clear .bss before any C runs (the stacks live outside it). */
	adrp	x1, __bss_start
	add	x1, x1, :lo12:__bss_start
	adrp	x2, __bss_end
	add	x2, x2, :lo12:__bss_end
1:	cmp	x1, x2
	b.hs	cpu_common
	str	xzr, [x1], #8
	b	1b

	.global arch_secondary_entry
arch_secondary_entry:
	msr	daifset, #0xf
	mov	x19, x0

cpu_common:
	/* sp = __stacks_start + (index + 1) * ARCH_STACK_SIZE */
	adrp	x1, __stacks_start
	add	x1, x1, :lo12:__stacks_start
	add	x2, x19, #1
	mov	x3, #ARCH_STACK_SIZE
	madd	x1, x2, x3, x1
	mov	sp, x1
	/* TPIDR_EL2 = &arch_percpu[index] */
	adrp	x1, arch_percpu
	add	x1, x1, :lo12:arch_percpu
	mov	x2, #PERCPU_SIZE
	madd	x1, x19, x2, x1
	str	x19, [x1, #PERCPU_INDEX]
	msr	tpidr_el2, x1

	adrp	x1, arch_vectors
	add	x1, x1, :lo12:arch_vectors
	msr	vbar_el2, x1

	/*
	 * FP/SIMD usable at EL2 (CPTR_EL2.TFP = 0): hypervisor code and newlib
	 * may use it, and the guest's FP/SIMD state is saved on every entry
	 * from a guest. SVE stays trapped (TZ = 1). Arm ARM D19.2.30.
	 */
	mov	x1, #0x33ff
	msr	cptr_el2, x1

	/*
	 * HCR_EL2: EL1 is AArch64 (RW); physical IRQ, FIQ and SError are
	 * routed to EL2 (IMO/FMO/AMO), which also lets EL2 itself take them.
	 */
	mov	x1, #(1 << 31)
	orr	x1, x1, #(7 << 3)
	msr	hcr_el2, x1
	isb

	mov	x29, #0
	mov	x30, #0
	mov	x0, x19
	cbnz	x19, 2f
	bl	hyp_boot_main
	b	wrong_el
2:	bl	hyp_secondary_main

wrong_el:
	wfe
	b	wrong_el
