/* SPDX-License-Identifier: Apache-2.0 */
/** VM configuration records. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lib/vm_config.h"

static struct vm_config cfg;
static char err[128];

static bool parse(const char *text)
{
	return vm_config_parse(text, strlen(text), &cfg, err, sizeof(err));
}

static void test_full_record(void **state)
{
	(void)state;
	assert_true(parse("# a guest\nname=linux-1\r\nmem=512M\nvcpus=2\n\ncmdline=console=ttyAMA0 "
			  "rdinit=/init\n"));
	assert_string_equal(cfg.name, "linux-1");
	assert_int_equal(cfg.mem_bytes, 512ull << 20);
	assert_int_equal(cfg.vcpu_count, 2);
	assert_string_equal(cfg.cmdline, "console=ttyAMA0 rdinit=/init");
}

static void test_defaults(void **state)
{
	(void)state;
	assert_true(parse(""));
	assert_string_equal(cfg.name, "vm0");
	assert_int_equal(cfg.mem_bytes, 256ull << 20);
	assert_int_equal(cfg.vcpu_count, 1);
	assert_string_equal(cfg.cmdline, "");
}

static void test_errors_name_the_line(void **state)
{
	(void)state;
	assert_false(parse("name=a\nmem=12X\n"));
	assert_string_equal(
		err, "vm config line 2: mem must be a multiple of 2M and at least 16M (like 256M)");
	assert_false(parse("vcpus=9"));
	assert_string_equal(err, "vm config line 1: vcpus must be 1 to 8");
	assert_false(parse("vcpus=0"));
	assert_false(parse("colour=blue"));
	assert_string_equal(err, "vm config line 1: unknown key 'colour'");
	assert_false(parse("just words"));
	assert_string_equal(err, "vm config line 1: expected key=value");
	assert_false(parse("mem=256M\nmem=512M"));
	assert_string_equal(err, "vm config line 2: 'mem' given twice");
	assert_false(parse("name=bad name"));
	assert_false(parse("mem=3M"));
	assert_false(parse("mem=99999999999999999999G"));
	assert_false(vm_config_parse("name=a\0b", 8, &cfg, err, sizeof(err)));
	assert_string_equal(err, "vm config line 1: contains a NUL byte");
}

static void test_mac(void **state)
{
	static const uint8_t want[6] = { 0x52, 0x54, 0x00, 0xab, 0xcd, 0xef };

	(void)state;
	assert_true(parse("mem=64M"));
	assert_false(cfg.has_nic);
	assert_true(parse("mac=52:54:00:AB:cd:ef"));
	assert_true(cfg.has_nic);
	assert_memory_equal(cfg.mac, want, 6);
	assert_false(parse("mac=01:00:5e:00:00:01")); /* a group address */
	assert_string_equal(
		err, "vm config line 1: mac must be a unicast address like 52:54:00:12:34:56");
	assert_false(parse("mac=00:00:00:00:00:00"));
	assert_false(parse("mac=52:54:00:ab:cd"));
	assert_false(parse("mac=52:54:00:ab:cd:ef:"));
	assert_false(parse("mac=52-54-00-ab-cd-ef"));
	assert_false(parse("mac=52:54:00:ab:cd:eg"));
	assert_false(cfg.has_nic);
}

static void test_sizes(void **state)
{
	uint64_t v;

	(void)state;
	assert_true(vm_config_parse_size("64K", 3, &v));
	assert_int_equal(v, 65536);
	assert_true(vm_config_parse_size("1g", 2, &v));
	assert_int_equal(v, 1ull << 30);
	assert_true(vm_config_parse_size("4096", 4, &v));
	assert_int_equal(v, 4096);
	assert_false(vm_config_parse_size("M", 1, &v));
	assert_false(vm_config_parse_size("", 0, &v));
	assert_false(vm_config_parse_size("18446744073709551615K", 21, &v));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_record),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_errors_name_the_line),
		cmocka_unit_test(test_mac),
		cmocka_unit_test(test_sizes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
