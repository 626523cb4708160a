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

/** What a board does once its VM left, ended or could not start. */
enum control_next {
	CONTROL_NEXT_NONE,
	CONTROL_POWER_OFF, /**< no management channel: nobody could ask for more */
	CONTROL_INCOMING,  /**< migrate-incoming: wait for a VM from the peer */
	CONTROL_BOOT,	   /**< vm-boot: boot the configured guest again */
	CONTROL_QUIT,	   /**< quit: power off */
};

/**
 * Once per board: reads the boot options and finds the management channel;
 * false (reported) when what they ask cannot work. Sets *incoming when the
 * first VM is to arrive from the peer (ferry.incoming). may_boot: a guest
 * kernel is configured (vm-boot can work).
 */
bool control_init(const struct vm_config *cfg, const struct board_desc *b,
		  const struct board_facts *f, unsigned cpus_online, bool may_boot, bool *incoming);
/** Each VM, before it is built: the VM the control CPU will serve, received or booted. */
void control_attach(struct vm *vm, bool incoming);
/** Starts the control CPU's work (if it has any), once the VM runs or waits for its state. */
void control_start(void);
/**
 * After the VM stopped (the vCPU run loop returned): cancels a migration
 * that was under way, and waits until the control CPU is done with the VM
 * (the destination's session in progress is served to its end first).
 */
void control_finish(void);
/** The destination: did a VM arrive and run here? */
bool control_vm_arrived(void);
/**
 * After the VM ended (started) or could not start: what the board does now.
 * A board with a management channel stays up and serves it until told
 * (docs/management.md, "A board's life"); this says so (`what` happened)
 * and waits for that.
 */
enum control_next control_next(bool started, const char *what);

#endif
