/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Entry of the bare-metal test guests at EL1 (Linux arm64 boot protocol:
 * MMU off, x0 = DTB). CPU 0 enters at _start; secondaries started with PSCI
 * CPU_ON enter at guest_secondary_entry with x0 = their index.
 */
	.section .text.boot, "ax"
	.global _start
_start:
	mov	x19, #0
	b	1f

	.global guest_secondary_entry
guest_secondary_entry:
	mov	x19, x0
1:	msr	daifset, #0xf
	/* FP/SIMD on (CPACR_EL1.FPEN = 0b11) */
	mov	x1, #(3 << 20)
	msr	cpacr_el1, x1
	isb
	adrp	x1, guest_vectors
	add	x1, x1, :lo12:guest_vectors
	msr	vbar_el1, x1
	/* sp = stacks + (index + 1) * 16 KiB */
	adrp	x1, guest_stacks
	add	x1, x1, :lo12:guest_stacks
	add	x2, x19, #1
	lsl	x2, x2, #14
	add	sp, x1, x2
	mov	x0, x19
	bl	guest_cpu_main
2:	wfi
	b	2b

	.section .bss
	.balign	16
	.global guest_stacks
guest_stacks:
	.space	4 * 16384
