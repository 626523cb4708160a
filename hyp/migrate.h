/* SPDX-License-Identifier: Apache-2.0 */
/**
 * A live migration on the board (docs/migration-protocol.md, "On the
 * board"): the engine runs on a CPU of its own beside the guest's vCPUs,
 * over the TLS link. The source migrates at a set time after the VM
 * started (boot option ferry.migrate=precopy, ferry.migrate_at=MS); the
 * destination (ferry.incoming) prepares the VM with its vCPUs parked and
 * waits for it.
 */
#ifndef HYP_MIGRATE_H
#define HYP_MIGRATE_H

#include <stdbool.h>
#include <stdint.h>

#include "boards/board.h"
#include "hyp/vm.h"

struct migrate_job {
	struct vm *vm;
	const struct board_desc *board;
	bool incoming;
	bool postcopy;	/**< source: ferry.migrate=postcopy (the VM moves at once, its memory
			   follows) */
	uint64_t at_ms; /**< source: milliseconds after the VM started */
	const char *test_fault; /**< destination: ferry.test=die_loading | fail_sync | ... */
	volatile bool done;
	int outcome; /**< enum mig_state when done */
};

/** The job's body, for sched_assign on the migration CPU. */
void migrate_job_run(void *job);

#endif
