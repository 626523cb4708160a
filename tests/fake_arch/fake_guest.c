/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The guest steps tests install, and the instructions they execute that
 * do not touch memory: the exits they cause carry the syndrome the Arm ARM
 * gives them (ESR_EL2, D19.2.40), and the list registers behave as the
 * GICv3 virtual CPU interface's (GICv3 spec 12.4.8).
 */
#include <string.h>

#include "arch/arm64/esr.h"
#include "tests/fake_arch/fake_guest.h"
#include "tests/fake_arch/fake_internal.h"

/* ICH_LR<n>_EL2: vINTID [31:0], Priority [55:48], Group [60], State [63:62]. */
#define LR_INTID_MASK	0xffffffffull
#define LR_PRIORITY(lr) (((lr) >> 48) & 0xff)
#define LR_GROUP1	(1ull << 60)
#define LR_PENDING	(1ull << 62)
#define LR_ACTIVE	(2ull << 62)
#define INTID_SPURIOUS	1023u

struct guest_slot {
	fake_guest_fn fn;
	void *arg;
	uint64_t entries;
};

static struct guest_slot slots[FAKE_CPU_MAX];

void fake_guest_install(unsigned cpu, fake_guest_fn fn, void *arg)
{
	for (unsigned i = 0; i < FAKE_CPU_MAX; i++)
		if (cpu == FAKE_CPU_ALL || cpu == i)
			slots[i] = (struct guest_slot){ fn, arg, 0 };
}

void fake_guest_reset(void) { memset(slots, 0, sizeof(slots)); }

struct vcpu_exit fake_guest_step(unsigned cpu, struct vcpu_regs *regs, struct fake_hw *hw,
				 unsigned lr_count)
{
	struct guest_slot *s = &slots[cpu];
	struct fake_guest g = { .cpu = cpu,
				.regs = regs,
				.hw = hw,
				.lr_count = lr_count,
				.entry = s->entries++,
				.arg = s->arg };

	return s->fn ? s->fn(&g) : fake_guest_run(&g);
}

static struct vcpu_exit sync_exit(uint64_t ec, uint64_t iss)
{
	return fake_exit(VCPU_VECTOR_SYNC, (ec << ESR_EC_SHIFT) | ESR_IL | iss, 0, 0);
}

struct vcpu_exit fake_guest_run(struct fake_guest *g)
{
	fake_cpu_wait_irq(g->cpu);
	return fake_exit(VCPU_VECTOR_IRQ, 0, 0, 0);
}

/* ISS of EC 0x01: TI [1:0], 0 WFI, 1 WFE. */
struct vcpu_exit fake_guest_wfi(struct fake_guest *g)
{
	(void)g;
	return sync_exit((uint64_t)ESR_EC_WFX, 0);
}

struct vcpu_exit fake_guest_wfe(struct fake_guest *g)
{
	(void)g;
	return sync_exit((uint64_t)ESR_EC_WFX, 1);
}

struct vcpu_exit fake_guest_hvc(struct fake_guest *g, uint16_t imm)
{
	g->regs->pc += 4;
	return sync_exit((uint64_t)ESR_EC_HVC64, imm);
}

struct vcpu_exit fake_guest_psci(struct fake_guest *g, uint32_t fid, uint64_t a1, uint64_t a2,
				 uint64_t a3)
{
	g->regs->x[0] = fid;
	g->regs->x[1] = a1;
	g->regs->x[2] = a2;
	g->regs->x[3] = a3;
	return fake_guest_hvc(g, 0);
}

struct vcpu_exit fake_guest_smc(struct fake_guest *g, uint16_t imm)
{
	(void)g;
	return sync_exit((uint64_t)ESR_EC_SMC64, imm);
}

/* ISS of EC 0x18: Op0 [21:20], Op2 [19:17], Op1 [16:14], CRn [13:10], Rt [9:5], CRm [4:1],
 * Direction [0] (1: read, MRS). */
static struct vcpu_exit sysreg_exit(unsigned op0, unsigned op1, unsigned crn, unsigned crm,
				    unsigned op2, unsigned rt, bool read)
{
	uint64_t iss = ((uint64_t)(op0 & 3) << 20) | ((uint64_t)(op2 & 7) << 17) |
		       ((uint64_t)(op1 & 7) << 14) | ((uint64_t)(crn & 0xf) << 10) |
		       ((uint64_t)(rt & 0x1f) << 5) | ((uint64_t)(crm & 0xf) << 1) | (read ? 1 : 0);

	return sync_exit((uint64_t)ESR_EC_SYSREG, iss);
}

struct vcpu_exit fake_guest_msr(struct fake_guest *g, unsigned op0, unsigned op1, unsigned crn,
				unsigned crm, unsigned op2, unsigned rt)
{
	(void)g;
	return sysreg_exit(op0, op1, crn, crm, op2, rt, false);
}

struct vcpu_exit fake_guest_mrs(struct fake_guest *g, unsigned op0, unsigned op1, unsigned crn,
				unsigned crm, unsigned op2, unsigned rt)
{
	(void)g;
	return sysreg_exit(op0, op1, crn, crm, op2, rt, true);
}

struct vcpu_exit fake_guest_serror(struct fake_guest *g, uint64_t esr)
{
	(void)g;
	return fake_exit(VCPU_VECTOR_SERROR, esr ? esr : (uint64_t)ESR_EC_SERROR << 26, 0, 0);
}

struct vcpu_exit fake_guest_aarch32(struct fake_guest *g)
{
	(void)g;
	return fake_exit(VCPU_VECTOR_AARCH32, 0, 0, 0);
}

void fake_guest_eret(struct fake_guest *g)
{
	g->regs->pc = g->hw->sys.elr_el1;
	g->regs->pstate = g->hw->sys.spsr_el1;
}

uint32_t fake_guest_ack(struct fake_guest *g)
{
	int best = -1;

	for (unsigned n = 0; n < g->lr_count; n++) {
		uint64_t lr = g->hw->ich_lr_el2[n];

		if ((lr & (LR_PENDING | LR_ACTIVE)) != LR_PENDING || !(lr & LR_GROUP1))
			continue;
		if (best < 0 || LR_PRIORITY(lr) < LR_PRIORITY(g->hw->ich_lr_el2[best]))
			best = (int)n;
	}
	if (best < 0)
		return INTID_SPURIOUS;
	g->hw->ich_lr_el2[best] = (g->hw->ich_lr_el2[best] & ~LR_PENDING) | LR_ACTIVE;
	return (uint32_t)(g->hw->ich_lr_el2[best] & LR_INTID_MASK);
}

void fake_guest_eoi(struct fake_guest *g, uint32_t intid)
{
	for (unsigned n = 0; n < g->lr_count; n++) {
		uint64_t lr = g->hw->ich_lr_el2[n];

		if ((lr & LR_INTID_MASK) == intid && (lr & LR_ACTIVE)) {
			g->hw->ich_lr_el2[n] = lr & ~LR_ACTIVE;
			return;
		}
	}
}
