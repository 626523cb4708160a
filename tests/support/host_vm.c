/* SPDX-License-Identifier: Apache-2.0 */
/** A real VM in a host test, see host_vm.h. */
#define _GNU_SOURCE /* pthread_timedjoin_np */
#include "tests/support/host_vm.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hyp/vcpu_run.h"
#include "tests/support/host_console.h"

#define IPA_BITS 40

struct host_vm *host_vm_create(const char *name, unsigned vcpus, uint64_t mem_bytes, uint16_t vmid)
{
	struct host_vm *h = calloc(1, sizeof(*h));
	struct vm_config cfg = { .mem_bytes = mem_bytes, .vcpu_count = vcpus };

	if (!h)
		return NULL;
	strncpy(cfg.name, name, sizeof(cfg.name) - 1);
	fake_cpu_set_index(HOST_VM_CONTROL_CPU);
	h->pool_mem = aligned_alloc(PAGE_SIZE, HOST_VM_POOL_PAGES * PAGE_SIZE);
	h->ram = aligned_alloc(PAGE_SIZE, mem_bytes);
	if (!h->pool_mem || !h->ram ||
	    !page_pool_init(&h->pool, pa_init((uint64_t)(uintptr_t)h->pool_mem), HOST_VM_POOL_PAGES,
			    h->pool_bitmap, PAGE_POOL_BITMAP_WORDS(HOST_VM_POOL_PAGES))) {
		host_vm_destroy(h);
		return NULL;
	}
	memset(h->ram, 0, mem_bytes);
	if (!vm_init(&h->vm, &cfg, pa_init((uint64_t)(uintptr_t)h->ram), &h->pool, vmid, IPA_BITS,
		     arch_counter_now(), arch_gic_lr_count(), host_console_guest_line)) {
		host_vm_destroy(h);
		return NULL;
	}
	return h;
}

void host_vm_power_on(struct host_vm *h, unsigned i, uint64_t entry, uint64_t x0)
{
	vcpu_reset(&h->vm.vcpus[i], entry, x0);
	h->vm.vcpus[i].power = VCPU_ON;
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;

	fake_cpu_set_index(v->pcpu);
	vcpu_run_loop(v);
	return NULL;
}

void host_vm_start(struct host_vm *h)
{
	for (unsigned i = 0; i < h->vm.cfg.vcpu_count; i++)
		if (pthread_create(&h->threads[i], NULL, vcpu_thread, &h->vm.vcpus[i]))
			abort();
	h->started = true;
}

bool host_vm_join(struct host_vm *h, unsigned timeout_ms)
{
	bool in_time = true;

	if (!h->started)
		return true;
	for (unsigned i = 0; i < h->vm.cfg.vcpu_count; i++) {
		struct timespec until;
		uint64_t ms = timeout_ms;

		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += (time_t)(ms / 1000);
		until.tv_nsec += (long)(ms % 1000) * 1000000l;
		if (until.tv_nsec >= 1000000000l) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000l;
		}
		if (pthread_timedjoin_np(h->threads[i], NULL, &until)) {
			/* Stuck: end the VM so the thread can be joined, and say so. */
			in_time = false;
			vm_stop_all(&h->vm, VM_CRASHED);
			pthread_join(h->threads[i], NULL);
		}
	}
	h->started = false;
	return in_time;
}

void host_vm_destroy(struct host_vm *h)
{
	if (!h)
		return;
	if (h->started) { /* a test that failed midway: end its VM first */
		vm_stop_all(&h->vm, VM_CRASHED);
		host_vm_join(h, 5000);
	}
	free(h->vm.dirty);
	free(h->vm.present);
	free(h->vm.requested);
	free(h->ram);
	free(h->pool_mem);
	free(h);
}

uint8_t *host_vm_page(struct host_vm *h, uint64_t page) { return h->ram + page * PAGE_SIZE; }

uint64_t host_vm_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void host_vm_nap(void)
{
	struct timespec ts = { 0, 200000 };

	nanosleep(&ts, NULL);
}
