/* SPDX-License-Identifier: Apache-2.0 */
/** Board description versus device tree, on trees built here and QEMU's own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libfdt.h>

#include "system/board_check.h"

/** What a test tree looks like; zero fields take the QEMU virt values. */
struct tree {
	uint64_t ram_base, ram_size, gicd;
	unsigned cpus;
	const char *psci_method;
	const char *bootargs;
	bool no_timer, second_cpu_spin_table;
};

static uint64_t tree_buf[4096];

static void prop_reg2(void *fdt, uint64_t a, uint64_t b, uint64_t c, uint64_t d, int pairs)
{
	fdt64_t cells[4] = { cpu_to_fdt64(a), cpu_to_fdt64(b), cpu_to_fdt64(c), cpu_to_fdt64(d) };

	assert_int_equal(fdt_property(fdt, "reg", cells, pairs * 16), 0);
}

static const void *build(const struct tree *t)
{
	void *fdt = tree_buf;
	char name[32];

	assert_int_equal(fdt_create(fdt, sizeof(tree_buf)), 0);
	assert_int_equal(fdt_finish_reservemap(fdt), 0);
	fdt_begin_node(fdt, "");
	fdt_property_u32(fdt, "#address-cells", 2);
	fdt_property_u32(fdt, "#size-cells", 2);

	fdt_begin_node(fdt, "memory@40000000");
	fdt_property_string(fdt, "device_type", "memory");
	prop_reg2(fdt, t->ram_base ? t->ram_base : 0x40000000,
		  t->ram_size ? t->ram_size : 1ull << 30, 0, 0, 1);
	fdt_end_node(fdt);

	fdt_begin_node(fdt, "cpus");
	fdt_property_u32(fdt, "#address-cells", 1);
	fdt_property_u32(fdt, "#size-cells", 0);
	for (unsigned i = 0; i < (t->cpus ? t->cpus : 2); i++) {
		snprintf(name, sizeof(name), "cpu@%u", i);
		fdt_begin_node(fdt, name);
		fdt_property_string(fdt, "device_type", "cpu");
		fdt_property_u32(fdt, "reg", i);
		fdt_property_string(fdt, "enable-method",
				    i == 1 && t->second_cpu_spin_table ? "spin-table" : "psci");
		fdt_end_node(fdt);
	}
	fdt_end_node(fdt);

	fdt_begin_node(fdt, "psci");
	fdt_property(fdt, "compatible", "arm,psci-1.0\0arm,psci-0.2", 26);
	fdt_property_string(fdt, "method", t->psci_method ? t->psci_method : "smc");
	fdt_end_node(fdt);

	fdt_begin_node(fdt, "intc@8000000");
	fdt_property_string(fdt, "compatible", "arm,gic-v3");
	prop_reg2(fdt, t->gicd ? t->gicd : 0x08000000, 0x10000, 0x080a0000, 0xf60000, 2);
	fdt_end_node(fdt);

	fdt_begin_node(fdt, "pl011@9000000");
	fdt_property(fdt, "compatible", "arm,pl011\0arm,primecell", 24);
	prop_reg2(fdt, 0x09000000, 0x1000, 0, 0, 1);
	fdt_end_node(fdt);

	fdt_begin_node(fdt, "pl031@9010000");
	fdt_property(fdt, "compatible", "arm,pl031\0arm,primecell", 24);
	prop_reg2(fdt, 0x09010000, 0x1000, 0, 0, 1);
	fdt_end_node(fdt);

	fdt_begin_node(fdt, "fw-cfg@9020000");
	fdt_property_string(fdt, "compatible", "qemu,fw-cfg-mmio");
	prop_reg2(fdt, 0x09020000, 0x18, 0, 0, 1);
	fdt_end_node(fdt);

	if (!t->no_timer) {
		fdt_begin_node(fdt, "timer");
		fdt_property_string(fdt, "compatible", "arm,armv8-timer");
		fdt_end_node(fdt);
	}
	fdt_begin_node(fdt, "chosen");
	if (t->bootargs)
		fdt_property_string(fdt, "bootargs", t->bootargs);
	fdt_end_node(fdt);

	fdt_end_node(fdt);
	assert_int_equal(fdt_finish(fdt), 0);
	return fdt;
}

static char problems[8][160];
static unsigned problem_count;

static void collect(void *ctx, const char *msg)
{
	(void)ctx;
	if (problem_count < 8)
		snprintf(problems[problem_count], sizeof(problems[0]), "%s", msg);
	problem_count++;
}

