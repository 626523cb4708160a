/* SPDX-License-Identifier: Apache-2.0 */
/**
 * Running a vCPU on a fake CPU (hyp/arch_vcpu.h). Each CPU has a record of
 * its "hardware": arch_vcpu_load fills it with exactly the registers
 * arch/arm64/vcpu_arch.c writes, the guest step changes it, and
 * arch_vcpu_put reads back exactly the registers vcpu_arch.c reads. The
 * interface's rules are checked, so a broken caller fails its test: a vCPU
 * is entered or put only on the CPU where its state is loaded, and after a
 * put the state in memory is the one that counts until the next load.
 */
#include <string.h>

#include "hyp/vm.h"
#include "tests/fake_arch/fake_internal.h"

/* MPIDR_EL1 bit 31 is RES1 (Arm ARM, MPIDR_EL1): vcpu_arch.c sets it in VMPIDR_EL2. */
#define VMPIDR_RES1	 (1ull << 31)
#define VTTBR_VMID_SHIFT 48

static struct fake_hw hws[FAKE_CPU_MAX];

struct fake_hw *fake_hw(unsigned cpu)
{
	if (cpu >= FAKE_CPU_MAX)
		fake_fatal("no CPU %u", cpu);
	return &hws[cpu];
}

void fake_hw_reset(void) { memset(hws, 0, sizeof(hws)); }

static void count(uint64_t *counter) { __atomic_fetch_add(counter, 1, __ATOMIC_RELAXED); }

void arch_vcpu_load(struct vcpu_regs *r, uint64_t vmpidr, const struct arch_guest_ctl *ctl)
{
	struct fake_hw *hw = fake_hw(fake_cpu_this());

	hw->vttbr_el2 = ctl->s2_root | ((uint64_t)ctl->vmid << VTTBR_VMID_SHIFT);
	hw->ipa_bits = ctl->ipa_bits;
	hw->cntvoff_el2 = ctl->cntvoff;
	hw->vmpidr_el2 = vmpidr | VMPIDR_RES1;
	hw->sys = r->sys;
	hw->sys.mdscr_el1 = 0; /* debug registers trap: MDSCR_EL1 lives in memory only */
	hw->timer = r->timer;
	hw->ich_vmcr_el2 = r->gic.ich_vmcr_el2;
	/* Five priority bits as on QEMU (ICH_VTR_EL2.PRIbits): only AP0R0 and AP1R0 exist. */
	hw->ich_ap0r_el2 = r->gic.ich_ap0r_el2[0];
	hw->ich_ap1r_el2 = r->gic.ich_ap1r_el2[0];
	hw->owner = r;
	__atomic_store_n(&hw->loaded, true, __ATOMIC_RELEASE);
	count(&hw->loads);
	/* vcpu_arch.c ends with TLBI VMALLS12E1IS: no translation of this VMID stays cached. */
	fake_tlb_invalidate(FAKE_CPU_ALL, ctl->vmid);
}

static struct fake_hw *loaded_here(const struct vcpu_regs *r, const char *what)
{
	unsigned cpu = fake_cpu_this();
	struct fake_hw *hw = fake_hw(cpu);

	if (!__atomic_load_n(&hw->loaded, __ATOMIC_ACQUIRE) || hw->owner != r)
		fake_fatal("%s of a vCPU whose state is not the one loaded on CPU %u", what, cpu);
	return hw;
}

void arch_vcpu_put(struct vcpu_regs *r)
{
	struct fake_hw *hw = loaded_here(r, "arch_vcpu_put");
	uint64_t mdscr = r->sys.mdscr_el1;

	r->sys = hw->sys;
	r->sys.mdscr_el1 = mdscr;
	r->timer = hw->timer;
	r->gic.ich_vmcr_el2 = hw->ich_vmcr_el2;
	r->gic.ich_ap0r_el2[0] = hw->ich_ap0r_el2;
	r->gic.ich_ap1r_el2[0] = hw->ich_ap1r_el2;
	__atomic_store_n(&hw->loaded, false, __ATOMIC_RELEASE);
	count(&hw->puts);
}

