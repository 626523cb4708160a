/* SPDX-License-Identifier: Apache-2.0 */
/** Trapped system registers, see sysreg_emul.h; ISS layout: Arm ARM D19.2.40 (EC 0x18). */
#include "hyp/sysreg_emul.h"

#include "hyp/id_regs.h"
#include "hyp/vm.h"

#define ICC_SGI1R_EL1  SYSREG_ENC(3, 0, 12, 11, 5)
#define ICC_ASGI1R_EL1 SYSREG_ENC(3, 0, 12, 11, 6)
#define ICC_SGI0R_EL1  SYSREG_ENC(3, 0, 12, 11, 7)
#define MDSCR_EL1      SYSREG_ENC(2, 0, 0, 2, 2)

static uint64_t reg_get(const struct vcpu *v, unsigned rt) { return rt == 31 ? 0 : v->regs.x[rt]; }

static void reg_set(struct vcpu *v, unsigned rt, uint64_t val)
{
	if (rt != 31)
		v->regs.x[rt] = val;
}

static void send_sgi(struct vcpu *v, uint64_t value)
{
	struct vm *vm = v->vm;
	uint32_t targets;

	arch_spin_lock(&vm->lock);
	targets = vgic_send_sgi(&vm->vgic, v->index, value);
	arch_spin_unlock(&vm->lock);
	for (unsigned i = 0; i < vm->cfg.vcpu_count; i++)
		if ((targets & (1u << i)) && i != v->index)
			arch_kick_cpu(vm->vcpus[i].pcpu);
}

bool sysreg_emulate(struct vcpu *v, uint32_t enc, unsigned rt, bool read)
{
	/* The fields of SYSREG_ENC: op0 [15:14], op1 [13:11], CRn [10:7], CRm [6:3]. */
	uint32_t op0 = (enc >> 14) & 3, op1 = (enc >> 11) & 7, crn = (enc >> 7) & 0xf;
	uint32_t crm = (enc >> 3) & 0xf;

	switch (enc) {
	case ICC_SGI1R_EL1:
	case ICC_ASGI1R_EL1:
	case ICC_SGI0R_EL1:
		if (!read)
			send_sgi(v, reg_get(v, rt));
		return true;
	case MDSCR_EL1:
		if (read)
			reg_set(v, rt, v->regs.sys.mdscr_el1);
		else
			v->regs.sys.mdscr_el1 = reg_get(v, rt);
		return true;
	default:
		break;
	}
	/* ID group 3: op0 3, op1 0, CRn 0, CRm 1-7, reads only */
	if (op0 == 3 && op1 == 0 && crn == 0 && crm >= 1 && read) {
		reg_set(v, rt, id_reg_guest(enc));
		return true;
	}
	/* Debug registers (op0 2) and the PMU (CRn 9 and 14 with op1 0 or 3): RAZ/WI */
	if (op0 == 2 || (op0 == 3 && (crn == 9 || (crn == 14 && op1 == 3)))) {
		if (read)
			reg_set(v, rt, 0);
		return true;
	}
	return false;
}
