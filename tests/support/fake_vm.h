/* SPDX-License-Identifier: Apache-2.0 */
/**
 * A fake VM for the migration engine on the host: a RAM array with dirty
 * tracking, real vCPU and vGIC state saved through the real sections, a
 * workload thread that writes memory while the VM runs; and channels over
 * a socketpair, one of which breaks on request. Shared by the engine tests
 * and the engine benchmark.
 */
#ifndef TESTS_SUPPORT_FAKE_VM_H
#define TESTS_SUPPORT_FAKE_VM_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "hyp/vcpu_regs.h"
#include "hyp/vgic.h"
#include "mig/engine.h"

struct fake_vm {
	uint8_t *ram;
	uint64_t pages;
	uint64_t *dirty;
	pthread_mutex_t lock;
	bool tracking, running;
	struct vcpu_regs regs, shadow_regs;
	struct vgic_dist vgic, shadow_vgic;
	bool fail_load, fail_sync;
	uint64_t writes; /**< UINT64_MAX tells the workload to end */
};

extern const struct mig_vm_ops fake_vm_ops;

/** A VM of `pages` pages; a source gets recognisable RAM and registers, and runs. */
void fake_vm_init(struct fake_vm *vm, uint64_t pages, bool source);
void fake_vm_free(struct fake_vm *vm);

/** The HELLO of a board that can take a VM of `pages` pages. */
struct mig_hello fake_vm_hello(uint64_t pages);

/** The workload thread's body (arg: the struct fake_vm). */
void *fake_vm_workload(void *vm);

/** A channel over one socket; ctx is a pointer to the fd. */
extern const struct mig_channel_ops sock_channel_ops;

/** The source's side of a link that breaks at channel event cut_at (-1: never). */
struct faulty_link {
	int fd;
	int cut_at;
	int events;
};
extern const struct mig_channel_ops faulty_channel_ops;

/** One migration between two fake VMs, source and destination in two threads. */
struct fake_migration {
	struct mig_hello dest_local; /**< what the destination accepts */
	struct mig_precopy_params precopy;
	unsigned timeout_ms;
	bool dirtying; /**< the workload writes the source's memory meanwhile */
	int cut_at;    /**< the link breaks at this channel event; -1 never */
	/* results */
	enum mig_state src_state, dst_state;
	struct mig_report src, dst;
	int events; /**< channel events the source saw */
};

/** Migrates src into dst as `m` says; returns the source's final state. */
enum mig_state fake_vm_migrate(struct fake_vm *src, struct fake_vm *dst, struct fake_migration *m);

#endif