static unsigned check(const void *dtb, size_t size, struct board_facts *facts)
{
	problem_count = 0;
	return board_check(dtb, size, &board_current, facts, collect, NULL);
}

static void test_good_tree(void **state)
{
	struct tree t = { .bootargs = "ferry.semihosting" };
	struct board_facts f;

	(void)state;
	assert_int_equal(check(build(&t), sizeof(tree_buf), &f), 0);
	assert_int_equal(f.ram_base, 0x40000000);
	assert_int_equal(f.ram_size, 1ull << 30);
	assert_int_equal(f.cpu_count, 2);
	assert_int_equal(f.cpu_mpidr[1], 1);
	assert_string_equal(f.bootargs, "ferry.semihosting");
}

static void test_qemus_own_tree(void **state)
{
	static uint64_t buf[2048];
	FILE *file =
		fopen(FERRY_SOURCE_DIR "/tests/fuzz/corpus/board_check/qemu-virt-2cpu.dtb", "rb");
	struct board_facts f;
	size_t n;

	(void)state;
	assert_non_null(file);
	n = fread(buf, 1, sizeof(buf), file);
	fclose(file);
	assert_int_equal(check(buf, n, &f), 0);
	assert_int_equal(f.cpu_count, 2);
	assert_int_equal(f.ram_size, 1ull << 30);
	assert_string_equal(f.bootargs, "");
}

static void test_mismatches_are_named(void **state)
{
	struct board_facts f;
	struct tree small = { .ram_size = 128ull << 20 };
	struct tree gic = { .gicd = 0x08010000 };
	struct tree hvc = { .psci_method = "hvc" };
	struct tree no_timer = { .no_timer = true };
	struct tree spin = { .second_cpu_spin_table = true };

	(void)state;
	assert_int_equal(check(build(&small), sizeof(tree_buf), &f), 1);
	assert_string_equal(problems[0], "RAM is 128 MiB, Ferry needs at least 256 MiB");
	assert_int_equal(check(build(&gic), sizeof(tree_buf), &f), 1);
	assert_string_equal(
		problems[0],
		"GICv3 distributor at 0x8010000, but the board description says 0x8000000");
	assert_int_equal(check(build(&hvc), sizeof(tree_buf), &f), 1);
	assert_string_equal(problems[0], "PSCI method is \"hvc\", Ferry at EL2 needs \"smc\"");
	assert_int_equal(check(build(&no_timer), sizeof(tree_buf), &f), 1);
	assert_string_equal(problems[0], "no arm,armv8-timer node in the device tree");
	assert_int_equal(check(build(&spin), sizeof(tree_buf), &f), 1);
	assert_string_equal(problems[0], "cpu 0x1: enable-method is not psci");
}

static void test_more_cpus_than_supported(void **state)
{
	struct tree t = { .cpus = 12 };
	struct board_facts f;

	(void)state;
	assert_int_equal(check(build(&t), sizeof(tree_buf), &f), 0);
	assert_int_equal(f.cpu_count, BOARD_CPU_MAX);
	assert_int_equal(f.cpu_count_found, 12);
}

static void test_bad_trees_are_refused(void **state)
{
	static uint64_t junk[64], copy[4096];
	struct tree t = { 0 };
	struct board_facts f;
	const void *good = build(&t);

	(void)state;
	memset(junk, 0xa5, sizeof(junk));
	assert_int_equal(check(junk, sizeof(junk), &f), 1);
	assert_non_null(strstr(problems[0], "no valid device tree"));
	assert_int_equal(check(good, 100, &f), 1);
	assert_non_null(strstr(problems[0], "more than the 100 it may use"));
	memcpy(copy, good, sizeof(copy));
	fdt_set_off_dt_struct(copy, fdt_off_dt_struct(copy) + 1);
	assert_int_equal(check(copy, sizeof(copy), &f), 1);
	assert_string_equal(problems[0], "malformed device tree: misaligned blocks");
	assert_int_equal(check(good, 8, &f), 1);
	assert_string_equal(problems[0], "device tree area is too small");
	assert_string_equal(f.bootargs, "");
	assert_int_equal(f.cpu_count, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_tree),
		cmocka_unit_test(test_qemus_own_tree),
		cmocka_unit_test(test_mismatches_are_named),
		cmocka_unit_test(test_more_cpus_than_supported),
		cmocka_unit_test(test_bad_trees_are_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
