/* SPDX-License-Identifier: Apache-2.0 */
/**
 * PSTATE as SPSR_EL2 holds it for an AArch64 guest (Arm ARM C5.2.19): what
 * EL2 loads at every guest entry, so what it may hold is checked wherever
 * it comes from outside (a migrated vCPU).
 */
#ifndef HYP_PSTATE_H
#define HYP_PSTATE_H

#define PSTATE_M     0xfull /**< M[3:0]: exception level and stack pointer */
#define PSTATE_EL0T  0x0ull
#define PSTATE_EL1T  0x4ull
#define PSTATE_EL1H  0x5ull
#define PSTATE_NRW   (1ull << 4) /**< M[4]: 1 would be AArch32 */
#define PSTATE_T     (1ull << 5) /**< AArch32 only; RES0 here */
#define PSTATE_DAIF  (0xfull << 6)
#define PSTATE_BTYPE (3ull << 10) /**< FEAT_BTI */
#define PSTATE_SSBS  (1ull << 12) /**< FEAT_SSBS */
#define PSTATE_IL    (1ull << 20) /**< illegal execution state */
#define PSTATE_SS    (1ull << 21) /**< software step */
#define PSTATE_PAN   (1ull << 22) /**< FEAT_PAN */
#define PSTATE_UAO   (1ull << 23) /**< FEAT_UAO */
#define PSTATE_DIT   (1ull << 24) /**< FEAT_DIT */
#define PSTATE_NZCV  (0xfull << 28)

#endif
