/* SPDX-License-Identifier: Apache-2.0 */
/** ESR_EL2 decoding for the crash report (Arm ARM D19.2.40). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "arch/arm64/esr.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_data_aborts),
		cmocka_unit_test(test_other_classes),
		cmocka_unit_test(test_truncates_safely),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
