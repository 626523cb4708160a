/* SPDX-License-Identifier: Apache-2.0 */
/**
 * What migration needs from running vCPUs: parking them with their state
 * in memory (the source's stop, the destination's wait for RUN), and
 * logging writes to guest RAM by keeping its stage-2 pages read-only
 * (docs/migration-protocol.md, "The board's back end").
 */
#include "hyp/arch.h"
#include "hyp/vm.h"

void vm_pause(struct vm *vm)
{
	__atomic_store_n(&vm->pause_req, true, __ATOMIC_SEQ_CST);
	for (unsigned i = 0; i < vm->cfg.vcpu_count; i++)
		arch_kick_cpu(vm->vcpus[i].pcpu);
	while (__atomic_load_n(&vm->parked, __ATOMIC_ACQUIRE) < vm->cfg.vcpu_count &&
	       vm->stop == VM_RUNNING)
		;
	vm->paused_at = arch_counter_now();
}

void vm_unpause(struct vm *vm)
{
	__atomic_store_n(&vm->pause_req, false, __ATOMIC_SEQ_CST);
	for (unsigned i = 0; i < vm->cfg.vcpu_count; i++)
		arch_kick_cpu(vm->vcpus[i].pcpu);
}

void vm_stop_all(struct vm *vm, enum vm_stop_reason why)
{
	vm->stop = why;
	for (unsigned i = 0; i < vm->cfg.vcpu_count; i++)
		arch_kick_cpu(vm->vcpus[i].pcpu);
}

bool vm_dirty_fault(struct vm *vm, uint64_t ipa)
{
	uint64_t page = (ipa - GUEST_RAM_IPA) / PAGE_SIZE;

	/*
	 * RAM is only ever read-only for logging: a permission fault on it is a
	 * logged write, or a stale translation from a logging that just ended.
	 * Either way the page becomes writable again; only the first is marked.
	 */
	if (ipa < GUEST_RAM_IPA || page >= vm->cfg.mem_bytes / PAGE_SIZE)
		return false;
	/*
	 * Writable first, dirty second: a collection that runs in between
	 * either sees the bit (and protects the page again before copying it)
	 * or leaves the page writable with the bit set for the next round.
	 */
	s2_protect(&vm->s2, ipa_init(GUEST_RAM_IPA + page * PAGE_SIZE), PAGE_SIZE, S2_RWX);
	arch_s2_flush_local();
	if (!vm->dirty_logging || !vm->dirty)
		return true;
	__atomic_fetch_or(&vm->dirty[page / 64], 1ull << (page % 64), __ATOMIC_SEQ_CST);
	__atomic_fetch_add(&vm->dirty_faults, 1, __ATOMIC_RELAXED);
	return true;
}
