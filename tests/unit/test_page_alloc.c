/* SPDX-License-Identifier: Apache-2.0 */
/** The physical page pool. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "hyp/page_alloc.h"

#define POOL_PAGES 100
#define POOL_BASE  0x40001000ull /* deliberately not 2-page aligned */

static uint64_t bitmap[PAGE_POOL_BITMAP_WORDS(POOL_PAGES)];

static void test_init_checks(void **state)
{
	struct page_pool pool;

	(void)state;
	assert_false(page_pool_init(&pool, pa_init(POOL_BASE + 1), POOL_PAGES, bitmap, 2));
	assert_false(page_pool_init(&pool, pa_init(POOL_BASE), POOL_PAGES, bitmap, 1));
	assert_true(page_pool_init(&pool, pa_init(POOL_BASE), POOL_PAGES, bitmap, 2));
	assert_int_equal(pool.free_count, POOL_PAGES);
}

static void test_alloc_is_aligned_physically(void **state)
{
	struct page_pool pool;
	paddr_t a, b;

	(void)state;
	assert_true(page_pool_init(&pool, pa_init(POOL_BASE), POOL_PAGES, bitmap, 2));
	assert_true(page_alloc(&pool, 1, 1, &a));
	assert_int_equal(pa_addr(a), POOL_BASE);
	assert_true(page_alloc(&pool, 4, 4, &b));
	assert_int_equal(pa_addr(b) % (4 * PAGE_SIZE), 0);
	assert_int_equal(pool.free_count, POOL_PAGES - 5);
	assert_false(page_alloc(&pool, 1, 3, &a)); /* not a power of two */
	assert_false(page_alloc(&pool, 0, 1, &a));
}

static void test_exhaustion_and_reuse(void **state)
{
	struct page_pool pool;
	paddr_t a, b, c;

	(void)state;
	assert_true(page_pool_init(&pool, pa_init(POOL_BASE), POOL_PAGES, bitmap, 2));
	assert_true(page_alloc(&pool, 60, 1, &a));
	assert_false(page_alloc(&pool, 41, 1, &b));
	assert_true(page_alloc(&pool, 40, 1, &b));
	assert_int_equal(pool.free_count, 0);
	assert_false(page_alloc(&pool, 1, 1, &c));
	assert_true(page_free(&pool, a, 60));
	assert_true(page_alloc(&pool, 60, 1, &c));
	assert_int_equal(pa_addr(c), pa_addr(a));
}

static void test_bad_frees_change_nothing(void **state)
{
	struct page_pool pool;
	paddr_t a;

	(void)state;
	assert_true(page_pool_init(&pool, pa_init(POOL_BASE), POOL_PAGES, bitmap, 2));
	assert_true(page_alloc(&pool, 2, 1, &a));
	assert_false(page_free(&pool, a, 3));			  /* past the run */
	assert_false(page_free(&pool, pa_add(a, 1), 1));	  /* unaligned */
	assert_false(page_free(&pool, pa_init(0x1000), 1));	  /* below the pool */
	assert_false(page_free(&pool, pa_init(POOL_BASE), 1000)); /* beyond it */
	assert_int_equal(pool.free_count, POOL_PAGES - 2);
	assert_true(page_free(&pool, a, 2));
	assert_false(page_free(&pool, a, 2)); /* double free */
	assert_int_equal(pool.free_count, POOL_PAGES);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_checks),
		cmocka_unit_test(test_alloc_is_aligned_physically),
		cmocka_unit_test(test_exhaustion_and_reuse),
		cmocka_unit_test(test_bad_frees_change_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
