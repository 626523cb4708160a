/* SPDX-License-Identifier: Apache-2.0 */
/** Running a vCPU on the CPU it is pinned to, and handling its exits. */
#ifndef HYP_VCPU_RUN_H
#define HYP_VCPU_RUN_H

#include "hyp/vcpu.h"

/** Runs v until its VM stops. */
void vcpu_run_loop(struct vcpu *v);

/** The vCPU running on (or assigned to) the calling CPU, or NULL. */
struct vcpu *vcpu_current(void);

/** Forwards a virtual-timer interrupt to the vCPU of this CPU (an IRQ handler). */
void vcpu_timer_irq_init(void);

#endif
