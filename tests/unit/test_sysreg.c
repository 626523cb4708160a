/* SPDX-License-Identifier: Apache-2.0 */
/**
 * Trapped system registers (hyp/sysreg_emul.c, hyp/id_regs.c) through the
 * run loop over the fake arch: the GICv3 SGI registers, MDSCR_EL1 and the
 * debug and PMU registers, the ID registers as the guest reads them, and
 * the Undefined Instruction exception for a register Ferry does not know.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tests/fake_arch/fake_guest.h"
#include "tests/support/host_console.h"
#include "tests/support/host_vm.h"

#define MEM		     (2ull << 20)
#define ENTRY		     (GUEST_RAM_IPA + 0x1000)
#define AT(n)		     (ENTRY + 4ull * (n))
#define VBAR		     (GUEST_RAM_IPA + 0x8000)
#define WAIT_MS		     5000
#define PSCI_SYSTEM_OFF	     0x84000008u
#define PSTATE_EL1H_UNMASKED 0x5ull
#define PSTATE_EL1T_UNMASKED 0x4ull

/* Encodings (Arm ARM D19): op0, op1, CRn, CRm, op2. */
#define ICC_SGI1R_EL1	    3, 0, 12, 11, 5
#define ICC_ASGI1R_EL1	    3, 0, 12, 11, 6
#define MDSCR_EL1	    2, 0, 0, 2, 2
#define DBGBVR0_EL1	    2, 0, 0, 0, 4
#define PMCR_EL0	    3, 3, 9, 12, 0
#define ID_AA64PFR0_EL1	    3, 0, 0, 4, 0
#define ID_AA64ZFR0_EL1	    3, 0, 0, 4, 4
#define ID_AA64DFR0_EL1	    3, 0, 0, 5, 0
#define ID_AA64ISAR0_EL1    3, 0, 0, 6, 0
#define ID_AA64ISAR1_EL1    3, 0, 0, 6, 1
#define ID_AA64MMFR1_EL1    3, 0, 0, 7, 1
#define ID_UNALLOCATED	    3, 0, 0, 3, 7
#define IMPDEF_REG	    3, 1, 15, 2, 0
#define ENC(...)	    ENC_(__VA_ARGS__)
#define ENC_(a, b, c, d, e) SYSREG_ENC(a, b, c, d, e)

static struct host_vm *h;

static struct {
	uint64_t x[32];
	unsigned handled;
	uint64_t esr[4], far[4], elr[4], spsr[4], pc[4], pstate[4];
} seen;

static int setup(void **state)
{
	(void)state;
	fake_arch_reset();
	host_console_capture();
	memset(&seen, 0, sizeof(seen));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	host_vm_destroy(h);
	h = NULL;
	return 0;
}

static void run(unsigned vcpus, fake_guest_fn guest)
{
	h = host_vm_create("vm0", vcpus, MEM, 1);
	assert_non_null(h);
	host_vm_power_on(h, 0, ENTRY, 0);
	fake_guest_install(FAKE_CPU_ALL, guest, NULL);
	host_vm_start(h);
	assert_true(host_vm_join(h, WAIT_MS));
	assert_int_equal(h->vm.stop, VM_POWER_OFF);
}

static struct vcpu_exit guest_sgi(struct fake_guest *g)
{
	switch (g->regs->pc) {
	case AT(0): /* INTID 3 to the target list {1} */
		g->regs->x[2] = (3ull << 24) | (1u << 1);
		return fake_guest_msr(g, ICC_SGI1R_EL1, 2);
	case AT(1): /* INTID 5 to all but self (IRM) */
		g->regs->x[2] = (5ull << 24) | (1ull << 40);
		return fake_guest_msr(g, ICC_SGI1R_EL1, 2);
	case AT(2): /* INTID 6 to itself, through the alias */
		g->regs->x[3] = (6ull << 24) | (1u << 0);
		return fake_guest_msr(g, ICC_ASGI1R_EL1, 3);
	case AT(3): /* INTID 7 to Aff1 = 1: nobody there */
		g->regs->x[2] = (7ull << 24) | (1ull << 16) | 3;
		return fake_guest_msr(g, ICC_SGI1R_EL1, 2);
	case AT(4):
		return fake_guest_psci(g, PSCI_SYSTEM_OFF, 0, 0, 0);
	default:
		return fake_guest_serror(g, 0);
	}
}

static bool sgi_pending(unsigned vcpu, uint32_t intid)
{
	return vgic_irq_pending(vgic_irq(&h->vm.vgic, vcpu, intid));
}

