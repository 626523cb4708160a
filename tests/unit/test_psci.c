/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The guest's PSCI (hyp/psci_guest.c) through the run loop over the fake
 * arch: calls by HVC and by a trapped SMC, CPU_ON of a second vCPU with
 * its entry point and context, and the calls that end the VM. Function
 * IDs and return values: Arm DEN0022 (PSCI 1.1), 5.1 and 5.2.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tests/support/guest_vm.h"
#include "tests/support/host_console.h"

#define PSCI_VERSION	       0x84000000u
#define PSCI_CPU_SUSPEND       0x84000001u
#define PSCI_CPU_OFF	       0x84000002u
#define PSCI_CPU_ON_32	       0x84000003u
#define PSCI_CPU_ON_64	       0xc4000003u
#define PSCI_AFFINITY_INFO_64  0xc4000004u
#define PSCI_MIGRATE_INFO_TYPE 0x84000006u
#define PSCI_SYSTEM_OFF	       0x84000008u
#define PSCI_SYSTEM_RESET      0x84000009u
#define PSCI_FEATURES	       0x8400000au

#define PSCI_NOT_SUPPORTED	((uint64_t)-1)
#define PSCI_INVALID_PARAMETERS ((uint64_t)-2)
#define PSCI_ALREADY_ON		((uint64_t)-4)
#define PSCI_INVALID_ADDRESS	((uint64_t)-9)

static struct host_vm *h;

/** A guest that makes calls in turn: call k at AT(2k), its x0 kept at AT(2k + 1). */
struct call {
	uint32_t fid;
	uint64_t a1, a2, a3;
};

static const struct call *calls;
static unsigned call_count;
static bool by_smc;

static struct {
	uint64_t ret[16];
	unsigned returned;
	/* vCPU 1's entries through CPU_ON: what it found when it started */
	unsigned starts;
	uint64_t pc[2], x0[2], pstate[2], sctlr[2], vmpidr[2];
	volatile bool off_now;
} seen;

static int setup(void **state)
{
	memset(&seen, 0, sizeof(seen));
	by_smc = false;
	return guest_vm_setup(state);
}

static struct vcpu_exit call(struct fake_guest *g, const struct call *c)
{
	if (!by_smc)
		return fake_guest_psci(g, c->fid, c->a1, c->a2, c->a3);
	g->regs->x[0] = c->fid;
	g->regs->x[1] = c->a1;
	g->regs->x[2] = c->a2;
	g->regs->x[3] = c->a3;
	return fake_guest_smc(g, 0);
}

static struct vcpu_exit guest_calls(struct fake_guest *g)
{
	for (;;) {
		uint64_t k = (g->regs->pc - ENTRY) / 4;

		if (g->regs->pc < ENTRY || k >= 2ull * call_count)
			return fake_guest_serror(g, 0); /* ran off its program */
		if (k % 2 == 0)
			return call(g, &calls[k / 2]);
		seen.ret[seen.returned++] = g->regs->x[0];
		g->regs->pc += 4;
	}
}

/** The calls made in turn, the last of them one that powers the VM off. */
static void run_calls(const struct call *list, unsigned n)
{
	calls = list;
	call_count = n;
	h = guest_vm_boot(1, guest_calls, 0);
	guest_vm_ends(h, VM_POWER_OFF);
}

/** The guest saw `n` calls return, the results `want` in turn. */
static void check_returns(const uint64_t *want, unsigned n)
{
	assert_int_equal(seen.returned, n);
	for (unsigned k = 0; k < n; k++) {
		if (seen.ret[k] != want[k])
			print_error("call %u returned:\n", k);
		assert_int_equal(seen.ret[k], want[k]);
	}
}

static void test_version_features_unknown(void **state)
{
	static const struct call list[] = {
		{ PSCI_VERSION, 0, 0, 0 },
		{ PSCI_FEATURES, PSCI_CPU_ON_64, 0, 0 },
		{ PSCI_FEATURES, PSCI_CPU_SUSPEND, 0, 0 },
		{ PSCI_MIGRATE_INFO_TYPE, 0, 0, 0 },
		{ PSCI_CPU_SUSPEND, 0, 0, 0 },
		{ 0x8400ffffu, 0, 0, 0 },
		{ PSCI_SYSTEM_OFF, 0, 0, 0 },
	};
	static const uint64_t want[] = {
		0x10001, /* 1.1 */
		0,
		PSCI_NOT_SUPPORTED,
		2, /* no trusted OS to migrate */
		PSCI_NOT_SUPPORTED,
		PSCI_NOT_SUPPORTED,
	};

	(void)state;
	run_calls(list, 7);
	/* Every call returned to the instruction after its HVC, and nothing else ran. */
	check_returns(want, 6);
	assert_int_equal(h->vm.vcpus[0].stats.hvc, 7);
	assert_int_equal(host_console_count("powered off by the guest"), 1);
}

