/* SPDX-License-Identifier: Apache-2.0 */
/**
 * Parking vCPUs for migration (hyp/vm_pause.c with the run loop) over the
 * fake arch: vm_pause returns once every vCPU has put its state into its
 * struct vcpu, whatever it was doing (running, asleep in WFI, off); what
 * the hardware held is what arrives there; vm_unpause loads it again.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/support/guest_steps.h"
#include "tests/support/guest_vm.h"

static struct host_vm *h;

/** What each vCPU's guest found on its hardware at its latest entry. */
static struct {
	uint64_t tpidr_el1, cntv_cval, vmcr, x7;
	uint64_t entries;
} seen[2];

static int setup(void **state)
{
	memset(seen, 0, sizeof(seen));
	return guest_vm_setup(state);
}

/* Runs, and on its first entry writes EL1 registers, the timer and ICH_VMCR on its CPU. */
static struct vcpu_exit guest_busy(struct fake_guest *g)
{
	unsigned i = g->cpu;

	if (g->entry == 0) {
		g->hw->sys.tpidr_el1 = 0x1000 + i;
		g->hw->sys.sp_el1 = 0x40100000 + i;
		g->hw->timer.cntv_cval_el0 = 0x5000 + i;
		g->hw->timer.cntv_ctl_el0 = 1;
		g->hw->ich_vmcr_el2 = 0xf0000001u;
		g->regs->x[7] = 0x7000 + i;
	}
	__atomic_store_n(&seen[i].tpidr_el1, g->hw->sys.tpidr_el1, __ATOMIC_RELAXED);
	__atomic_store_n(&seen[i].cntv_cval, g->hw->timer.cntv_cval_el0, __ATOMIC_RELAXED);
	__atomic_store_n(&seen[i].vmcr, g->hw->ich_vmcr_el2, __ATOMIC_RELAXED);
	__atomic_store_n(&seen[i].x7, g->regs->x[7], __ATOMIC_RELAXED);
	__atomic_store_n(&seen[i].entries, g->entry + 1, __ATOMIC_RELEASE);
	return fake_guest_run(g);
}

/* VMID 3, not guest_vm_boot's 1: the test finds it again in each CPU's VTTBR_EL2. */
static void start_two(fake_guest_fn guest, bool second_on)
{
	h = guest_vm_new(2, 3, guest);
	host_vm_power_on(h, 0, ENTRY, 0);
	if (second_on)
		host_vm_power_on(h, 1, ENTRY, 0);
	host_vm_start(h);
}

static uint64_t entries(unsigned i) { return __atomic_load_n(&seen[i].entries, __ATOMIC_ACQUIRE); }

static void test_pause_puts_state_unpause_loads_it(void **state)
{
	uint64_t before[2];

	(void)state;
	start_two(guest_busy, true);
	assert_true(HOST_VM_WAIT(entries(0) > 0 && entries(1) > 0, WAIT_MS));
	vm_pause(&h->vm);
	assert_int_equal(__atomic_load_n(&h->vm.parked, __ATOMIC_ACQUIRE), 2);
	assert_true(h->vm.paused_at != 0);
	for (unsigned i = 0; i < 2; i++) {
		const struct vcpu *v = &h->vm.vcpus[i];

		/* What the hardware held came back into struct vcpu. */
		assert_false(v->loaded);
		assert_false(fake_hw(i)->loaded);
		assert_int_equal(fake_hw(i)->puts, 1);
		assert_int_equal(v->regs.sys.tpidr_el1, 0x1000 + i);
		assert_int_equal(v->regs.sys.sp_el1, 0x40100000 + i);
		assert_int_equal(v->regs.timer.cntv_cval_el0, 0x5000 + i);
		assert_int_equal(v->regs.timer.cntv_ctl_el0, 1);
		assert_int_equal(v->regs.gic.ich_vmcr_el2, 0xf0000001u);
		assert_int_equal(v->regs.x[7], 0x7000 + i);
		/* The guest control reached the hardware at the load. */
		assert_int_equal(fake_hw(i)->vttbr_el2, h->vm.ctl.s2_root | (3ull << 48));
		assert_int_equal(fake_hw(i)->cntvoff_el2, h->vm.ctl.cntvoff);
		assert_int_equal(fake_hw(i)->vmpidr_el2, (1ull << 31) | i);
		assert_int_equal(fake_hw(i)->ipa_bits, h->vm.ctl.ipa_bits);
	}
	/* Parked: no guest runs. */
	before[0] = entries(0);
	before[1] = entries(1);
	assert_true(HOST_VM_WAIT(fake_cpu_stats(0).idle_timeouts >= 2 &&
					 fake_cpu_stats(1).idle_timeouts >= 2,
				 WAIT_MS));
	assert_int_equal(entries(0), before[0]);
	assert_int_equal(entries(1), before[1]);

	/* A migration's load: new state in memory; the vCPUs must take it to the hardware. */
	for (unsigned i = 0; i < 2; i++) {
		h->vm.vcpus[i].regs.sys.tpidr_el1 = 0x2000 + i;
		h->vm.vcpus[i].regs.timer.cntv_cval_el0 = 0x6000 + i;
		h->vm.vcpus[i].regs.gic.ich_vmcr_el2 = 0xe0000001u;
		h->vm.vcpus[i].regs.x[7] = 0x8000 + i;
	}
	h->vm.ctl.cntvoff = 12345;
	vm_unpause(&h->vm);
	assert_true(HOST_VM_WAIT(entries(0) > before[0] && entries(1) > before[1], WAIT_MS));
	assert_true(HOST_VM_WAIT(__atomic_load_n(&h->vm.parked, __ATOMIC_ACQUIRE) == 0, WAIT_MS));
	for (unsigned i = 0; i < 2; i++) {
		assert_int_equal(__atomic_load_n(&seen[i].tpidr_el1, __ATOMIC_RELAXED), 0x2000 + i);
		assert_int_equal(__atomic_load_n(&seen[i].cntv_cval, __ATOMIC_RELAXED), 0x6000 + i);
		assert_int_equal(__atomic_load_n(&seen[i].vmcr, __ATOMIC_RELAXED), 0xe0000001u);
		assert_int_equal(__atomic_load_n(&seen[i].x7, __ATOMIC_RELAXED), 0x8000 + i);
		assert_int_equal(__atomic_load_n(&fake_hw(i)->loads, __ATOMIC_RELAXED), 2);
		assert_int_equal(__atomic_load_n(&fake_hw(i)->cntvoff_el2, __ATOMIC_RELAXED),
				 12345);
	}
	vm_stop_all(&h->vm, VM_POWER_OFF);
	assert_true(host_vm_join(h, WAIT_MS));
}

