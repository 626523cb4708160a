/* SPDX-License-Identifier: Apache-2.0 */
/**
 * Running a vCPU on this CPU: the EL2 controls of a guest (HCR, VTCR,
 * VTTBR, MDCR, CNTHCTL, CNTVOFF), its EL1 system registers and timer, and
 * the entry/exit through guest_switch.S.
 *
 * A vCPU stays pinned to one CPU, so its EL1 state is loaded once and
 * stays in the hardware across exits (EL2 code does not touch EL1
 * registers); arch_vcpu_put() reads it back when hyp/ needs it.
 * General and FP/SIMD registers are switched on every entry and exit.
 */
#include "arch/arm64/asm.h"
#include "arch/arm64/sysreg.h"
#include "arch/arm64/vgic_hw.h"
#include "hyp/arch_vcpu.h"

unsigned arch_guest_run(struct vcpu_regs *regs);

/*
 * HCR_EL2 while a guest runs (Arm ARM D19.2.48): stage 2 (VM), set/way
 * invalidation as clean (SWIO), physical interrupts to EL2 (FMO/IMO/AMO),
 * broadcast TLB and barriers inner shareable (FB, BSU), WFI trapped (TWI),
 * SMC trapped (TSC), ID group 3 trapped (TID3) to hide features Ferry does
 * not virtualize, set/way operations trapped (TSW), EL1 is AArch64 (RW).
 */
#define HCR_GUEST                                                                                  \
	(HCR_VM | HCR_SWIO | HCR_FMO | HCR_IMO | HCR_AMO | HCR_FB | HCR_BSU_IS | HCR_TWI |         \
	 HCR_TID3 | HCR_TSC | HCR_TSW | HCR_RW)

/* MDCR_EL2: trap PMU (TPM, TPMCR), debug registers (TDA, TDOSA, TDRA), trace filter (TTRF). */
#define MDCR_GUEST                                                                                 \
	((1ull << 5) | (1ull << 6) | (1ull << 9) | (1ull << 10) | (1ull << 11) | (1ull << 19))

/* CNTHCTL_EL2 (E2H = 0): guest may read the physical counter, not use the physical timer. */
#define CNTHCTL_GUEST 1ull

/* CPTR_EL2: FP/SIMD free, SVE (TZ), trace (TTA) and activity monitors (TAM) trapped. */
#define CPTR_GUEST (0x33ffull | (1ull << 20) | (1ull << 30))

static uint64_t vtcr_for(unsigned ipa_bits)
{
	uint64_t ps = sysreg_read(id_aa64mmfr0_el1) & 7;
	/* VTCR_EL2 (Arm ARM D19.2.154): T0SZ, SL0 (1: level 1, 2: level 0), WBWA, inner shareable,
	 * 4K */
	uint64_t sl0 = ipa_bits > 39 ? 2 : 1;

	if (ps > 5)
		ps = 5;
	return (64 - ipa_bits) | (sl0 << 6) | (1ull << 8) | (1ull << 10) | (3ull << 12) |
	       (ps << 16) | (1ull << 31);
}

