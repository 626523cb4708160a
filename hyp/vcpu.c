/* SPDX-License-Identifier: Apache-2.0 */
/** vCPU reset, see vcpu.h. */
#include "hyp/vcpu.h"

#include <string.h>

#include "hyp/arch_vcpu.h"
#include "hyp/pstate.h"
#include "hyp/vm.h"

/* SCTLR_EL1 RES1 bits with the MMU and caches off (Arm ARM D19.2.118). */
#define SCTLR_EL1_RESET 0x30d00800ull

void vcpu_reset(struct vcpu *v, uint64_t entry, uint64_t x0)
{
	struct vgic_cpu_if gic = v->regs.gic;

	memset(&v->regs, 0, sizeof(v->regs));
	v->regs.pc = entry;
	v->regs.x[0] = x0;
	v->regs.pstate = PSTATE_EL1H | PSTATE_DAIF; /* EL1h, D, A, I, F masked */
	v->regs.sys.sctlr_el1 = SCTLR_EL1_RESET;
	/* The GIC CPU interface keeps its state across a PSCI CPU_ON. */
	v->regs.gic = gic;
}

void vcpu_load(struct vcpu *v, bool hold_timer)
{
	arch_vcpu_load(&v->regs, vcpu_mpidr(v), &v->vm->ctl);
	if (hold_timer)
		arch_vcpu_timer_stop();
	v->loaded = true;
	v->timer_held = hold_timer;
}

void vcpu_release_timer(struct vcpu *v)
{
	if (!v->timer_held)
		return;
	arch_vcpu_timer_load(&v->regs.timer, v->vm->ctl.cntvoff);
	v->timer_held = false;
}

void vcpu_put(struct vcpu *v)
{
	struct vcpu_timer held = v->regs.timer;

	if (!v->loaded)
		return;
	arch_vcpu_put(&v->regs);
	if (v->timer_held)
		v->regs.timer = held; /* the hardware's is off, not the guest's */
	v->loaded = v->timer_held = false;
}
