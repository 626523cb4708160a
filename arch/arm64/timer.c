/* SPDX-License-Identifier: Apache-2.0 */
/** EL2 physical timer: CNTHP_CTL_EL2 / CNTHP_CVAL_EL2 (Arm ARM D19.11), see hyp/arch.h. */
#include "arch/arm64/percpu.h"
#include "arch/arm64/sysreg.h"
#include "hyp/arch.h"

static struct arch_percpu *here(void) { return (struct arch_percpu *)sysreg_read(tpidr_el2); }

#define CNT_CTL_ENABLE (1u << 0)
#define CNT_CTL_IMASK  (1u << 1)

void arch_timer_arm(uint64_t ticks)
{
	here()->timer_at = 0;
	isb();
	sysreg_write(cnthp_cval_el2, sysreg_read(cntpct_el0) + ticks);
	sysreg_write(cnthp_ctl_el2, CNT_CTL_ENABLE);
	isb();
}

/*
 * Armed at that count already: nothing to write. On an emulated board each
 * write of the timer takes the emulator's big lock (QEMU's generic timer
 * registers are I/O registers), and a protected VM's vCPUs arm it before
 * every entry into the guest.
 */
void arch_timer_arm_at(uint64_t count)
{
	struct arch_percpu *p = here();

	if (count && p->timer_at == count)
		return;
	isb();
	sysreg_write(cnthp_cval_el2, count);
	sysreg_write(cnthp_ctl_el2, CNT_CTL_ENABLE);
	isb();
	p->timer_at = count;
}

bool arch_timer_armed_at(uint64_t count) { return count && here()->timer_at == count; }

void arch_timer_stop(void)
{
	here()->timer_at = 0;
	sysreg_write(cnthp_ctl_el2, CNT_CTL_IMASK);
	isb();
}