static void test_icc_sgi1r_pends_sgi_on_target(void **state)
{
	(void)state;
	run(2, guest_sgi);
	assert_true(sgi_pending(1, 3));
	assert_false(sgi_pending(0, 3));
	assert_true(sgi_pending(1, 5));
	assert_false(sgi_pending(0, 5));
	assert_true(sgi_pending(0, 6));
	assert_false(sgi_pending(1, 6));
	assert_false(sgi_pending(0, 7));
	assert_false(sgi_pending(1, 7));
	/* The target's CPU was told (vCPU 1 is off, so it only looked). */
	assert_true(fake_cpu_stats(1).kicks >= 2);
	assert_int_equal(h->vm.vcpus[0].stats.sysreg, 4);
	assert_int_equal(h->vm.faults_reported, 0);
}

static struct vcpu_exit guest_debug(struct fake_guest *g)
{
	switch (g->regs->pc) {
	case AT(0): /* MDSCR_EL1.MDE [15], SS [0] */
		g->regs->x[4] = 0x8001;
		g->regs->x[5] = g->regs->x[6] = g->regs->x[7] = ~0ull;
		return fake_guest_msr(g, MDSCR_EL1, 4);
	case AT(1):
		return fake_guest_mrs(g, MDSCR_EL1, 5);
	case AT(2):
		return fake_guest_mrs(g, DBGBVR0_EL1, 6);
	case AT(3):
		return fake_guest_msr(g, PMCR_EL0, 4);
	case AT(4):
		return fake_guest_mrs(g, PMCR_EL0, 7);
	case AT(5):
		memcpy(seen.x, g->regs->x, sizeof(seen.x));
		return fake_guest_psci(g, PSCI_SYSTEM_OFF, 0, 0, 0);
	default:
		return fake_guest_serror(g, 0);
	}
}

static void test_mdscr_emulated_debug_and_pmu_raz_wi(void **state)
{
	(void)state;
	run(1, guest_debug);
	assert_int_equal(seen.x[5], 0x8001);
	assert_int_equal(seen.x[6], 0);
	assert_int_equal(seen.x[7], 0);
	/* Kept in memory across the put at the end (the hardware never held it). */
	assert_int_equal(h->vm.vcpus[0].regs.sys.mdscr_el1, 0x8001);
	assert_int_equal(fake_hw(0)->sys.mdscr_el1, 0);
	assert_int_equal(h->vm.faults_reported, 0);
}

static struct vcpu_exit guest_id(struct fake_guest *g)
{
	switch (g->regs->pc) {
	case AT(0):
		for (unsigned r = 0; r < 31; r++)
			g->regs->x[r] = 0xbad;
		return fake_guest_mrs(g, ID_AA64PFR0_EL1, 1);
	case AT(1):
		return fake_guest_mrs(g, ID_AA64ZFR0_EL1, 2);
	case AT(2):
		return fake_guest_mrs(g, ID_AA64DFR0_EL1, 3);
	case AT(3):
		return fake_guest_mrs(g, ID_AA64ISAR1_EL1, 4);
	case AT(4):
		return fake_guest_mrs(g, ID_AA64MMFR1_EL1, 5);
	case AT(5):
		return fake_guest_mrs(g, ID_AA64ISAR0_EL1, 6);
	case AT(6):
		return fake_guest_mrs(g, ID_UNALLOCATED, 7);
	case AT(7): /* into xzr */
		return fake_guest_mrs(g, ID_AA64PFR0_EL1, 31);
	case AT(8):
		memcpy(seen.x, g->regs->x, sizeof(seen.x));
		return fake_guest_psci(g, PSCI_SYSTEM_OFF, 0, 0, 0);
	default:
		return fake_guest_serror(g, 0);
	}
}

