/* SPDX-License-Identifier: Apache-2.0 */
/** EL2 physical timer: CNTHP_CTL_EL2 / CNTHP_CVAL_EL2 (Arm ARM D19.11). */
#include "drivers/timer.h"

#include "arch/arm64/sysreg.h"

#define CNT_CTL_ENABLE (1u << 0)
#define CNT_CTL_IMASK  (1u << 1)

void timer_hyp_arm(uint64_t ticks)
{
	isb();
	sysreg_write(cnthp_cval_el2, sysreg_read(cntpct_el0) + ticks);
	sysreg_write(cnthp_ctl_el2, CNT_CTL_ENABLE);
	isb();
}

void timer_hyp_stop(void)
{
	sysreg_write(cnthp_ctl_el2, CNT_CTL_IMASK);
	isb();
}
