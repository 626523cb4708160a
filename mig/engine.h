/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The two ends of a migration (docs/migration-protocol.md, "The
 * switchover"). Each runs on its board's migration CPU and talks to the
 * other over a channel; both are plain C, the same in the hypervisor and
 * in host tests.
 */
#ifndef MIG_ENGINE_H
#define MIG_ENGINE_H

#include <stdint.h>

#include "mig/backend.h"
#include "mig/channel.h"
#include "mig/hello.h"
#include "mig/precopy_policy.h"

enum mig_state {
	MIG_SETUP,
	MIG_ACTIVE,	/**< precopy rounds, the VM runs */
	MIG_DEVICE,	/**< stopped, sending the last pages and the device package */
	MIG_UNRESOLVED, /**< RUN sent, VM_STARTED not seen: stay stopped */
	MIG_COMPLETED,
	MIG_FAILED, /**< before RUN: the VM runs on at the source */
	MIG_CANCELLED,
};

const char *mig_state_name(enum mig_state s);

struct mig_report {
	enum mig_state state;
	unsigned rounds;
	uint64_t pages_sent, zero_pages, bytes_sent;
	uint64_t total_ns, downtime_ns, expected_downtime_ns;
	uint64_t dest_loaded_ns, dest_synced_ns, dest_started_ns; /**< destination clock */
	char error[160];
};

struct mig_source_config {
	struct mig_hello hello;
	struct mig_precopy_params precopy;
	unsigned reply_timeout_ms;
};

/** Migrates vm out through ch; the report says how it ended. */
enum mig_state mig_source_run(struct mig_vm *vm, struct mig_channel *ch,
			      const struct mig_source_config *cfg, struct mig_report *rep);

/** Receives a VM through ch into vm; local describes what this board can run. */
enum mig_state mig_dest_run(struct mig_vm *vm, struct mig_channel *ch,
			    const struct mig_hello *local, unsigned timeout_ms,
			    struct mig_report *rep);

#define MIG_PING_PACKAGE_LOADED 1u

#endif
