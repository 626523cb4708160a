/* SPDX-License-Identifier: Apache-2.0 */
/** EL2 stage-1 descriptor encoders (Arm ARM D8.3). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "arch/arm64/pte.h"

static void test_blocks(void **state)
{
	(void)state;
	/* Device-nGnRE, 1 GiB at 0: valid, AF, AttrIndx 0, XN, not shareable */
	assert_int_equal(pte_block(0, PTE_ATTR_DEVICE, 1), PTE_XN | PTE_AF | PTE_VALID);
	/* Normal WB at 0x40200000, executable: AttrIndx 1, inner shareable */
	assert_int_equal(pte_block(0x40200000, PTE_ATTR_NORMAL, 1),
			 0x40200000ull | PTE_AF | PTE_SH_INNER | (1ull << 2) | PTE_VALID);
	assert_true(pte_block(0x40200000, PTE_ATTR_NORMAL, 0) & PTE_XN);
	/* Low bits of the address never leak into the attributes. */
	assert_int_equal(pte_block(0x40200fff, PTE_ATTR_NORMAL, 1) & PTE_ADDR_MASK, 0x40200000ull);
}

static void test_tables_and_indices(void **state)
{
	(void)state;
	assert_int_equal(pte_table(0x40213000), 0x40213000ull | 3);
	assert_int_equal(pte_index(0x40000000, 1), 1);
	assert_int_equal(pte_index(0x7f00000000ull, 1), 508);
	assert_int_equal(pte_index(0x40200000, 2), 1);
	assert_int_equal(pte_index(0x40201000, 3), 1);
	/* MAIR: attr0 Device-nGnRE (0x04), attr1 WB RW-alloc (0xff), attr2 NC (0x44) */
	assert_int_equal(PTE_MAIR_VALUE & 0xff, 0x04);
	assert_int_equal((PTE_MAIR_VALUE >> 8) & 0xff, 0xff);
	assert_int_equal((PTE_MAIR_VALUE >> 16) & 0xff, 0x44);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blocks),
		cmocka_unit_test(test_tables_and_indices),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
