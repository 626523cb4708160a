/* SPDX-License-Identifier: Apache-2.0 */
/** Steps the VM core tests' guests share, see guest_steps.h. */
#include "tests/support/guest_steps.h"

#include <string.h>

#include "hyp/vgic.h"

/* Function ID of PSCI SYSTEM_OFF (Arm DEN0022, 5.1). */
#define PSCI_SYSTEM_OFF 0x84000008u

static bool store_from(struct fake_guest *g, uint64_t ipa, unsigned size, unsigned rt,
		       struct vcpu_exit *e)
{
	return fake_guest_store(g, ipa, size, rt, size == 8 ? 0 : FAKE_MEM_W, e);
}

bool guest_store(struct fake_guest *g, uint64_t ipa, unsigned size, uint64_t value,
		 struct vcpu_exit *e)
{
	g->regs->x[1] = value;
	return store_from(g, ipa, size, 1, e);
}

bool guest_enable_irq(struct fake_guest *g, uint64_t at, unsigned vcpu, uint32_t intid,
		      struct vcpu_exit *e)
{
	bool banked = intid < VGIC_PRIVATE_COUNT; /* an SGI or a PPI: per vCPU */
	uint32_t bit = 1u << (intid % 32);

	switch ((g->regs->pc - at) / 4) {
	case 0:
		return guest_store(g, GICD_CTLR, 4, GICD_CTLR_ENABLE_G1, e);
	case 1:
		return guest_store(g, banked ? GICR_ISENABLER0(vcpu) : GICD_ISENABLER(intid / 32),
				   4, bit, e);
	default:
		return guest_store(g, banked ? GICR_IGROUPR0(vcpu) : GICD_IGROUPR(intid / 32), 4,
				   bit, e);
	}
}

uint32_t guest_handle_irq(struct fake_guest *g)
{
	uint32_t intid = fake_guest_ack(g);

	fake_guest_eoi(g, intid);
	g->regs->pc += 4;
	return intid;
}

struct vcpu_exit guest_off(struct fake_guest *g, uint64_t *x)
{
	if (x)
		memcpy(x, g->regs->x, sizeof(g->regs->x));
	return fake_guest_psci(g, PSCI_SYSTEM_OFF, 0, 0, 0);
}

void guest_take_exception(struct fake_guest *g, struct guest_exceptions *seen)
{
	unsigned n = seen->handled++ % 4;

	seen->pc[n] = g->regs->pc;
	seen->pstate[n] = g->regs->pstate;
	seen->esr[n] = g->hw->sys.esr_el1;
	seen->far[n] = g->hw->sys.far_el1;
	seen->elr[n] = g->hw->sys.elr_el1;
	seen->spsr[n] = g->hw->sys.spsr_el1;
	g->hw->sys.elr_el1 += 4;
	fake_guest_eret(g);
}

/* One instruction: true when it trapped (*e filled), false when it completed. */
static bool step(struct fake_guest *g, const struct guest_insn *i, struct vcpu_exit *e)
{
	if ((i->op == GUEST_STR || i->op == GUEST_MSR) && i->rt < 31)
		g->regs->x[i->rt] = i->value;
	switch (i->op) {
	case GUEST_LDR:
		return fake_guest_load(g, i->ipa, i->size, i->rt, i->form, e);
	case GUEST_STR:
		return store_from(g, i->ipa, i->size, i->rt, e);
	case GUEST_MRS:
		*e = fake_guest_mrs(g, i->enc[0], i->enc[1], i->enc[2], i->enc[3], i->enc[4],
				    i->rt);
		return true;
	case GUEST_MSR:
		*e = fake_guest_msr(g, i->enc[0], i->enc[1], i->enc[2], i->enc[3], i->enc[4],
				    i->rt);
		return true;
	}
	return false;
}

struct vcpu_exit guest_play(struct fake_guest *g, const struct guest_program *p)
{
	struct vcpu_exit e;

	if (g->entry == 0 && p->fill)
		for (unsigned r = 0; r < 31; r++)
			g->regs->x[r] = p->fill;
	for (;;) {
		uint64_t pc = g->regs->pc, k = (pc - ENTRY) / 4;

		if (pc < ENTRY || pc % 4 || k > p->count)
			return fake_guest_serror(g, 0); /* ran off its program */
		if (k == p->count)
			return guest_off(g, p->x);
		if (step(g, &p->insn[k], &e))
			return e;
	}
}
