/* SPDX-License-Identifier: Apache-2.0 */
/** The stage-2 walker with real VMSAv8-64 descriptors, on a host page pool. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "hyp/s2.h"

#define POOL_PAGES 64

static struct page_pool pool;
static uint64_t bitmap[PAGE_POOL_BITMAP_WORDS(POOL_PAGES)];
static void *pool_mem;

static int setup(void **state)
{
	(void)state;
	pool_mem = aligned_alloc(PAGE_SIZE, POOL_PAGES * PAGE_SIZE);
	return page_pool_init(&pool, pa_init((uint64_t)(uintptr_t)pool_mem), POOL_PAGES, bitmap,
			      PAGE_POOL_BITMAP_WORDS(POOL_PAGES))
		       ? 0
		       : -1;
}

static int teardown(void **state)
{
	(void)state;
	free(pool_mem);
	return 0;
}

static void test_map_lookup_unmap(void **state)
{
	struct s2 s2;
	paddr_t pa;
	enum s2_perm perm;

	(void)state;
	assert_true(s2_init(&s2, &pool, 39));
	assert_int_equal(s2.start_level, 1);
	assert_true(s2_map(&s2, ipa_init(0x40000000), pa_init(0x80000000), 4 * PAGE_SIZE, S2_RWX,
			   S2_MEM_NORMAL));
	/* root + one level-2 + one level-3 table */
	assert_int_equal(s2.table_pages, 3);
	assert_true(s2_lookup(&s2, ipa_init(0x40002abc), &pa, &perm));
	assert_int_equal(pa_addr(pa), 0x80002abc);
	assert_int_equal(perm, S2_RWX);
	assert_false(s2_lookup(&s2, ipa_init(0x40004000), &pa, &perm));
	s2_unmap(&s2, ipa_init(0x40001000), PAGE_SIZE);
	assert_false(s2_lookup(&s2, ipa_init(0x40001000), &pa, &perm));
	assert_true(s2_lookup(&s2, ipa_init(0x40002000), &pa, &perm));
	s2_destroy(&s2);
	assert_int_equal(pool.free_count, POOL_PAGES);
}

static void test_protect_for_dirty_tracking(void **state)
{
	struct s2 s2;
	paddr_t pa;
	enum s2_perm perm;

	(void)state;
	assert_true(s2_init(&s2, &pool, 40));
	assert_int_equal(s2.start_level, 0);
	assert_true(s2_map(&s2, ipa_init(0x40000000), pa_init(0x80000000), 8 * PAGE_SIZE, S2_RWX,
			   S2_MEM_NORMAL));
	assert_int_equal(s2_protect(&s2, ipa_init(0x40000000), 8 * PAGE_SIZE, S2_READ | S2_EXEC),
			 8);
	assert_true(s2_lookup(&s2, ipa_init(0x40003000), &pa, &perm));
	assert_int_equal(perm, S2_READ | S2_EXEC);
	/* already read-only: nothing changes */
	assert_int_equal(s2_protect(&s2, ipa_init(0x40000000), 8 * PAGE_SIZE, S2_READ | S2_EXEC),
			 0);
	assert_int_equal(s2_protect(&s2, ipa_init(0x40003000), PAGE_SIZE, S2_RWX), 1);
	s2_destroy(&s2);
}

static void test_descriptor_bits(void **state)
{
	(void)state;
	/* Normal WB, RW, executable, inner shareable, AF, page: Arm ARM D8.3.2 */
	assert_int_equal(arch_s2_pte_page(0x80000000, S2_RWX, S2_MEM_NORMAL),
			 0x80000000ull | (1ull << 10) | (3ull << 8) | (3ull << 6) | (0xfull << 2) |
				 3);
	/* Device-nGnRE, read-only, execute-never */
	assert_int_equal(arch_s2_pte_page(0x09000000, S2_READ, S2_MEM_DEVICE),
			 0x09000000ull | (2ull << 53) | (1ull << 10) | (1ull << 6) | (1ull << 2) |
				 3);
}

static void test_rejects_bad_requests(void **state)
{
	struct s2 s2;

	(void)state;
	assert_false(s2_init(&s2, &pool, 52));
	assert_true(s2_init(&s2, &pool, 39));
	assert_false(
		s2_map(&s2, ipa_init(0x40000001), pa_init(0), PAGE_SIZE, S2_RWX, S2_MEM_NORMAL));
	assert_false(
		s2_map(&s2, ipa_init(1ull << 39), pa_init(0), PAGE_SIZE, S2_RWX, S2_MEM_NORMAL));
	assert_false(s2_map(&s2, ipa_init((1ull << 39) - PAGE_SIZE), pa_init(0), 2 * PAGE_SIZE,
			    S2_RWX, S2_MEM_NORMAL));
	s2_destroy(&s2);
}

static void test_out_of_tables(void **state)
{
	struct s2 s2;
	uint64_t used;

	(void)state;
	assert_true(s2_init(&s2, &pool, 39));
	used = POOL_PAGES - pool.free_count;
	/* Every 2 MiB needs its own level-3 table: the pool runs dry. */
	for (uint64_t i = 0; i < POOL_PAGES; i++)
		if (!s2_map(&s2, ipa_init(i << 21), pa_init(0), PAGE_SIZE, S2_RWX, S2_MEM_NORMAL))
			break;
	assert_int_equal(pool.free_count, 0);
	assert_true(s2.table_pages > used);
	s2_destroy(&s2);
	assert_int_equal(pool.free_count, POOL_PAGES);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_map_lookup_unmap),
		cmocka_unit_test(test_protect_for_dirty_tracking),
		cmocka_unit_test(test_descriptor_bits),
		cmocka_unit_test(test_rejects_bad_requests),
		cmocka_unit_test(test_out_of_tables),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