static void test_smc_served_as_psci_and_reported_once(void **state)
{
	static const struct call list[] = {
		{ PSCI_VERSION, 0, 0, 0 },
		{ PSCI_VERSION, 0, 0, 0 },
		{ PSCI_SYSTEM_OFF, 0, 0, 0 },
	};
	static const uint64_t want[] = { 0x10001, 0x10001 };

	(void)state;
	by_smc = true;
	run_calls(list, 3);
	/* The SMC's preferred return is the SMC: Ferry stepped over it, once each time. */
	check_returns(want, 2);
	assert_int_equal(host_console_count("SMC (served as PSCI)"), 1);
	assert_int_equal(h->vm.faults_reported, VM_FAULT_SMC);
}

/*
 * vCPU 0 starts vCPU 1, checks what it may and may not do to it, tells it
 * to turn itself off, waits until AFFINITY_INFO says it is off, starts it
 * again with SMC32 arguments that carry junk above bit 31, and powers off.
 */
#define CPU_ON_CALLS 7

static const struct call cpu_on_calls[CPU_ON_CALLS] = {
	{ PSCI_CPU_ON_64, 1, ENTRY1, 0x1234 }, { PSCI_CPU_ON_64, 1, ENTRY1, 0 },
	{ PSCI_AFFINITY_INFO_64, 1, 0, 0 },    { PSCI_CPU_ON_64, 7, ENTRY1, 0 },
	{ PSCI_AFFINITY_INFO_64, 1, 1, 0 },    { PSCI_CPU_ON_64, 1, 0x1000, 0 },
	{ PSCI_CPU_ON_64, 0, ENTRY1, 0 },
};

static struct vcpu_exit guest_cpu_on(struct fake_guest *g)
{
	for (;;) {
		uint64_t pc = g->regs->pc;

		if (pc >= ENTRY && pc < AT(2 * CPU_ON_CALLS)) {
			if ((pc - ENTRY) / 4 % 2 == 0) {
				/* After the first call, wait until vCPU 1 has run. */
				if (pc == AT(2) && !__atomic_load_n(&seen.starts, __ATOMIC_ACQUIRE))
					return fake_guest_run(g);
				return call(g, &cpu_on_calls[(pc - ENTRY) / 8]);
			}
			seen.ret[seen.returned++] = g->regs->x[0];
			g->regs->pc += 4;
			continue;
		}
		switch (pc) {
		case AT(2 * CPU_ON_CALLS): /* vCPU 1: off now */
			__atomic_store_n(&seen.off_now, true, __ATOMIC_RELEASE);
			g->regs->pc += 4;
			break;
		case AT(2 * CPU_ON_CALLS + 1): /* until AFFINITY_INFO(1) says OFF (1) */
			return fake_guest_psci(g, PSCI_AFFINITY_INFO_64, 1, 0, 0);
		case AT(2 * CPU_ON_CALLS + 2):
			g->regs->pc = g->regs->x[0] == 1 ? AT(2 * CPU_ON_CALLS + 3)
							 : AT(2 * CPU_ON_CALLS + 1);
			break;
		case AT(2 * CPU_ON_CALLS +
			3): /* CPU_ON (SMC32 form): junk above the 32 bits is ignored */
			return fake_guest_psci(g, PSCI_CPU_ON_32, 0xdead000000000001ull,
					       0xdead000000000000ull | ENTRY1,
					       0xdead000000005678ull);
		case AT(2 * CPU_ON_CALLS + 4):
			seen.ret[seen.returned++] = g->regs->x[0];
			g->regs->pc += 4;
			break;
		case AT(2 * CPU_ON_CALLS + 5):
			if (__atomic_load_n(&seen.starts, __ATOMIC_ACQUIRE) < 2)
				return fake_guest_run(g);
			return fake_guest_psci(g, PSCI_SYSTEM_OFF, 0, 0, 0);
		/* vCPU 1 */
		case AT1(0): {
			unsigned k = seen.starts;

			if (k < 2) {
				seen.pc[k] = pc;
				seen.x0[k] = g->regs->x[0];
				seen.pstate[k] = g->regs->pstate;
				seen.sctlr[k] = g->hw->sys.sctlr_el1;
				seen.vmpidr[k] = g->hw->vmpidr_el2;
			}
			__atomic_store_n(&seen.starts, k + 1, __ATOMIC_RELEASE);
			g->regs->pc += 4;
			break;
		}
		case AT1(1):
			if (seen.starts == 1 && __atomic_load_n(&seen.off_now, __ATOMIC_ACQUIRE))
				return fake_guest_psci(g, PSCI_CPU_OFF, 0, 0, 0);
			return fake_guest_run(g);
		default:
			return fake_guest_serror(g, 0);
		}
	}
}