static void test_id_registers_sanitized(void **state)
{
	(void)state;
	fake_id_reg_set(ENC(ID_AA64PFR0_EL1), ~0ull);
	fake_id_reg_set(ENC(ID_AA64ZFR0_EL1), ~0ull);
	fake_id_reg_set(ENC(ID_AA64DFR0_EL1), ~0ull);
	fake_id_reg_set(ENC(ID_AA64ISAR1_EL1), ~0ull);
	fake_id_reg_set(ENC(ID_AA64MMFR1_EL1), ~0ull);
	fake_id_reg_set(ENC(ID_AA64ISAR0_EL1), 0x0000000000011120ull);
	run(1, guest_id);
	/* ID_AA64PFR0_EL1: EL2 [11:8], EL3 [15:12], RAS [31:28], SVE [35:32], SEL2 [39:36],
	 * MPAM [43:40], AMU [47:44] read as "not implemented" (Arm ARM, ID_AA64PFR0_EL1). */
	assert_int_equal(seen.x[1], 0xffff00000fff00ffull);
	/* ID_AA64ZFR0_EL1: no SVE at all. */
	assert_int_equal(seen.x[2], 0);
	/* ID_AA64DFR0_EL1: TraceVer [7:4], PMUVer [11:8], PMSVer [35:32], TraceFilt [43:40],
	 * TraceBuffer [47:44], BRBE [55:52]. */
	assert_int_equal(seen.x[3], 0xff0f00f0fffff00full);
	/* ID_AA64ISAR1_EL1: APA [7:4], API [11:8], GPA [27:24], GPI [31:28]: no pointer auth. */
	assert_int_equal(seen.x[4], 0xffffffff00fff00full);
	/* ID_AA64MMFR1_EL1: VH [11:8], LO [19:16]. */
	assert_int_equal(seen.x[5], 0xfffffffffff0f0ffull);
	/* Nothing hidden in ID_AA64ISAR0_EL1; an unallocated ID register reads as zero. */
	assert_int_equal(seen.x[6], 0x11120);
	assert_int_equal(seen.x[7], 0);
	assert_int_equal(h->vm.faults_reported, 0);
}

/* The guest's exception handler: records what EL1 saw, returns past the instruction. */
static void take_handler(struct fake_guest *g)
{
	unsigned n = seen.handled++ % 4;

	seen.pc[n] = g->regs->pc;
	seen.pstate[n] = g->regs->pstate;
	seen.esr[n] = g->hw->sys.esr_el1;
	seen.far[n] = g->hw->sys.far_el1;
	seen.elr[n] = g->hw->sys.elr_el1;
	seen.spsr[n] = g->hw->sys.spsr_el1;
	g->hw->sys.elr_el1 += 4;
	fake_guest_eret(g);
}

static struct vcpu_exit guest_undef(struct fake_guest *g)
{
	for (;;) {
		switch (g->regs->pc) {
		case AT(0): /* msr S3_1_C15_C2_0, x1 at EL1h */
			g->hw->sys.vbar_el1 = VBAR;
			g->regs->pstate = PSTATE_EL1H_UNMASKED;
			return fake_guest_msr(g, IMPDEF_REG, 1);
		case AT(1): /* a write to a read-only ID register */
			return fake_guest_msr(g, ID_AA64PFR0_EL1, 1);
		case AT(2): /* mrs x1, S3_1_C15_C2_0 at EL1t */
			g->regs->pstate = PSTATE_EL1T_UNMASKED;
			return fake_guest_mrs(g, IMPDEF_REG, 1);
		case AT(3):
			g->regs->pstate = PSTATE_EL1H_UNMASKED;
			return fake_guest_psci(g, PSCI_SYSTEM_OFF, 0, 0, 0);
		case VBAR + 0x000: /* current EL with SP_EL0 */
		case VBAR + 0x200: /* current EL with SP_ELx */
			take_handler(g);
			break;
		default:
			return fake_guest_serror(g, 0);
		}
	}
}

static void test_unknown_register_injects_undef(void **state)
{
	/* ESR_EL1 of an Undefined Instruction: EC 0 ("unknown reason"), IL 1 (Arm ARM, ESR_EL1) */
	const uint64_t undef = 1ull << 25;

	(void)state;
	run(1, guest_undef);
	assert_int_equal(seen.handled, 3);
	for (unsigned n = 0; n < 3; n++) {
		assert_int_equal(seen.esr[n], undef);
		assert_int_equal(seen.elr[n], AT(n));	 /* the instruction itself */
		assert_int_equal(seen.pstate[n], 0x3c5); /* EL1h, D, A, I, F masked */
	}
	assert_int_equal(seen.pc[0], VBAR + 0x200);
	assert_int_equal(seen.spsr[0], PSTATE_EL1H_UNMASKED);
	assert_int_equal(seen.pc[1], VBAR + 0x200);
	assert_int_equal(seen.pc[2], VBAR + 0x000);
	assert_int_equal(seen.spsr[2], PSTATE_EL1T_UNMASKED);
	assert_int_equal(host_console_count("unknown system register"), 1);
	assert_int_equal(h->vm.faults_reported, VM_FAULT_SYSREG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_icc_sgi1r_pends_sgi_on_target, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_mdscr_emulated_debug_and_pmu_raz_wi, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_id_registers_sanitized, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_register_injects_undef, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
