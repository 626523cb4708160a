/* SPDX-License-Identifier: Apache-2.0 */
/**
 * What the guest reads from the ID registers: the CPU's values with the
 * features Ferry does not virtualize taken out (SVE, SME, MTE, pointer
 * authentication, PMU, SPE, trace, AMU, MPAM, RAS, nested virtualization,
 * LORegions, WFxT). id_reg_sanitize is pure; id_reg_guest reads the CPU.
 */
#ifndef HYP_ID_REGS_H
#define HYP_ID_REGS_H

#include <stdint.h>

/** The guest-visible value of ID register `encoding` (SYSREG_ENC) whose real value is `real`. */
uint64_t id_reg_sanitize(uint32_t encoding, uint64_t real);

/** What a guest of this CPU reads from ID register `encoding` (0 for one that is not). */
uint64_t id_reg_guest(uint32_t encoding);

#endif
