/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The board's control CPU (one beside the vCPUs): it serves the management
 * channel (system/mgmt.c on the virtio-console, docs/management.md) and runs
 * the migrations it asks for (system/migrate.c), or the one the boot options
 * plan (ferry.migrate, ferry.migrate_at, ferry.incoming).
 */
#ifndef SYSTEM_CONTROL_H
#define SYSTEM_CONTROL_H

#include <stdbool.h>

#include "boards/board.h"
#include "system/board_check.h"
#include "hyp/vm.h"

/**
 * Reads the boot options and finds the management channel; false (reported)
 * when what they ask cannot work. Sets *incoming for a destination.
 */
bool control_plan(struct vm *vm, const struct board_desc *b, const struct board_facts *f,
		  unsigned cpus_online, bool *incoming);

/** Starts the control CPU's work (if it has any), once the VM runs or waits for its state. */
void control_start(void);

/**
 * After the VM stopped (the vCPU run loop returned): cancels a migration
 * that was under way, and waits until the control CPU is done (the
 * destination's session in progress is served to its end first).
 */
void control_finish(void);

/** The destination: did a VM arrive and run here? */
bool control_vm_arrived(void);

#endif