/* vCPU 0 sleeps in WFI with nothing pending; vCPU 1 is off. After the pause, vCPU 0 ends. */
static struct vcpu_exit guest_sleeper(struct fake_guest *g)
{
	switch (g->regs->pc) {
	case AT(0):
		g->hw->sys.tpidr_el1 = 0xabc;
		return fake_guest_wfi(g);
	case AT(1): /* WFI may end for no reason: the guest goes on */
		return guest_off(g, NULL);
	default:
		return fake_guest_serror(g, 0);
	}
}

static void test_pause_parks_sleeping_and_off_vcpus(void **state)
{
	(void)state;
	start_two(guest_sleeper, false);
	assert_true(HOST_VM_WAIT(__atomic_load_n(&h->vm.vcpus[0].stats.wfi, __ATOMIC_RELAXED) == 1,
				 WAIT_MS));
	vm_pause(&h->vm);
	assert_int_equal(__atomic_load_n(&h->vm.parked, __ATOMIC_ACQUIRE), 2);
	assert_int_equal(h->vm.vcpus[0].regs.sys.tpidr_el1, 0xabc);
	assert_int_equal(h->vm.vcpus[0].regs.pc, AT(1)); /* past the WFI */
	assert_int_equal(h->vm.vcpus[1].power, VCPU_OFF);
	assert_false(fake_hw(1)->loaded);
	vm_unpause(&h->vm);
	guest_vm_ends(h, VM_POWER_OFF);
	assert_int_equal(fake_hw(0)->loads, 2);
}

/* A VM that leaves this board while parked: every loop returns. */
static void test_stop_ends_parked_loops(void **state)
{
	(void)state;
	start_two(guest_busy, true);
	assert_true(HOST_VM_WAIT(entries(0) > 0 && entries(1) > 0, WAIT_MS));
	vm_pause(&h->vm);
	vm_stop_all(&h->vm, VM_MIGRATED);
	guest_vm_ends(h, VM_MIGRATED);
	for (unsigned i = 0; i < 2; i++) {
		assert_int_equal(fake_hw(i)->loads, 1);
		assert_int_equal(fake_hw(i)->puts, 1);
		assert_int_equal(h->vm.vcpus[i].regs.sys.tpidr_el1, 0x1000 + i);
	}
}

/*
 * The CPU that waits for parked vCPUs (the pause, a synchronization, the
 * start) sleeps, and each vCPU kicks it once it has done what was asked:
 * a board CPU that spins keeps its host thread busy, and the vCPU it
 * waits for may then wait for that thread's host core.
 */
