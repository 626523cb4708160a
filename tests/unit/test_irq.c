/* SPDX-License-Identifier: Apache-2.0 */
/** The hypervisor's interrupt handler table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "hyp/irq.h"

static uint32_t last_intid;
static int calls;

static enum irq_outcome handler(uint32_t intid, void *ctx)
{
	last_intid = intid;
	calls += *(int *)ctx;
	return IRQ_FORWARDED;
}

static void test_register_and_dispatch(void **state)
{
	static int one = 1;

	(void)state;
	assert_true(irq_register(26, handler, &one));
	assert_false(irq_register(26, handler, &one)); /* taken */
	assert_false(irq_register(IRQ_INTID_MAX, handler, &one));
	assert_int_equal(irq_dispatch(26), IRQ_FORWARDED);
	assert_int_equal(last_intid, 26);
	assert_int_equal(calls, 1);
}

static void test_unhandled_are_counted(void **state)
{
	uint64_t before = irq_unhandled_count();

	(void)state;
	assert_int_equal(irq_dispatch(27), IRQ_UNHANDLED);
	assert_int_equal(irq_dispatch(5000), IRQ_UNHANDLED);
	assert_int_equal(irq_unhandled_count(), before + 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_register_and_dispatch),
		cmocka_unit_test(test_unhandled_are_counted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
