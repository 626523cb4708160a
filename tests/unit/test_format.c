/* SPDX-License-Identifier: Apache-2.0 */
/** format_snprintf against the C library's snprintf, conversion by conversion. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "lib/format.h"

/* Formats with both implementations and insists on identical results. */
#define SAME(...)                                                                                  \
	do {                                                                                       \
		char ours_[128], libc_[128];                                                       \
		size_t n_ours_ = format_snprintf(ours_, sizeof(ours_), __VA_ARGS__);               \
		int n_libc_ = snprintf(libc_, sizeof(libc_), __VA_ARGS__);                         \
		assert_string_equal(ours_, libc_);                                                 \
		assert_int_equal(n_ours_, n_libc_);                                                \
	} while (0)

static void test_integers(void **state)
{
	(void)state;
	SAME("%d %i %u", 0, -1, 4000000000u);
	SAME("%d", -2147483647 - 1);
	SAME("%lld", (long long)INT64_MIN);
	SAME("%llu", (unsigned long long)UINT64_MAX);
	SAME("%x %X %o", 0xdeadbeefu, 0xabcu, 0755u);
	SAME("%#x %#X %#o %#x %#o", 0x1fu, 0xabu, 8u, 0u, 0u);
	SAME("%ld %lu %lx", -5L, 5UL, 0xffUL);
	SAME("%zu %zx %td %jd", (size_t)123, (size_t)0xff, (ptrdiff_t)-7, (intmax_t)-9);
}

static void test_width_precision_flags(void **state)
{
	(void)state;
	SAME("[%5d] [%-5d] [%05d] [%+d] [% d]", 42, 42, 42, 42, 42);
	SAME("[%+5d] [%-+5d] [%0+5d] [% 05d]", -42, 42, 42, 42);
	SAME("[%.3d] [%8.3d] [%-8.3d] [%08.3d]", 7, -7, 7, 7);
	SAME("[%.0d] [%.0x] [%5.0d] [%#.0o]", 0, 0u, 0, 0u);
	SAME("[%*d] [%-*d] [%*d]", 6, 1, 6, 1, -6, 1);
	SAME("[%.*d] [%.*d]", 4, 3, -1, 3);
	SAME("[%016llx] [%#018llx]", 0x1234ull, 0x1234ull);
	SAME("[%#8x] [%-#8x] [%#08x]", 0xabu, 0xabu, 0xabu);
}

static void test_strings_chars_pointers(void **state)
{
	(void)state;
	SAME("[%s] [%10s] [%-10s] [%.2s] [%5.1s]", "abc", "abc", "abc", "abc", "abc");
	SAME("[%c] [%3c] [%-3c]", 'x', 'y', 'z');
	SAME("%p", (void *)0x1234);
	SAME("100%% %s", "done");
	SAME("%s", "");
}

static void test_truncation(void **state)
{
	char buf[8];

	(void)state;
	memset(buf, 'X', sizeof(buf));
	assert_int_equal(format_snprintf(buf, sizeof(buf), "%s", "0123456789"), 10);
	assert_string_equal(buf, "0123456");
	assert_int_equal(format_snprintf(buf, 1, "abc"), 3);
	assert_string_equal(buf, "");
	assert_int_equal(format_snprintf(NULL, 0, "%d", 12345), 5);
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat"
#pragma GCC diagnostic ignored "-Wformat-extra-args"
#pragma GCC diagnostic ignored "-Wpragmas"
#pragma GCC diagnostic ignored "-Wformat-invalid-specifier"
/* hh and h convert the promoted int back to char/short (C99 7.19.6.1p7). */
static void test_narrow_lengths(void **state)
{
	(void)state;
	SAME("%hhd %hhu %hd %hu", 300, 300, 70000, 70000);
}

static void test_unknown_conversion_is_shown(void **state)
{
	char buf[32];

	(void)state;
	format_snprintf(buf, sizeof(buf), "a%qb");
	assert_string_equal(buf, "a%qb");
	format_snprintf(buf, sizeof(buf), "end%");
	assert_string_equal(buf, "end%");
}
#pragma GCC diagnostic pop

static void test_strbuf(void **state)
{
	char buf[10];
	struct strbuf sb = STRBUF_INIT(buf, sizeof(buf));

	(void)state;
	strbuf_printf(&sb, "%s", "abcd");
	strbuf_printf(&sb, "-%d", 123);
	assert_string_equal(buf, "abcd-123");
	strbuf_printf(&sb, "%s", "xyz");
	assert_string_equal(buf, "abcd-123x");
	assert_int_equal(sb.len, 11);
	strbuf_printf(&sb, "%s", "more");
	assert_int_equal(sb.len, 15);
	assert_string_equal(buf, "abcd-123x");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_width_precision_flags),
		cmocka_unit_test(test_strings_chars_pointers),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_narrow_lengths),
		cmocka_unit_test(test_unknown_conversion_is_shown),
		cmocka_unit_test(test_strbuf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
