/* SPDX-License-Identifier: Apache-2.0 */
/** vCPU reset, see vcpu.h. */
#include "hyp/vcpu.h"

#include <string.h>

/* PSTATE for EL1h with D, A, I, F masked (SPSR_EL2 layout, Arm ARM C5.2.19). */
#define PSTATE_EL1H_MASKED 0x3c5ull
/* SCTLR_EL1 RES1 bits with the MMU and caches off (Arm ARM D19.2.118). */
#define SCTLR_EL1_RESET 0x30d00800ull

void vcpu_reset(struct vcpu *v, uint64_t entry, uint64_t x0)
{
	struct vgic_cpu_if gic = v->regs.gic;

	memset(&v->regs, 0, sizeof(v->regs));
	v->regs.pc = entry;
	v->regs.x[0] = x0;
	v->regs.pstate = PSTATE_EL1H_MASKED;
	v->regs.sys.sctlr_el1 = SCTLR_EL1_RESET;
	/* The GIC CPU interface keeps its state across a PSCI CPU_ON. */
	v->regs.gic = gic;
}
