/* SPDX-License-Identifier: Apache-2.0 */
/**
 * Starting the VM the launcher configured: its record, kernel and initrd
 * arrive as fw_cfg files (docs/running-guests.md), its RAM is carved from
 * the board's, its vCPUs are pinned one per physical CPU.
 */
#ifndef SYSTEM_VM_BOOT_H
#define SYSTEM_VM_BOOT_H

#include "boards/board.h"
#include "system/board_check.h"

enum vm_boot_result {
	VM_BOOT_NONE,		 /**< no VM configured */
	VM_BOOT_POWERED_OFF,	 /**< the VM ran and powered itself off */
	VM_BOOT_STOPPED,	 /**< the VM ran and stopped abnormally (reset, crash) */
	VM_BOOT_REFUSED,	 /**< bad configuration or image: reported, nothing ran */
	VM_BOOT_MIGRATED,	 /**< the VM left for the peer board (migration completed) */
	VM_BOOT_NOTHING_ARRIVED, /**< incoming: no VM came (reported) */
	VM_BOOT_LOST,		 /**< postcopy could not finish: the VM is lost (reported) */
	VM_BOOT_QUIT,		 /**< an empty board told to power off (management channel) */
	VM_BOOT_FENCED,		 /**< protection: its lease ended, the VM stopped here for good */
};

/** What happened, as the console says it ("the VM left for the peer board"). */
const char *vm_boot_result_text(enum vm_boot_result r);

/**
 * Runs the configured VM to its end on this (boot) CPU and the secondaries;
 * a board with a management channel then stays up and takes its next VM
 * (received or booted) as told, until told to quit.
 */
enum vm_boot_result vm_boot(const struct board_desc *board, const struct board_facts *facts,
			    unsigned cpus_online);

#endif
