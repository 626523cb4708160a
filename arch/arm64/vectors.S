/* SPDX-License-Identifier: Apache-2.0 */
/*
 * EL2 exception vectors (Arm ARM D1.10.2). Every entry saves a full
 * struct arch_frame on the current stack and calls
 * arch_exception(kind, frame); if that returns, the frame (possibly
 * changed) is restored and the exception returns.
 */
#include "arch/arm64/asm.h"

.macro ventry kind
	.balign	0x80
	sub	sp, sp, #FRAME_SIZE
	stp	x0, x1, [sp, #FRAME_X(0)]
	mov	x0, #\kind
	b	vector_common
.endm

/* From a guest: its registers go to its vCPU (guest_switch.S). */
.macro gentry kind
	.balign	0x80
	stp	x0, x1, [sp, #-16]!
	mov	x0, #\kind
	b	arch_guest_exit
.endm

	.section .text.vectors, "ax"
	.balign	0x800
	.global arch_vectors
arch_vectors:
	ventry	VEC_EL2T_SYNC
	ventry	VEC_EL2T_IRQ
	ventry	VEC_EL2T_FIQ
	ventry	VEC_EL2T_SERROR
	ventry	VEC_EL2H_SYNC
	ventry	VEC_EL2H_IRQ
	ventry	VEC_EL2H_FIQ
	ventry	VEC_EL2H_SERROR
	gentry	VEC_EL1_64_SYNC
	gentry	VEC_EL1_64_IRQ
	gentry	VEC_EL1_64_FIQ
	gentry	VEC_EL1_64_SERROR
	gentry	VEC_EL1_32_SYNC
	gentry	VEC_EL1_32_IRQ
	gentry	VEC_EL1_32_FIQ
	gentry	VEC_EL1_32_SERROR

vector_common:
	stp	x2, x3, [sp, #FRAME_X(2)]
	stp	x4, x5, [sp, #FRAME_X(4)]
	stp	x6, x7, [sp, #FRAME_X(6)]
	stp	x8, x9, [sp, #FRAME_X(8)]
	stp	x10, x11, [sp, #FRAME_X(10)]
	stp	x12, x13, [sp, #FRAME_X(12)]
	stp	x14, x15, [sp, #FRAME_X(14)]
	stp	x16, x17, [sp, #FRAME_X(16)]
	stp	x18, x19, [sp, #FRAME_X(18)]
	stp	x20, x21, [sp, #FRAME_X(20)]
	stp	x22, x23, [sp, #FRAME_X(22)]
	stp	x24, x25, [sp, #FRAME_X(24)]
	stp	x26, x27, [sp, #FRAME_X(26)]
	stp	x28, x29, [sp, #FRAME_X(28)]
	add	x1, sp, #FRAME_SIZE
	stp	x30, x1, [sp, #FRAME_X(30)]
	mrs	x2, elr_el2
	mrs	x3, spsr_el2
	stp	x2, x3, [sp, #FRAME_ELR]
	mrs	x2, esr_el2
	mrs	x3, far_el2
	stp	x2, x3, [sp, #FRAME_ESR]

	/* A frame record makes the interrupted code visible to backtraces. */
	ldr	x2, [sp, #FRAME_ELR]
	stp	x29, x2, [sp, #-16]!
	mov	x29, sp
	add	x1, sp, #16
	bl	arch_exception
	add	sp, sp, #16

	ldp	x2, x3, [sp, #FRAME_ELR]
	msr	elr_el2, x2
	msr	spsr_el2, x3
	ldp	x2, x3, [sp, #FRAME_X(2)]
	ldp	x4, x5, [sp, #FRAME_X(4)]
	ldp	x6, x7, [sp, #FRAME_X(6)]
	ldp	x8, x9, [sp, #FRAME_X(8)]
	ldp	x10, x11, [sp, #FRAME_X(10)]
	ldp	x12, x13, [sp, #FRAME_X(12)]
	ldp	x14, x15, [sp, #FRAME_X(14)]
	ldp	x16, x17, [sp, #FRAME_X(16)]
	ldp	x18, x19, [sp, #FRAME_X(18)]
	ldp	x20, x21, [sp, #FRAME_X(20)]
	ldp	x22, x23, [sp, #FRAME_X(22)]
	ldp	x24, x25, [sp, #FRAME_X(24)]
	ldp	x26, x27, [sp, #FRAME_X(26)]
	ldp	x28, x29, [sp, #FRAME_X(28)]
	ldr	x30, [sp, #FRAME_X(30)]
	ldp	x0, x1, [sp, #FRAME_X(0)]
	add	sp, sp, #FRAME_SIZE
	eret
