/* SPDX-License-Identifier: Apache-2.0 */
/** The QEMU command line the ferry tool builds from the board description. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tools/ferry/qemu_cmdline.h"

static const char *find_after(const char **argv, const char *flag)
{
	for (int i = 0; argv[i]; i++)
		if (strcmp(argv[i], flag) == 0)
			return argv[i + 1];
	return NULL;
}

static void test_defaults_from_board(void **state)
{
	struct boot_options opt = { .image = "ferry.elf" };
	const char *argv[QEMU_ARGV_MAX];
	char scratch[256];

	(void)state;
	assert_true(qemu_cmdline(&board_current, &opt, argv, scratch, sizeof(scratch)) > 0);
	assert_string_equal(argv[0], "qemu-system-aarch64");
	assert_string_equal(find_after(argv, "-M"), "virt,virtualization=on,gic-version=3");
	assert_string_equal(find_after(argv, "-smp"), "2");
	assert_string_equal(find_after(argv, "-m"), "1024M");
	assert_string_equal(find_after(argv, "-kernel"), "ferry.elf");
	assert_null(find_after(argv, "-append"));
}

static void test_semihosting_and_append(void **state)
{
	struct boot_options opt = { .image = "x",
				    .cpus = 1,
				    .mem_mib = 512,
				    .append = "ferry.test=crash",
				    .semihosting = true };
	const char *argv[QEMU_ARGV_MAX];
	char scratch[256];

	(void)state;
	assert_true(qemu_cmdline(&board_current, &opt, argv, scratch, sizeof(scratch)) > 0);
	assert_string_equal(find_after(argv, "-append"), "ferry.semihosting ferry.test=crash");
	assert_string_equal(find_after(argv, "-smp"), "1");
	assert_string_equal(find_after(argv, "-m"), "512M");
	assert_non_null(find_after(argv, "-semihosting"));
}

static void test_scratch_overflow_is_an_error(void **state)
{
	struct boot_options opt = { .image = "x",
				    .append = "a-long-option-text",
				    .semihosting = true };
	const char *argv[QEMU_ARGV_MAX];
	char scratch[16];

	(void)state;
	assert_int_equal(qemu_cmdline(&board_current, &opt, argv, scratch, sizeof(scratch)), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_from_board),
		cmocka_unit_test(test_semihosting_and_append),
		cmocka_unit_test(test_scratch_overflow_is_an_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
