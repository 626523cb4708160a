/* SPDX-License-Identifier: Apache-2.0 */
/**
 * Faults a test asks a board for with the boot option ferry.test=NAME
 * (docs/boot-options.md), for the end-to-end fault tests. A destination:
 * die_loading (it powers off mid-load, no goodbye), fail_sync (its
 * synchronization fails), lose_vm_started / cut_after_vm_started /
 * end_after_vm_started (the link breaks around VM_STARTED, and with the
 * last the VM then powers off there), hold_vm_started (VM_STARTED goes
 * out a second late, so a test can partition the wire at that step). A
 * source, playing a hostile or unlucky peer: hostile_pstate (the package
 * claims vCPU 0 runs at EL2h), hostile_lr (a list register that is not
 * empty, forwarding a physical interrupt), cancel_after_pong (the first
 * migration is cancelled right after PONG), cut_after_pong (the link breaks
 * right after PONG, before RUN can leave). Nothing changes without the
 * option.
 */
#ifndef SYSTEM_MIGRATE_FAULTS_H
#define SYSTEM_MIGRATE_FAULTS_H

#include <stdbool.h>

#include "mig/backend.h"
#include "mig/channel.h"

struct migrate_job;

/** The VM back end the hook asks for (the board's own otherwise). */
const struct mig_vm_ops *migrate_faults_vm_ops(const struct migrate_job *j);

/** The channel ops of a new link: `real` wrapped when the hook acts on the link. */
const struct mig_channel_ops *migrate_faults_channel(struct migrate_job *j,
						     const struct mig_channel_ops *real);

#endif
