/* SPDX-License-Identifier: Apache-2.0 */
/**
 * What migration needs from running vCPUs: parking them with their state
 * in memory (the source's stop, the destination's wait for RUN), and
 * logging writes to guest RAM whose stage-2 pages were made read-only for
 * their copy (docs/migration-protocol.md, "The board's back end").
 */
#include "hyp/arch.h"
#include "hyp/vm.h"

/*
 * How long a CPU waiting for parked vCPUs sleeps at most between looks: the
 * vCPUs kick it, this only bounds the wait for a VM that ends meanwhile
 * (nobody kicks for that).
 */
#define PARKED_LOOK_MS 1u

/*
 * Waits for the parked vCPUs to do what was asked, asleep: a CPU of an
 * emulated board that spins is a host thread that keeps its host core,
 * and the vCPU's thread it just woke may be queued behind it until the
 * host preempts the spinner (measured 2-8 ms on a 2-core host) instead
 * of taking the other core. Each vCPU kicks this CPU when it has done it
 * (park, take_synchronized_state, its first entry after the parking),
 * after saying so: the waiter names
 * itself before it looks (both sequentially consistent), so no kick is
 * lost, and a kick that comes before the WFI keeps it from sleeping.
 */
static void await_parked(uint64_t until)
{
	uint64_t now = arch_counter_now(), most = arch_counter_freq() / 1000u * PARKED_LOOK_MS;

	if (now >= until)
		return;
	arch_timer_arm(until - now < most ? until - now : most);
	arch_idle_wait();
}

void vm_kick_parked_waiter(struct vm *vm)
{
	unsigned waiter = __atomic_load_n(&vm->parked_waiter, __ATOMIC_SEQ_CST);

	if (waiter)
		arch_kick_cpu(waiter - 1);
}

void vm_pause(struct vm *vm)
{
	vm->sync_starts = false;
	__atomic_store_n(&vm->parked_waiter, arch_cpu_index() + 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&vm->pause_req, true, __ATOMIC_SEQ_CST);
	for (unsigned i = 0; i < vm->cfg.vcpu_count; i++)
		arch_kick_cpu(vm->vcpus[i].pcpu);
	while (__atomic_load_n(&vm->parked, __ATOMIC_SEQ_CST) < vm->cfg.vcpu_count &&
	       vm->stop == VM_RUNNING)
		await_parked(UINT64_MAX);
	vm->paused_at = arch_counter_now();
}

bool vm_sync_parked(struct vm *vm, unsigned timeout_ms, unsigned *late_vcpu)
{
	uint64_t give_up = arch_counter_now() + arch_counter_freq() / 1000u * timeout_ms;
	unsigned gen;

	__atomic_store_n(&vm->parked_waiter, arch_cpu_index() + 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&vm->sync_starts, false, __ATOMIC_SEQ_CST);
	gen = __atomic_add_fetch(&vm->sync_gen, 1, __ATOMIC_SEQ_CST);
	for (unsigned i = 0; i < vm->cfg.vcpu_count; i++)
		arch_kick_cpu(vm->vcpus[i].pcpu);
	/*
	 * Each vCPU says which synchronization it took: one that missed an
	 * earlier one (late, its copy discarded) cannot count for this one.
	 */
	for (unsigned i = 0; i < vm->cfg.vcpu_count; i++)
		while (__atomic_load_n(&vm->vcpus[i].sync_gen, __ATOMIC_SEQ_CST) != gen) {
			if (arch_counter_now() >= give_up || vm->stop != VM_RUNNING) {
				*late_vcpu = i;
				return false;
			}
			await_parked(give_up);
		}
	return true;
}
void vm_sync_start(struct vm *vm, uint64_t count)
{
	for (unsigned i = 0; i < vm->cfg.vcpu_count; i++)
		__atomic_store_n(&vm->vcpus[i].entered_at, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&vm->parked_waiter, arch_cpu_index() + 1, __ATOMIC_SEQ_CST);
	vm_resume_clock_at(vm, count);
	__atomic_store_n(&vm->sync_taken, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&vm->start_gate, VM_GATE_CLOSED, __ATOMIC_SEQ_CST);
	__atomic_store_n(&vm->sync_starts, true, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&vm->sync_gen, 1, __ATOMIC_SEQ_CST);
	for (unsigned i = 0; i < vm->cfg.vcpu_count; i++)
		arch_kick_cpu(vm->vcpus[i].pcpu);
}