static void test_waiting_cpu_is_kicked_by_each_vcpu(void **state)
{
	uint64_t kicks, give_up;
	unsigned late = 99;

	(void)state;
	start_two(guest_busy, true);
	assert_true(HOST_VM_WAIT(entries(0) > 0 && entries(1) > 0, WAIT_MS));
	kicks = fake_cpu_stats(HOST_VM_CONTROL_CPU).kicks;
	vm_pause(&h->vm);
	assert_int_equal(__atomic_load_n(&h->vm.parked, __ATOMIC_ACQUIRE), 2);
	assert_true(fake_cpu_stats(HOST_VM_CONTROL_CPU).kicks >= kicks + 2);

	kicks = fake_cpu_stats(HOST_VM_CONTROL_CPU).kicks;
	assert_true(vm_sync_parked(&h->vm, WAIT_MS, &late));
	assert_int_equal(late, 99);
	assert_true(fake_cpu_stats(HOST_VM_CONTROL_CPU).kicks >= kicks + 2);

	kicks = fake_cpu_stats(HOST_VM_CONTROL_CPU).kicks;
	for (unsigned i = 0; i < 2; i++)
		__atomic_store_n(&h->vm.vcpus[i].entered_at, 0, __ATOMIC_SEQ_CST);
	vm_unpause(&h->vm);
	give_up = arch_counter_now() + arch_counter_freq() / 1000u * WAIT_MS;
	for (unsigned i = 0; i < 2; i++)
		assert_true(vm_entered_at(&h->vm, i, give_up) != 0);
	assert_true(fake_cpu_stats(HOST_VM_CONTROL_CPU).kicks >= kicks + 2);
	vm_stop_all(&h->vm, VM_POWER_OFF);
	assert_true(host_vm_join(h, WAIT_MS));
}

/* A vCPU that never enters: the wait ends at its deadline, asleep, with 0. */
static void test_entered_at_gives_up(void **state)
{
	uint64_t waits;

	(void)state;
	start_two(guest_busy, true);
	assert_true(HOST_VM_WAIT(entries(0) > 0 && entries(1) > 0, WAIT_MS));
	vm_pause(&h->vm);
	__atomic_store_n(&h->vm.vcpus[0].entered_at, 0, __ATOMIC_SEQ_CST);
	waits = fake_cpu_stats(HOST_VM_CONTROL_CPU).idle_waits;
	assert_int_equal(vm_entered_at(&h->vm, 0, arch_counter_now() + arch_counter_freq() / 100u),
			 0);
	assert_true(fake_cpu_stats(HOST_VM_CONTROL_CPU).idle_waits > waits);
	vm_stop_all(&h->vm, VM_POWER_OFF);
	assert_true(host_vm_join(h, WAIT_MS));
}

/*
 * Protection's fencing: past the lease's deadline no vCPU enters its guest,
 * and neither a resume nor a later deadline lets it go on; only lifting
 * the deadline does (the standby dropped its copy).
 */
static void test_lease_deadline_fences(void **state)
{
	uint64_t now, stood[2];

	(void)state;
	start_two(guest_busy, true);
	assert_true(HOST_VM_WAIT(entries(0) > 0 && entries(1) > 0, WAIT_MS));
	now = arch_counter_now();
	vm_lease_until(&h->vm, now + arch_counter_freq() / 100u); /* 10 ms */
	assert_false(vm_fenced(&h->vm));
	assert_true(HOST_VM_WAIT(__atomic_load_n(&h->vm.parked, __ATOMIC_ACQUIRE) == 2, WAIT_MS));
	assert_true(vm_fenced(&h->vm));
	assert_true(arch_counter_now() >= now + arch_counter_freq() / 100u);
	stood[0] = entries(0);
	stood[1] = entries(1);
	vm_unpause(&h->vm); /* the engine's resume: nothing */
	vm_lease_until(&h->vm, arch_counter_now() + arch_counter_freq()); /* a late renewal */
	usleep(20000);
	assert_int_equal(entries(0), stood[0]);
	assert_int_equal(entries(1), stood[1]);
	assert_true(vm_fenced(&h->vm));
	vm_lease_until(&h->vm, 0);
	assert_false(vm_fenced(&h->vm));
	assert_true(HOST_VM_WAIT(entries(0) > stood[0] && entries(1) > stood[1], WAIT_MS));
	vm_stop_all(&h->vm, VM_POWER_OFF);
	assert_true(host_vm_join(h, WAIT_MS));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		GUEST_VM_TEST(test_pause_puts_state_unpause_loads_it, setup),
		GUEST_VM_TEST(test_pause_parks_sleeping_and_off_vcpus, setup),
		GUEST_VM_TEST(test_stop_ends_parked_loops, setup),
		GUEST_VM_TEST(test_waiting_cpu_is_kicked_by_each_vcpu, setup),
		GUEST_VM_TEST(test_entered_at_gives_up, setup),
		GUEST_VM_TEST(test_lease_deadline_fences, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
