/* SPDX-License-Identifier: Apache-2.0 */
/** The EL2 physical timer (CNTHP, Arm ARM D11.2.4) of the running CPU. */
#ifndef DRIVERS_TIMER_H
#define DRIVERS_TIMER_H

#include <stdint.h>

/** Fires the EL2 timer interrupt once `ticks` counter ticks from now. */
void timer_hyp_arm(uint64_t ticks);

/** Masks the EL2 timer (called from its interrupt handler). */
void timer_hyp_stop(void);

#endif