static void test_cpu_on_off_affinity_info(void **state)
{
	static const uint64_t want[] = {
		0,
		PSCI_ALREADY_ON,
		0, /* ON */
		PSCI_INVALID_PARAMETERS,
		PSCI_INVALID_PARAMETERS, /* only affinity level 0 */
		PSCI_INVALID_ADDRESS,	 /* outside RAM */
		PSCI_ALREADY_ON,	 /* the caller itself */
		0,
	};

	(void)state;
	h = guest_vm_boot(2, guest_cpu_on, 0);
	guest_vm_ends(h, VM_POWER_OFF);
	check_returns(want, 8);
	/* vCPU 1 started at its entry point with its context in x0, in its reset state
	 * (EL1h, D, A, I, F masked; MMU off), with Aff0 = 1 in VMPIDR_EL2. */
	assert_int_equal(seen.starts, 2);
	assert_int_equal(seen.pc[0], ENTRY1);
	assert_int_equal(seen.x0[0], 0x1234);
	assert_int_equal(seen.pstate[0], 0x3c5);
	assert_int_equal(seen.sctlr[0] & 1, 0);
	assert_int_equal(seen.vmpidr[0], (1ull << 31) | 1);
	assert_int_equal(seen.pc[1], ENTRY1);
	assert_int_equal(seen.x0[1], 0x5678);
}

/* Two vCPUs, the second asleep in WFI: the first ends the VM; both loops end. */
static uint32_t ending_call;

static struct vcpu_exit guest_ender(struct fake_guest *g)
{
	switch (g->regs->pc) {
	case AT(0):
		if (!__atomic_load_n(&seen.off_now, __ATOMIC_ACQUIRE))
			return fake_guest_run(g);
		return fake_guest_psci(g, ending_call, 0, 0, 0);
	case AT1(0):
		return fake_guest_wfi(g);
	default:
		return fake_guest_serror(g, 0);
	}
}

static void end_vm(uint32_t fid, enum vm_stop_reason expected, const char *message)
{
	ending_call = fid;
	h = guest_vm_boot(2, guest_ender, ENTRY1);
	assert_true(HOST_VM_WAIT(__atomic_load_n(&h->vm.vcpus[1].stats.wfi, __ATOMIC_RELAXED) == 1,
				 WAIT_MS));
	__atomic_store_n(&seen.off_now, true, __ATOMIC_RELEASE);
	guest_vm_ends(h, expected);
	assert_int_equal(host_console_count(message), 1);
	for (unsigned cpu = 0; cpu < 2; cpu++) {
		assert_false(fake_hw(cpu)->loaded);
		assert_true(fake_hw(cpu)->timer_stops >= 1);
	}
}

static void test_system_off_ends_every_loop(void **state)
{
	(void)state;
	end_vm(PSCI_SYSTEM_OFF, VM_POWER_OFF, "PSCI SYSTEM_OFF");
}

static void test_system_reset_ends_every_loop(void **state)
{
	(void)state;
	end_vm(PSCI_SYSTEM_RESET, VM_RESET, "PSCI SYSTEM_RESET");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		GUEST_VM_TEST(test_version_features_unknown, setup),
		GUEST_VM_TEST(test_smc_served_as_psci_and_reported_once, setup),
		GUEST_VM_TEST(test_cpu_on_off_affinity_info, setup),
		GUEST_VM_TEST(test_system_off_ends_every_loop, setup),
		GUEST_VM_TEST(test_system_reset_ends_every_loop, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