void arch_vcpu_load(struct vcpu_regs *r, uint64_t vmpidr, const struct arch_guest_ctl *ctl)
{
	const struct vcpu_sysregs *s = &r->sys;
	uint64_t pmcr_n = (sysreg_read(pmcr_el0) >> 11) & 0x1f;

	sysreg_write(vtcr_el2, vtcr_for(ctl->ipa_bits));
	sysreg_write(vttbr_el2, ctl->s2_root | ((uint64_t)ctl->vmid << 48));
	sysreg_write(hcr_el2, HCR_GUEST);
	sysreg_write(mdcr_el2, MDCR_GUEST | pmcr_n);
	sysreg_write(cptr_el2, CPTR_GUEST);
	sysreg_write(cnthctl_el2, CNTHCTL_GUEST);
	sysreg_write(cntvoff_el2, ctl->cntvoff);
	sysreg_write(vpidr_el2, sysreg_read(midr_el1));
	sysreg_write(vmpidr_el2, vmpidr | (1ull << 31));

	sysreg_write(sctlr_el1, s->sctlr_el1);
	sysreg_write(actlr_el1, s->actlr_el1);
	sysreg_write(cpacr_el1, s->cpacr_el1);
	sysreg_write(ttbr0_el1, s->ttbr0_el1);
	sysreg_write(ttbr1_el1, s->ttbr1_el1);
	sysreg_write(tcr_el1, s->tcr_el1);
	sysreg_write(mair_el1, s->mair_el1);
	sysreg_write(amair_el1, s->amair_el1);
	sysreg_write(esr_el1, s->esr_el1);
	sysreg_write(far_el1, s->far_el1);
	sysreg_write(afsr0_el1, s->afsr0_el1);
	sysreg_write(afsr1_el1, s->afsr1_el1);
	sysreg_write(par_el1, s->par_el1);
	sysreg_write(vbar_el1, s->vbar_el1);
	sysreg_write(contextidr_el1, s->contextidr_el1);
	sysreg_write(tpidr_el0, s->tpidr_el0);
	sysreg_write(tpidrro_el0, s->tpidrro_el0);
	sysreg_write(tpidr_el1, s->tpidr_el1);
	sysreg_write(sp_el0, s->sp_el0);
	sysreg_write(sp_el1, s->sp_el1);
	sysreg_write(elr_el1, s->elr_el1);
	sysreg_write(spsr_el1, s->spsr_el1);
	sysreg_write(cntkctl_el1, s->cntkctl_el1);
	sysreg_write(csselr_el1, s->csselr_el1);
	sysreg_write(cntv_cval_el0, r->timer.cntv_cval_el0);
	sysreg_write(cntv_ctl_el0, r->timer.cntv_ctl_el0);
	/* The guest's GICv3 CPU interface uses system registers (ICC_SRE_EL1.SRE). */
	sysreg_write(icc_sre_el1, 0x7);
	vgic_hw_load(&r->gic);
	isb();
	/*
	 * A new VMID or table: no stale stage-1+2 translations of this VMID on
	 * this CPU, the only one that will translate for this vCPU. The local
	 * form is enough (Arm ARM D8.13.5: a TLBI without IS affects the
	 * executing PE; every CPU invalidates when it loads a vCPU, and stage-2
	 * changes made elsewhere are broadcast by arch_s2_flush_vm). A
	 * broadcast here would make this CPU wait for every other one to
	 * acknowledge it, in the middle of a switchover on the destination.
	 */
	__asm__ volatile("tlbi vmalls12e1" ::: "memory");
	__asm__ volatile("dsb nsh" ::: "memory");
	isb();
}

void arch_vcpu_put(struct vcpu_regs *r)
{
	struct vcpu_sysregs *s = &r->sys;

	s->sctlr_el1 = sysreg_read(sctlr_el1);
	s->actlr_el1 = sysreg_read(actlr_el1);
	s->cpacr_el1 = sysreg_read(cpacr_el1);
	s->ttbr0_el1 = sysreg_read(ttbr0_el1);
	s->ttbr1_el1 = sysreg_read(ttbr1_el1);
	s->tcr_el1 = sysreg_read(tcr_el1);
	s->mair_el1 = sysreg_read(mair_el1);
	s->amair_el1 = sysreg_read(amair_el1);
	s->esr_el1 = sysreg_read(esr_el1);
	s->far_el1 = sysreg_read(far_el1);
	s->afsr0_el1 = sysreg_read(afsr0_el1);
	s->afsr1_el1 = sysreg_read(afsr1_el1);
	s->par_el1 = sysreg_read(par_el1);
	s->vbar_el1 = sysreg_read(vbar_el1);
	s->contextidr_el1 = sysreg_read(contextidr_el1);
	s->tpidr_el0 = sysreg_read(tpidr_el0);
	s->tpidrro_el0 = sysreg_read(tpidrro_el0);
	s->tpidr_el1 = sysreg_read(tpidr_el1);
	s->sp_el0 = sysreg_read(sp_el0);
	s->sp_el1 = sysreg_read(sp_el1);
	s->elr_el1 = sysreg_read(elr_el1);
	s->spsr_el1 = sysreg_read(spsr_el1);
	s->cntkctl_el1 = sysreg_read(cntkctl_el1);
	s->csselr_el1 = sysreg_read(csselr_el1);
	r->timer.cntv_ctl_el0 = sysreg_read(cntv_ctl_el0);
	r->timer.cntv_cval_el0 = sysreg_read(cntv_cval_el0);
	vgic_hw_save(&r->gic);
}

