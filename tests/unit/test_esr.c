/* SPDX-License-Identifier: Apache-2.0 */
/** ESR_EL2 decoding for the crash report (Arm ARM D19.2.40). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "arch/arm64/esr.h"
#include "hyp/arch_vcpu.h"

static void check(uint64_t esr, const char *want)
{
	char buf[160];

	esr_describe(esr, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

static void test_data_aborts(void **state)
{
	(void)state;
	/* EC 0x25, IL, ISV, SAS=3 (8 bytes), SRT=0, WnR=0, DFSC=0b000101 */
	check(0x97c08005,
	      "Data Abort (same EL), translation fault level 1, read of 8 bytes via x0");
	/* EC 0x24, WnR, no ISV, DFSC=0b001111 (permission, level 3) */
	check(0x9200004f, "Data Abort (lower EL), permission fault level 3, write");
	/* EC 0x24, DFSC 0x21 */
	check(0x92000061, "Data Abort (lower EL), alignment fault, write");
	/* EC 0x25, DFSC 0x10 */
	check(0x96000010, "Data Abort (same EL), synchronous external abort, read");
}

static void test_other_classes(void **state)
{
	(void)state;
	check(0x5a000000, "HVC #0x0");
	check(0x5e000001, "SMC #0x1");
	check(0x02000000, "Unknown reason (undefined instruction)");
	check(0x86000006, "Instruction Abort (same EL), translation fault level 2");
	/* MRS x3, S3_0_C0_C1_0 (ID_AA64PFR0_EL1): Op0=3 Op2=0 Op1=0 CRn=0 Rt=3 CRm=1 dir=1 */
	check(0x62300063, "MSR/MRS/system instruction trapped: mrs S3_0_C0_C1_0, x3");
	check(0xfc000000, "reserved exception class");
}

static void test_truncates_safely(void **state)
{
	char buf[8];

	(void)state;
	assert_true(esr_describe(0x97c08005, buf, sizeof(buf)) > sizeof(buf));
	assert_string_equal(buf, "Data Ab");
}

/* A guest's exit decoded once (arch_exit_decode): what hyp/ then reads by name. */
static void test_exit_decode(void **state)
{
	struct vcpu_exit e;

	(void)state;
	/* LDRSH w3, [x..] at IPA 0x09000123, stage-2 translation fault: ISV, SAS 1, SSE, SRT 3 */
	arch_exit_decode(VCPU_VECTOR_SYNC,
			 (0x24ull << 26) | (1ull << 25) | (1u << 24) | (1u << 22) | (1u << 21) |
				 (3u << 16) | 0x05,
			 0xffff000000000123ull, (0x09000123ull >> 12) << 4, &e);
	assert_int_equal(e.kind, VCPU_EXIT_DATA_ABORT);
	assert_int_equal(e.abort, VCPU_ABORT_TRANSLATION);
	assert_int_equal(ipa_addr(e.ipa), 0x09000123ull);
	assert_true(e.access.valid);
	assert_int_equal(e.access.size, 2);
	assert_int_equal(e.access.rt, 3);
	assert_true(e.access.sign_extend);
	assert_false(e.access.sixty_four);
	assert_false(e.access.write);
	/* STR x30 to RAM that logging made read-only: permission fault, SF, WnR */
	arch_exit_decode(VCPU_VECTOR_SYNC,
			 (0x24ull << 26) | (1u << 24) | (3u << 22) | (30u << 16) | (1u << 15) |
				 (1u << 6) | 0x0f,
			 0x1000, (0x40001000ull >> 12) << 4, &e);
	assert_int_equal(e.abort, VCPU_ABORT_PERMISSION);
	assert_true(e.access.write && e.access.sixty_four);
	assert_int_equal(e.access.size, 8);
	/* no syndrome (ISV = 0): nothing to emulate */
	arch_exit_decode(VCPU_VECTOR_SYNC, (0x24ull << 26) | 0x04, 0, 0, &e);
	assert_false(e.access.valid);
	/* an instruction abort, an access flag fault (neither kind Ferry handles) */
	arch_exit_decode(VCPU_VECTOR_SYNC, (0x20ull << 26) | 0x09, 0x2000, 0x40000 << 4, &e);
	assert_int_equal(e.kind, VCPU_EXIT_INSN_ABORT);
	assert_int_equal(e.abort, VCPU_ABORT_OTHER);
	assert_false(e.walk);
	/* a fetch whose stage-1 walk wrote a read-only page: S1PTW, permission level 3 */
	arch_exit_decode(VCPU_VECTOR_SYNC, (0x20ull << 26) | (1u << 7) | 0x0f, 0x41dc60,
			 0x43c1b << 4, &e);
	assert_int_equal(e.kind, VCPU_EXIT_INSN_ABORT);
	assert_int_equal(e.abort, VCPU_ABORT_PERMISSION);
	assert_true(e.walk);
	assert_int_equal(ipa_addr(e.ipa), 0x43c1bc60ull);
	/* MRS x7, ID_AA64PFR0_EL1: op0 3, op1 0, CRn 0, CRm 4, op2 0, read */
	arch_exit_decode(VCPU_VECTOR_SYNC,
			 (0x18ull << 26) | (3u << 20) | (0u << 17) | (0u << 14) | (0u << 10) |
				 (7u << 5) | (4u << 1) | 1,
			 0, 0, &e);
	assert_int_equal(e.kind, VCPU_EXIT_SYSREG);
	assert_int_equal(e.sysreg.encoding, SYSREG_ENC(3, 0, 0, 4, 0));
	assert_int_equal(e.sysreg.rt, 7);
	assert_true(e.sysreg.read);
	arch_exit_decode(VCPU_VECTOR_SYNC, (0x01ull << 26) | 1, 0, 0, &e);
	assert_int_equal(e.kind, VCPU_EXIT_WFE);
	arch_exit_decode(VCPU_VECTOR_SYNC, (0x01ull << 26), 0, 0, &e);
	assert_int_equal(e.kind, VCPU_EXIT_WFI);
	arch_exit_decode(VCPU_VECTOR_SYNC, (0x07ull << 26), 0, 0, &e);
	assert_int_equal(e.kind, VCPU_EXIT_UNKNOWN);
	arch_exit_decode(VCPU_VECTOR_IRQ, 0x5678, 0, 0, &e);
	assert_int_equal(e.kind, VCPU_EXIT_IRQ);
	/* the syndromes Ferry injects */
	assert_int_equal(arch_syndrome_external_abort(false, true),
			 (0x24ull << 26) | (1ull << 25) | 0x10);
	assert_int_equal(arch_syndrome_external_abort(true, false),
			 (0x21ull << 26) | (1ull << 25) | 0x10);
	assert_int_equal(arch_syndrome_undef(), 1ull << 25);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_data_aborts),
		cmocka_unit_test(test_other_classes),
		cmocka_unit_test(test_truncates_safely),
		cmocka_unit_test(test_exit_decode),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
