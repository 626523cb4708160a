/* SPDX-License-Identifier: Apache-2.0 */
/**
 * System-register accesses of a guest that trap to Ferry (ESR EC 0x18):
 * the GICv3 SGI registers, the ID registers (TID3), debug and PMU
 * registers (MDCR_EL2 traps; read as zero, writes ignored, MDSCR_EL1 kept).
 */
#ifndef HYP_SYSREG_EMUL_H
#define HYP_SYSREG_EMUL_H

#include <stdbool.h>
#include <stdint.h>

#include "hyp/vcpu.h"

/**
 * Emulates a trapped access to the register `encoding` (SYSREG_ENC), a read
 * into or a write from general register rt (31: XZR); false for a register
 * Ferry does not know.
 */
bool sysreg_emulate(struct vcpu *v, uint32_t encoding, unsigned rt, bool read);

#endif
