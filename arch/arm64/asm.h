/* SPDX-License-Identifier: Apache-2.0 */
/** Constants shared by the assembly files and the C code of arch/arm64. */
#ifndef ARCH_ARM64_ASM_H
#define ARCH_ARM64_ASM_H

/** Per-CPU EL2 stack. */
#define ARCH_STACK_SIZE 0x4000

/** struct arch_frame: x0-x30, sp, elr, spsr, esr, far (36 words). */
#define FRAME_X(n) ((n)*8)
#define FRAME_SP   (31 * 8)
#define FRAME_ELR  (32 * 8)
#define FRAME_SPSR (33 * 8)
#define FRAME_ESR  (34 * 8)
#define FRAME_FAR  (35 * 8)
#define FRAME_SIZE (36 * 8)

/* Vector kinds: offset in the table / 0x80 (Arm ARM D1.10.2). */
#define VEC_EL2T_SYNC	  0
#define VEC_EL2T_IRQ	  1
#define VEC_EL2T_FIQ	  2
#define VEC_EL2T_SERROR	  3
#define VEC_EL2H_SYNC	  4
#define VEC_EL2H_IRQ	  5
#define VEC_EL2H_FIQ	  6
#define VEC_EL2H_SERROR	  7
#define VEC_EL1_64_SYNC	  8
#define VEC_EL1_64_IRQ	  9
#define VEC_EL1_64_FIQ	  10
#define VEC_EL1_64_SERROR 11
#define VEC_EL1_32_SYNC	  12
#define VEC_EL1_32_IRQ	  13
#define VEC_EL1_32_FIQ	  14
#define VEC_EL1_32_SERROR 15

#endif