void arch_vcpu_enter(struct vcpu_regs *r, unsigned lr_count, struct vcpu_exit *exit)
{
	enum vcpu_exit_vector vector;
	unsigned kind;

	vgic_hw_load_lrs(&r->gic, lr_count);
	kind = arch_guest_run(r);
	vgic_hw_save_lrs(&r->gic, lr_count);
	vector = kind == VEC_EL1_64_SYNC     ? VCPU_VECTOR_SYNC
		 : kind == VEC_EL1_64_IRQ    ? VCPU_VECTOR_IRQ
		 : kind == VEC_EL1_64_FIQ    ? VCPU_VECTOR_FIQ
		 : kind == VEC_EL1_64_SERROR ? VCPU_VECTOR_SERROR
					     : VCPU_VECTOR_AARCH32;
	arch_exit_decode(vector, sysreg_read(esr_el2), sysreg_read(far_el2), sysreg_read(hpfar_el2),
			 exit);
}

/* CNTV_CTL_EL0 (Arm ARM D13.8.29). */
#define CNTV_CTL_ENABLE	 (1u << 0)
#define CNTV_CTL_IMASK	 (1u << 1)
#define CNTV_CTL_ISTATUS (1u << 2)

bool arch_vcpu_timer_due(uint64_t *due)
{
	uint64_t ctl = sysreg_read(cntv_ctl_el0);

	if ((ctl & (CNTV_CTL_ENABLE | CNTV_CTL_IMASK)) != CNTV_CTL_ENABLE)
		return false;
	uint64_t cval = sysreg_read(cntv_cval_el0), off = sysreg_read(cntvoff_el2);

	/* A CVAL past the physical count's reach (a guest's "never") is never due here. */
	*due = cval > UINT64_MAX - off ? UINT64_MAX : cval + off;
	return true;
}

bool arch_vcpu_timer_asserted(void)
{
	uint64_t ctl = sysreg_read(cntv_ctl_el0);

	return (ctl & (CNTV_CTL_ENABLE | CNTV_CTL_IMASK | CNTV_CTL_ISTATUS)) ==
	       (CNTV_CTL_ENABLE | CNTV_CTL_ISTATUS);
}

void arch_vcpu_timer_refresh(void)
{
	sysreg_write(cntv_cval_el0, sysreg_read(cntv_cval_el0));
	isb();
}

void arch_vcpu_timer_stop(void)
{
	sysreg_write(cntv_ctl_el0, 0);
	isb();
}

void arch_vcpu_timer_load(const struct vcpu_timer *t, uint64_t cntvoff)
{
	sysreg_write(cntvoff_el2, cntvoff);
	sysreg_write(cntv_cval_el0, t->cntv_cval_el0);
	sysreg_write(cntv_ctl_el0, t->cntv_ctl_el0);
	isb();
}

void arch_s2_flush_vm(const struct arch_guest_ctl *ctl)
{
	uint64_t saved = sysreg_read(vttbr_el2);

	dsb_ish(); /* the new descriptors are visible first */
	sysreg_write(vttbr_el2, ctl->s2_root | ((uint64_t)ctl->vmid << 48));
	isb();
	__asm__ volatile("tlbi vmalls12e1is" ::: "memory");
	dsb_ish();
	sysreg_write(vttbr_el2, saved);
	isb();
}

void arch_s2_flush_local(void)
{
	dsb_ish();
	__asm__ volatile("tlbi vmalls12e1" ::: "memory");
	__asm__ volatile("dsb nsh" ::: "memory");
	isb();
}

void arch_s2_publish(void) { __asm__ volatile("dsb ishst" ::: "memory"); }
