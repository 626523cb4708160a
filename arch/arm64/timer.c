/* SPDX-License-Identifier: Apache-2.0 */
/** EL2 physical timer: CNTHP_CTL_EL2 / CNTHP_CVAL_EL2 (Arm ARM D19.11), see hyp/arch.h. */
#include "arch/arm64/sysreg.h"
#include "hyp/arch.h"

#define CNT_CTL_ENABLE (1u << 0)
#define CNT_CTL_IMASK  (1u << 1)

void arch_timer_arm(uint64_t ticks)
{
	isb();
	sysreg_write(cnthp_cval_el2, sysreg_read(cntpct_el0) + ticks);
	sysreg_write(cnthp_ctl_el2, CNT_CTL_ENABLE);
	isb();
}

void arch_timer_arm_at(uint64_t count)
{
	isb();
	sysreg_write(cnthp_cval_el2, count);
	sysreg_write(cnthp_ctl_el2, CNT_CTL_ENABLE);
	isb();
}

void arch_timer_stop(void)
{
	sysreg_write(cnthp_ctl_el2, CNT_CTL_IMASK);
	isb();
}
