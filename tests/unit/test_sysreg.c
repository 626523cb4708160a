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

#include "tests/support/guest_steps.h"
#include "tests/support/guest_vm.h"
#include "tests/support/host_console.h"

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
	uint64_t x[31];
	struct guest_exceptions exc;
} seen;

static int setup(void **state)
{
	memset(&seen, 0, sizeof(seen));
	return guest_vm_setup(state);
}

/** The guest played on a VM of `vcpus` vCPUs, vCPU 0 on, until it powers off. */
static void run(unsigned vcpus, fake_guest_fn guest)
{
	h = guest_vm_boot(vcpus, guest, 0);
	guest_vm_ends(h, VM_POWER_OFF);
}

static const struct guest_insn sgi[] = {
	MSR(ICC_SGI1R_EL1, 2, (3ull << 24) | (1u << 1)),    /* INTID 3 to the target list {1} */
	MSR(ICC_SGI1R_EL1, 2, (5ull << 24) | (1ull << 40)), /* INTID 5 to all but self (IRM) */
	MSR(ICC_ASGI1R_EL1, 3, (6ull << 24) | (1u << 0)),   /* INTID 6 to itself, by the alias */
	MSR(ICC_SGI1R_EL1, 2, (7ull << 24) | (1ull << 16) | 3), /* INTID 7 to Aff1 = 1: nobody */
};

static struct vcpu_exit guest_sgi(struct fake_guest *g)
{
	static const struct guest_program p = GUEST_PROGRAM(sgi, 0, NULL);

	return guest_play(g, &p);
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

/* Every register starts as ~0: a read must write all of its register. */
static const struct guest_insn debug[] = {
	MSR(MDSCR_EL1, 4, 0x8001), /* MDSCR_EL1.MDE [15], SS [0] */
	MRS(MDSCR_EL1, 5),	   /* read back */
	MRS(DBGBVR0_EL1, 6),	   /* a debug register: RAZ */
	MSR(PMCR_EL0, 4, 0x8001),  /* a PMU register: WI */
	MRS(PMCR_EL0, 7),	   /* and RAZ */
};

static struct vcpu_exit guest_debug(struct fake_guest *g)
{
	static const struct guest_program p = GUEST_PROGRAM(debug, ~0ull, seen.x);

	return guest_play(g, &p);
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

/* Every register starts as 0xbad: each read must write its own. */
/* clang-format off */
static const struct guest_insn id[] = {
	MRS(ID_AA64PFR0_EL1, 1),
	MRS(ID_AA64ZFR0_EL1, 2),
	MRS(ID_AA64DFR0_EL1, 3),
	MRS(ID_AA64ISAR1_EL1, 4),
	MRS(ID_AA64MMFR1_EL1, 5),
	MRS(ID_AA64ISAR0_EL1, 6),
	MRS(ID_UNALLOCATED, 7),
	MRS(ID_AA64PFR0_EL1, 31), /* into xzr */
};
/* clang-format on */

static struct vcpu_exit guest_id(struct fake_guest *g)
{
	static const struct guest_program p = GUEST_PROGRAM(id, 0xbad, seen.x);

	return guest_play(g, &p);
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
			return guest_off(g, NULL);
		case VBAR + 0x000: /* current EL with SP_EL0 */
		case VBAR + 0x200: /* current EL with SP_ELx */
			guest_take_exception(g, &seen.exc);
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
	assert_int_equal(seen.exc.handled, 3);
	for (unsigned n = 0; n < 3; n++) {
		assert_int_equal(seen.exc.esr[n], undef);
		assert_int_equal(seen.exc.elr[n], AT(n));    /* the instruction itself */
		assert_int_equal(seen.exc.pstate[n], 0x3c5); /* EL1h, D, A, I, F masked */
	}
	assert_int_equal(seen.exc.pc[0], VBAR + 0x200);
	assert_int_equal(seen.exc.spsr[0], PSTATE_EL1H_UNMASKED);
	assert_int_equal(seen.exc.pc[1], VBAR + 0x200);
	assert_int_equal(seen.exc.pc[2], VBAR + 0x000);
	assert_int_equal(seen.exc.spsr[2], PSTATE_EL1T_UNMASKED);
	assert_int_equal(host_console_count("unknown system register"), 1);
	assert_int_equal(h->vm.faults_reported, VM_FAULT_SYSREG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		GUEST_VM_TEST(test_icc_sgi1r_pends_sgi_on_target, setup),
		GUEST_VM_TEST(test_mdscr_emulated_debug_and_pmu_raz_wi, setup),
		GUEST_VM_TEST(test_id_registers_sanitized, setup),
		GUEST_VM_TEST(test_unknown_register_injects_undef, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
