/* SPDX-License-Identifier: Apache-2.0 */
/**
 * PSCI as the guest sees it (Arm DEN0022, PSCI 1.1, through HVC or a
 * trapped SMC, SMCCC DEN0028): VERSION, FEATURES, CPU_ON, CPU_OFF,
 * AFFINITY_INFO, SYSTEM_OFF, SYSTEM_RESET, MIGRATE_INFO_TYPE.
 */
#ifndef HYP_PSCI_GUEST_H
#define HYP_PSCI_GUEST_H

#include "hyp/vcpu.h"

/** Handles the call in v's x0-x3 and writes the result to x0. */
void psci_guest_call(struct vcpu *v);

#endif
