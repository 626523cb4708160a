/* SPDX-License-Identifier: Apache-2.0 */
/**
 * System-register access and barriers (Arm ARM D17-D19). Only arch/ and
 * drivers/ include this file: hyp/ and mig/ never touch hardware.
 */
#ifndef ARCH_ARM64_SYSREG_H
#define ARCH_ARM64_SYSREG_H

#include <stdint.h>

#define sysreg_read(reg)                                                                           \
	({                                                                                         \
		uint64_t v_;                                                                       \
		__asm__ volatile("mrs %0, " #reg : "=r"(v_));                                      \
		v_;                                                                                \
	})

#define sysreg_write(reg, val)                                                                     \
	__asm__ volatile("msr " #reg ", %0" ::"r"((uint64_t)(val)) : "memory")

static inline void isb(void) { __asm__ volatile("isb" ::: "memory"); }
static inline void dsb_sy(void) { __asm__ volatile("dsb sy" ::: "memory"); }
static inline void dsb_ish(void) { __asm__ volatile("dsb ish" ::: "memory"); }
static inline void dsb_ishst(void) { __asm__ volatile("dsb ishst" ::: "memory"); }

/* HCR_EL2 bits (Arm ARM D19.2.48) */
#define HCR_VM	   (1ull << 0)
#define HCR_SWIO   (1ull << 1)
#define HCR_FMO	   (1ull << 3)
#define HCR_IMO	   (1ull << 4)
#define HCR_AMO	   (1ull << 5)
#define HCR_FB	   (1ull << 9)
#define HCR_BSU_IS (1ull << 10) /* BSU [11:10] = 0b01: inner shareable */
#define HCR_TWI	   (1ull << 13)
#define HCR_TID3   (1ull << 18)
#define HCR_TSC	   (1ull << 19)
#define HCR_TSW	   (1ull << 22)
#define HCR_RW	   (1ull << 31)

/* SCTLR_EL2 bits, E2H == 0 (Arm ARM D19.2.119) */
#define SCTLR_EL2_M   (1ull << 0)
#define SCTLR_EL2_A   (1ull << 1)
#define SCTLR_EL2_C   (1ull << 2)
#define SCTLR_EL2_SA  (1ull << 3)
#define SCTLR_EL2_I   (1ull << 12)
#define SCTLR_EL2_WXN (1ull << 19)
/* bits 4, 5, 11, 16, 18, 22, 23, 28 and 29 are RES1 */
#define SCTLR_EL2_RES1 0x30c50830ull

/* CPTR_EL2, E2H == 0 (Arm ARM D19.2.30): RES1 bits 0-7, 9, 12, 13 */
#define CPTR_EL2_RES1 0x32ffull
#define CPTR_EL2_TFP  (1ull << 10)

#endif
