/* SPDX-License-Identifier: Apache-2.0 */
/** Exception injection into EL1, see vcpu_inject.h. */
#include "hyp/vcpu_inject.h"

#include "hyp/arch_vcpu.h"
#include "hyp/pstate.h"

/**
 * Takes the exception to EL1 as the hardware would: ESR/FAR/ELR/SPSR_EL1
 * written, PC to the vector for the current or the lower EL (Arm ARM D1.10.2).
 */
static void take_exception(struct vcpu *v, uint64_t esr, uint64_t far)
{
	uint64_t mode = v->regs.pstate & PSTATE_M;
	uint64_t offset = mode == PSTATE_EL1H ? 0x200 : mode == PSTATE_EL1T ? 0x000 : 0x400;

	vcpu_put(v);
	v->regs.sys.esr_el1 = esr;
	v->regs.sys.far_el1 = far;
	v->regs.sys.elr_el1 = v->regs.pc;
	v->regs.sys.spsr_el1 = v->regs.pstate;
	v->regs.pc = v->regs.sys.vbar_el1 + offset;
	v->regs.pstate = PSTATE_EL1H | PSTATE_DAIF;
}

static bool from_el0(const struct vcpu *v) { return (v->regs.pstate & PSTATE_M) == 0; }

void vcpu_inject_data_abort(struct vcpu *v, uint64_t far)
{
	take_exception(v, arch_syndrome_external_abort(false, from_el0(v)), far);
}

void vcpu_inject_instruction_abort(struct vcpu *v, uint64_t far)
{
	take_exception(v, arch_syndrome_external_abort(true, from_el0(v)), far);
}

void vcpu_inject_undef(struct vcpu *v) { take_exception(v, arch_syndrome_undef(), 0); }