void vm_open_start_gate(struct vm *vm, unsigned self)
{
	unsigned closed = VM_GATE_CLOSED;

	if (!__atomic_compare_exchange_n(&vm->start_gate, &closed, VM_GATE_OPEN, false,
					 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		return; /* barred: the synchronization failed, nobody enters */
	/*
	 * Every vCPU holds the new generation already: one that sees the
	 * pause over looks at the generation first (park), so none leaves
	 * without its state. The others may sleep at the gate.
	 */
	__atomic_store_n(&vm->pause_req, false, __ATOMIC_SEQ_CST);
	for (unsigned i = 0; i < vm->cfg.vcpu_count; i++)
		if (i != self)
			arch_kick_cpu(vm->vcpus[i].pcpu);
}

bool vm_sync_started(struct vm *vm, unsigned timeout_ms, unsigned *late_vcpu)
{
	uint64_t give_up = arch_counter_now() + arch_counter_freq() / 1000u * timeout_ms;
	unsigned gen = __atomic_load_n(&vm->sync_gen, __ATOMIC_SEQ_CST), closed = VM_GATE_CLOSED;

	/* Woken by the first vCPU in the guest (vm_entered_at's kick), or looking every ms. */
	while (__atomic_load_n(&vm->start_gate, __ATOMIC_SEQ_CST) == VM_GATE_CLOSED &&
	       arch_counter_now() < give_up && vm->stop == VM_RUNNING)
		await_parked(give_up);
	if (!__atomic_compare_exchange_n(&vm->start_gate, &closed, VM_GATE_BARRED, false,
					 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		return closed == VM_GATE_OPEN;
	*late_vcpu = 0;
	for (unsigned i = 0; i < vm->cfg.vcpu_count; i++)
		if (__atomic_load_n(&vm->vcpus[i].sync_gen, __ATOMIC_SEQ_CST) != gen) {
			*late_vcpu = i;
			break;
		}
	return false;
}

void vm_poll_parked(struct vm *vm, unsigned ms)
{
	__atomic_store_n(&vm->poll_until, arch_counter_now() + arch_counter_freq() / 1000u * ms,
			 __ATOMIC_SEQ_CST);
	for (unsigned i = 0; i < vm->cfg.vcpu_count; i++)
		arch_kick_cpu(vm->vcpus[i].pcpu);
}

void vm_resume_clock_at(struct vm *vm, uint64_t count)
{
	vm->clock_resume_count = count;
	__atomic_store_n(&vm->clock_due, true, __ATOMIC_SEQ_CST);
}

void vm_resume_clock(struct vm *vm)
{
	if (!__atomic_load_n(&vm->clock_due, __ATOMIC_ACQUIRE))
		return;
	arch_spin_lock(&vm->lock);
	if (vm->clock_due) { /* one offset for every vCPU: one virtual count */
		vm->ctl.cntvoff = arch_counter_now() - vm->clock_resume_count;
		__atomic_store_n(&vm->clock_due, false, __ATOMIC_RELEASE);
	}
	arch_spin_unlock(&vm->lock);
}

uint64_t vm_entered_at(struct vm *vm, unsigned vcpu, uint64_t give_up)
{
	uint64_t at;

	__atomic_store_n(&vm->parked_waiter, arch_cpu_index() + 1, __ATOMIC_SEQ_CST);
	while (!(at = __atomic_load_n(&vm->vcpus[vcpu].entered_at, __ATOMIC_SEQ_CST)) &&
	       vm->stop == VM_RUNNING && arch_counter_now() < give_up)
		await_parked(give_up);
	return at;
}

void vm_unpause(struct vm *vm)
{
	__atomic_store_n(&vm->pause_req, false, __ATOMIC_SEQ_CST);
	for (unsigned i = 0; i < vm->cfg.vcpu_count; i++)
		arch_kick_cpu(vm->vcpus[i].pcpu);
}

void vm_lease_until(struct vm *vm, uint64_t deadline)
{
	uint64_t was = __atomic_load_n(&vm->lease, __ATOMIC_SEQ_CST);

	deadline &= ~VM_LEASE_FENCED;
	if (!deadline) {
		__atomic_store_n(&vm->lease, 0, __ATOMIC_SEQ_CST); /* fenced or not: lifted */
	} else {
		/* A fenced VM stays so: a renewal that comes after the deadline renews nothing. */
		do {
			if (was & VM_LEASE_FENCED)
				return;
		} while (!__atomic_compare_exchange_n(&vm->lease, &was, deadline, false,
						      __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
		if (was)
			return; /* each vCPU arms its timer for the new one at its next entry */
	}
	/* A first deadline: each vCPU in the guest leaves it to arm its timer. Lifted: the
	 * vCPUs that stood go on. */
	for (unsigned i = 0; i < vm->cfg.vcpu_count; i++)
		arch_kick_cpu(vm->vcpus[i].pcpu);
}

/* The lease word after looking at the clock: fenced once its deadline passed. */
static uint64_t lease_now(struct vm *vm)
{
	uint64_t w = __atomic_load_n(&vm->lease, __ATOMIC_SEQ_CST);

	while (w && !(w & VM_LEASE_FENCED) && arch_counter_now() >= w)
		if (__atomic_compare_exchange_n(&vm->lease, &w, w | VM_LEASE_FENCED, false,
						__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
			return w | VM_LEASE_FENCED;
	return w;
}

bool vm_fenced(struct vm *vm) { return lease_now(vm) & VM_LEASE_FENCED; }

bool vm_lease_over(struct vm *vm)
{
	uint64_t w = __atomic_load_n(&vm->lease, __ATOMIC_SEQ_CST);

	/*
	 * This CPU's timer stands armed at this very deadline: it takes the
	 * vCPU out of the guest there (its handler disarms it, and the next
	 * look reads the clock), so the clock need not be read at every entry
	 * (on an emulated board each read takes the emulator's big lock).
	 */
	if (!(w & VM_LEASE_FENCED) && arch_timer_armed_at(w))
		return false;
	w = lease_now(vm);
	if (!w)
		return false;
	if (w & VM_LEASE_FENCED)
		return true;
	/* At the deadline itself, however long this CPU is held between here and the entry. */
	arch_timer_arm_at(w);
	return false;
}

void vm_stop_all(struct vm *vm, enum vm_stop_reason why)
{
	vm->stop = why;
	for (unsigned i = 0; i < vm->cfg.vcpu_count; i++)
		arch_kick_cpu(vm->vcpus[i].pcpu);
}

void vm_throttle_share(uint64_t pages_per_s, unsigned on, uint64_t freq, uint32_t *quota,
		       uint64_t *period)
{
	uint64_t share = pages_per_s / (on ? on : 1); /* pages per second for one vCPU */
	uint64_t per_period = share * VM_THROTTLE_PERIOD_MS / 1000u;

	if (per_period) {
		*quota = per_period < UINT32_MAX ? (uint32_t)per_period : UINT32_MAX;
		*period = freq / 1000u * VM_THROTTLE_PERIOD_MS;
		return;
	}
	/* Less than a page a period: a page per longer period (at least 1 page/s for all). */
	*quota = 1;
	*period = freq * (on ? on : 1) / (pages_per_s ? pages_per_s : 1);
}

void vm_throttle(struct vm *vm, uint64_t pages_per_s)
{
	__atomic_store_n(&vm->throttle_pages_per_s, pages_per_s, __ATOMIC_SEQ_CST);
	if (!pages_per_s) /* a vCPU waiting goes on now */
		for (unsigned i = 0; i < vm->cfg.vcpu_count; i++)
			arch_kick_cpu(vm->vcpus[i].pcpu);
}

void vm_throttle_collection(struct vm *vm, uint64_t pages)
{
	__atomic_store_n(&vm->collection_quota, pages, __ATOMIC_SEQ_CST);
	if (!pages)
		for (unsigned i = 0; i < vm->cfg.vcpu_count; i++)
			arch_kick_cpu(vm->vcpus[i].pcpu);
}

void vm_dirty_collected(struct vm *vm)
{
	__atomic_store_n(&vm->collection_dirtied, 0, __ATOMIC_SEQ_CST);
	__atomic_fetch_add(&vm->collections, 1, __ATOMIC_SEQ_CST);
}

/*
 * The page just marked counts against the collection's limit; over it, the
 * vCPU waits for the next collection (in practice for the stop before it:
 * a protected VM stands for each collection, and a stop ends the wait), a
 * hypervisor timer tick at a time, so that a lifted limit or a stop is seen
 * even without a kick.
 */
static void throttle_collection(struct vm *vm)
{
	uint64_t quota = __atomic_load_n(&vm->collection_quota, __ATOMIC_ACQUIRE);
	uint64_t seen = __atomic_load_n(&vm->collections, __ATOMIC_ACQUIRE), from, now;

	/*
	 * Counted only under a limit (a precopy's writes pay no shared atomic):
	 * a limit set meanwhile counts from then on, for that collection.
	 */
	if (!quota || __atomic_add_fetch(&vm->collection_dirtied, 1, __ATOMIC_SEQ_CST) <= quota)
		return;
	now = from = arch_counter_now();
	while (__atomic_load_n(&vm->collections, __ATOMIC_ACQUIRE) == seen &&
	       __atomic_load_n(&vm->collection_quota, __ATOMIC_ACQUIRE) && !vm->pause_req &&
	       vm->stop == VM_RUNNING) {
		arch_timer_arm(arch_counter_freq() / 1000u * VM_THROTTLE_PERIOD_MS);
		arch_idle_wait();
		now = arch_counter_now();
	}
	/* Not left to fire in the guest for nothing; the lease's deadline is armed at the entry. */
	arch_timer_stop();
	if (now > from) {
		__atomic_fetch_add(&vm->throttle_waits, 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&vm->throttle_wait_counts, now - from, __ATOMIC_RELAXED);
	}
}

/*
 * The page just marked counts against the vCPU's share of the limit, taken
 * among the vCPUs on now (a guest that turns vCPUs on later does not gain);
 * over it, the vCPU waits (the hypervisor timer wakes it) until its period
 * ends, unless the VM is paused or stopped, or the limit lifted, meanwhile.
 */
static void throttle_dirtying(struct vm *vm, struct vcpu *v)
{
	uint64_t pps = __atomic_load_n(&vm->throttle_pages_per_s, __ATOMIC_ACQUIRE);
	uint64_t now, from, period;
	unsigned on = 0;
	uint32_t quota;

	if (!pps)
		return;
	/*
	 * Within the share this period began with, for the same limit: no look
	 * at the clock (on an emulated board each read takes the emulator's big
	 * lock, at every logged write). The period then ends at the first page
	 * over the share, not at the first after its time: never a wait sooner,
	 * never more pages between two period starts. A vCPU turned on meanwhile
	 * shares from the next period on.
	 */
	if (pps == v->quota_for_pps && v->quota_used < v->quota_share) {
		v->quota_used++;
		return;
	}
	now = from = arch_counter_now();
	for (unsigned i = 0; i < vm->cfg.vcpu_count; i++)
		on += __atomic_load_n(&vm->vcpus[i].power, __ATOMIC_ACQUIRE) == VCPU_ON;
	vm_throttle_share(pps, on, arch_counter_freq(), &quota, &period);
	v->quota_share = quota;
	v->quota_for_pps = pps;
	if (now >= v->quota_period_end || v->quota_period_end - now > period) {
		v->quota_period_end = now + period;
		v->quota_used = 0;
	}
	if (++v->quota_used <= quota)
		return;
	while (now < v->quota_period_end &&
	       __atomic_load_n(&vm->throttle_pages_per_s, __ATOMIC_ACQUIRE) && !vm->pause_req &&
	       vm->stop == VM_RUNNING) {
		arch_timer_arm(v->quota_period_end - now);
		arch_idle_wait();
		now = arch_counter_now();
	}
	if (now > from) {
		__atomic_fetch_add(&vm->throttle_waits, 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&vm->throttle_wait_counts, now - from, __ATOMIC_RELAXED);
	}
	v->quota_period_end = now + period;
	v->quota_used = 1;
}

bool vm_dirty_fault(struct vm *vm, unsigned vcpu, uint64_t ipa)
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
	 * Writable first, dirty second: a page armed for its copy in between
	 * (its bit cleared, then protected: arm_for_copy) is either protected
	 * again, the bit set for a copy it does not need, or left writable
	 * with the bit set, copied again in the next round; a collection in
	 * between takes the bit or leaves it for the next one.
	 *
	 * Allowing a write needs no TLB invalidation (the Arm ARM asks for
	 * break-before-make and invalidation when a mapping is removed or
	 * changed otherwise, not when its permissions grow): a TLB that still
	 * holds the read-only entry faults again, and that fault, finding the
	 * page writable already (made so and marked by the first), only
	 * invalidates this CPU's entries. An emulated board flushes its whole
	 * guest TLB for any invalidation and never keeps a read-only entry for
	 * a write, so invalidating at every logged write made the guest refill
	 * its TLB some 30,000 times a second (the 125 MiB/s guest) for nothing.
	 */
	if (!s2_protect(&vm->s2, ipa_init(GUEST_RAM_IPA + page * PAGE_SIZE), PAGE_SIZE, S2_RWX)) {
		arch_s2_flush_local();
		return true;
	}
	arch_s2_publish(); /* the walker sees the writable entry when the guest retries */
	if (!vm->dirty_logging || !vm->dirty)
		return true;
	__atomic_fetch_or(&vm->dirty[page / 64], 1ull << (page % 64), __ATOMIC_SEQ_CST);
	__atomic_fetch_add(&vm->dirty_faults, 1, __ATOMIC_RELAXED);
	if (vcpu < vm->cfg.vcpu_count) {
		throttle_dirtying(vm, &vm->vcpus[vcpu]);
		throttle_collection(vm);
	}
	return true;
}

bool vm_postcopy_request(struct vm *vm, uint64_t page)
{
	uint64_t bit = 1ull << (page % 64);

	if (__atomic_load_n(&vm->present[page / 64], __ATOMIC_ACQUIRE) & bit)
		return false;
	arch_spin_lock(&vm->fault_lock);
	if (!(vm->requested[page / 64] & bit) &&
	    vm->fault_head - vm->fault_tail < sizeof(vm->fault_ring) / sizeof(vm->fault_ring[0])) {
		vm->requested[page / 64] |= bit;
		vm->fault_ring[vm->fault_head++ %
			       (sizeof(vm->fault_ring) / sizeof(vm->fault_ring[0]))] = page;
	}
	arch_spin_unlock(&vm->fault_lock);
	return true;
}

bool vm_postcopy_fault(struct vm *vm, unsigned vcpu, uint64_t ipa)
{
	uint64_t page = (ipa - GUEST_RAM_IPA) / PAGE_SIZE, bit = 1ull << (page % 64);

	if (!vm->postcopy || ipa < GUEST_RAM_IPA || page >= vm->cfg.mem_bytes / PAGE_SIZE)
		return false;
	/* Placed between the fault and now: the access simply goes again. */
	if (!vm_postcopy_request(vm, page))
		return true;
	vm->postcopy_stalls++;
	/*
	 * Only this vCPU waits; placing the page kicks it. Say what it waits for,
	 * then look: the placer sets the bit, then looks who waits (both
	 * sequentially consistent), so one of the two always sees the other and
	 * no wake-up is lost. Parking or stopping ends the wait too.
	 */
	__atomic_store_n(&vm->waiting_page[vcpu], page + 1, __ATOMIC_SEQ_CST);
	while (!(__atomic_load_n(&vm->present[page / 64], __ATOMIC_SEQ_CST) & bit) &&
	       vm->stop == VM_RUNNING && !vm->pause_req)
		arch_idle_wait();
	__atomic_store_n(&vm->waiting_page[vcpu], 0, __ATOMIC_SEQ_CST);
	return true; /* the guest retries the access */
}
