/* SPDX-License-Identifier: Apache-2.0 */
/**
 * A real struct vm (hyp/vm.h) in a host test: vm_init over host buffers
 * for its RAM and its stage-2 tables, one thread per vCPU running
 * vcpu_run_loop as that vCPU's CPU of the fake arch, and the board
 * console captured so a test can count what was reported.
 */
#ifndef TESTS_SUPPORT_HOST_VM_H
#define TESTS_SUPPORT_HOST_VM_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "hyp/vm.h"
#include "tests/fake_arch/fake_arch.h"

#define HOST_VM_POOL_PAGES 32
/** The CPU the test's own thread acts as: a control CPU, never a vCPU's. */
#define HOST_VM_CONTROL_CPU (FAKE_CPU_MAX - 1)

struct host_vm {
	struct vm vm;
	struct page_pool pool;
	uint64_t pool_bitmap[PAGE_POOL_BITMAP_WORDS(HOST_VM_POOL_PAGES)];
	void *pool_mem;
	uint8_t *ram;
	pthread_t threads[VM_VCPU_MAX];
	bool started;
};

/**
 * A VM named `name` with `vcpus` vCPUs (all off, vCPU i on CPU i) and
 * `mem_bytes` of zeroed RAM at GUEST_RAM_IPA, VMID `vmid`, IPA 40 bits;
 * the calling thread becomes HOST_VM_CONTROL_CPU. NULL when vm_init fails.
 */
struct host_vm *host_vm_create(const char *name, unsigned vcpus, uint64_t mem_bytes, uint16_t vmid);

/** Turns vCPU `i` on at `entry` with x0 = `x0`, as a boot would (before host_vm_start). */
void host_vm_power_on(struct host_vm *h, unsigned i, uint64_t entry, uint64_t x0);

/** Runs every vCPU's loop on its own thread, acting as the vCPU's CPU (its pcpu). */
void host_vm_start(struct host_vm *h);

/**
 * Waits until every vCPU loop has ended. After `timeout_ms` it stops the
 * VM (VM_CRASHED), waits for the loops and returns false.
 */
bool host_vm_join(struct host_vm *h, unsigned timeout_ms);

/** Joins if needed and frees everything. */
void host_vm_destroy(struct host_vm *h);

/** Host pointer to RAM page `page` of the VM. */
uint8_t *host_vm_page(struct host_vm *h, uint64_t page);

/** Milliseconds of a monotonic clock, and a short sleep for polling loops. */
uint64_t host_vm_now_ms(void);
void host_vm_nap(void);

/** Evaluates `cond` until it is true or `ms` milliseconds passed; its last value. */
#define HOST_VM_WAIT(cond, ms)                                                                     \
	({                                                                                         \
		uint64_t host_vm_until_ = host_vm_now_ms() + (ms);                                 \
		bool host_vm_ok_;                                                                  \
		while (!(host_vm_ok_ = (cond)) && host_vm_now_ms() < host_vm_until_)               \
			host_vm_nap();                                                             \
		host_vm_ok_;                                                                       \
	})

#endif
