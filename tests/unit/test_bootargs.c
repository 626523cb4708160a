/* SPDX-License-Identifier: Apache-2.0 */
/** Boot options from /chosen/bootargs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "lib/bootargs.h"

static void test_values_and_bare_keys(void **state)
{
	const char *args = "console=ttyAMA0  ferry.semihosting\tferry.test=crash";
	char val[16];

	(void)state;
	assert_true(bootargs_get(args, "ferry.test", val, sizeof(val)));
	assert_string_equal(val, "crash");
	assert_true(bootargs_get(args, "ferry.semihosting", val, sizeof(val)));
	assert_string_equal(val, "");
	assert_true(bootargs_get(args, "console", val, sizeof(val)));
	assert_string_equal(val, "ttyAMA0");
}

static void test_prefixes_do_not_match(void **state)
{
	char val[16];

	(void)state;
	assert_false(bootargs_get("ferry.testing=1", "ferry.test", val, sizeof(val)));
	assert_false(bootargs_get("xferry.test=1", "ferry.test", val, sizeof(val)));
	assert_false(bootargs_get("", "ferry.test", val, sizeof(val)));
	assert_false(bootargs_get(NULL, "ferry.test", val, sizeof(val)));
	assert_false(bootargs_get("a=b", "", val, sizeof(val)));
}

static void test_value_too_long_is_refused_not_cut(void **state)
{
	char val[4];

	(void)state;
	assert_false(bootargs_get("k=abcd", "k", val, sizeof(val)));
	assert_true(bootargs_get("k=abc", "k", val, sizeof(val)));
	assert_string_equal(val, "abc");
	assert_false(bootargs_get("k", "k", val, 0));
}

static void test_first_occurrence_wins(void **state)
{
	char val[8];

	(void)state;
	assert_true(bootargs_get("k=1 k=2", "k", val, sizeof(val)));
	assert_string_equal(val, "1");
}

static void test_flags(void **state)
{
	(void)state;
	assert_true(bootargs_flag("x ferry.semihosting", "ferry.semihosting"));
	assert_true(bootargs_flag("ferry.semihosting=on", "ferry.semihosting"));
	assert_true(bootargs_flag("ferry.semihosting=a-very-long-value", "ferry.semihosting"));
	assert_false(bootargs_flag("ferry.semihosting=off", "ferry.semihosting"));
	assert_false(bootargs_flag("ferry.semihosting=0", "ferry.semihosting"));
	assert_false(bootargs_flag("other", "ferry.semihosting"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_values_and_bare_keys),
		cmocka_unit_test(test_prefixes_do_not_match),
		cmocka_unit_test(test_value_too_long_is_refused_not_cut),
		cmocka_unit_test(test_first_occurrence_wins),
		cmocka_unit_test(test_flags),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