void arch_vcpu_enter(struct vcpu_regs *r, unsigned lr_count, struct vcpu_exit *exit)
{
	struct fake_hw *hw = loaded_here(r, "arch_vcpu_enter");
	unsigned cpu = fake_cpu_this();

	if (lr_count > VGIC_LR_MAX || lr_count != arch_gic_lr_count())
		fake_fatal("%u list registers entered, the GIC has %u", lr_count,
			   arch_gic_lr_count());
	/* As vgic_hw_load_lrs: the CPU has lr_count list registers, no more. */
	memset(hw->ich_lr_el2, 0, sizeof(hw->ich_lr_el2));
	memcpy(hw->ich_lr_el2, r->gic.ich_lr_el2, lr_count * sizeof(uint64_t));
	hw->ich_hcr_el2 = r->gic.ich_hcr_el2;
	count(&hw->entries);
	/* An interrupt pending at EL2 (IMO, or its timer's) is taken as soon as the guest runs. */
	if (fake_cpu_irq_pending(cpu) || fake_cpu_timer_expired(cpu))
		*exit = fake_exit(VCPU_VECTOR_IRQ, 0, 0, 0);
	else
		*exit = fake_guest_step(cpu, r, hw, lr_count);
	/* As vgic_hw_save_lrs: back into memory, and the interface off while Ferry runs. */
	memcpy(r->gic.ich_lr_el2, hw->ich_lr_el2, lr_count * sizeof(uint64_t));
	hw->ich_hcr_el2 = 0;
}

bool arch_vcpu_timer_due(uint64_t *due)
{
	struct fake_hw *hw = fake_hw(fake_cpu_this());

	if ((hw->timer.cntv_ctl_el0 & 3u) != 1u) /* ENABLE, not IMASK */
		return false;
	*due = hw->timer.cntv_cval_el0 > UINT64_MAX - hw->cntvoff_el2
		       ? UINT64_MAX
		       : hw->timer.cntv_cval_el0 + hw->cntvoff_el2;
	return true;
}

bool arch_vcpu_timer_asserted(void)
{
	return (fake_hw(fake_cpu_this())->timer.cntv_ctl_el0 & 7u) == 5u; /* and ISTATUS */
}

/*
 * The timer's interrupt, deactivated while the timer still asserts it,
 * comes again (a level interrupt): as a GIC would.
 */
void arch_irq_deactivate(uint32_t intid)
{
	struct fake_hw *hw = fake_hw(fake_cpu_this());

	count(&hw->irq_deactivations);
	if (intid == GUEST_VTIMER_INTID && arch_vcpu_timer_asserted())
		fake_cpu_raise_irq(fake_cpu_this(), intid);
}

/* As an emulator that evaluates the condition on a write: ISTATUS follows the counters. */
void arch_vcpu_timer_refresh(void)
{
	struct fake_hw *hw = fake_hw(fake_cpu_this());
	uint64_t due;

	count(&hw->timer_refreshes);
	if (arch_vcpu_timer_due(&due) && arch_counter_now() >= due &&
	    !(hw->timer.cntv_ctl_el0 & 4u)) {
		hw->timer.cntv_ctl_el0 |= 4u; /* ISTATUS */
		fake_cpu_raise_irq(fake_cpu_this(), GUEST_VTIMER_INTID);
	}
}

void arch_vcpu_timer_stop(void)
{
	struct fake_hw *hw = fake_hw(fake_cpu_this());

	hw->timer.cntv_ctl_el0 = 0;
	count(&hw->timer_stops);
}

void arch_vcpu_timer_load(const struct vcpu_timer *t, uint64_t cntvoff)
{
	struct fake_hw *hw = fake_hw(fake_cpu_this());

	hw->cntvoff_el2 = cntvoff;
	hw->timer = *t;
	count(&hw->timer_loads);
}

void arch_s2_flush_vm(const struct arch_guest_ctl *ctl)
{
	count(&fake_hw(fake_cpu_this())->s2_flush_vm);
	fake_tlb_invalidate(FAKE_CPU_ALL, ctl->vmid);
}

void arch_s2_publish(void) { count(&fake_hw(fake_cpu_this())->s2_publish); }

void arch_s2_flush_local(void)
{
	struct fake_hw *hw = fake_hw(fake_cpu_this());

	count(&hw->s2_flush_local);
	/* TLBI VMALLS12E1: this CPU, the VMID of its VTTBR_EL2. */
	fake_tlb_invalidate(fake_cpu_this(), (uint16_t)(hw->vttbr_el2 >> VTTBR_VMID_SHIFT));
}
