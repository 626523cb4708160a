/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The migration engine's VM back end (mig/backend.h) on the real
 * hypervisor: guest RAM through Ferry's own mapping, dirty logging by
 * stage-2 write protection, vCPUs parked for the switchover, and the
 * device state (vCPUs, vGIC distributor and redistributors, PL011, the
 * guest's virtual count) saved through the section tables, loaded into
 * shadow copies and synchronized into the VM before PONG.
 */
#ifndef HYP_VM_MIGRATE_OPS_H
#define HYP_VM_MIGRATE_OPS_H

#include "hyp/vm.h"
#include "mig/backend.h"

extern const struct mig_vm_ops vm_migrate_ops;

#endif
