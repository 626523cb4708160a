/* SPDX-License-Identifier: Apache-2.0 */
/** Guest image inspection: arm64 Image headers and ELF files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hyp/image.h"

#define RAM_BASE 0x40000000ull
#define RAM_SIZE (64ull << 20)

static uint8_t file[8192];
static char err[160];

static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

static size_t make_arm64(uint64_t text_offset, uint64_t image_size)
{
	memset(file, 0, sizeof(file));
	put64(file + 8, text_offset);
	put64(file + 16, image_size);
	memcpy(file + 0x38, "ARM\x64", 4);
	file[100] = 0x5a;
	return 4096;
}

/** An ELF with one PT_LOAD of 16 bytes (memsz 64) at paddr, entry `entry`. */
static size_t make_elf(uint64_t paddr, uint64_t entry, uint16_t machine)
{
	uint8_t *ph = file + 64;

	memset(file, 0, sizeof(file));
	memcpy(file,
	       "\x7f"
	       "ELF\x02\x01\x01",
	       7);
	file[16] = 2; /* ET_EXEC */
	memcpy(file + 18, &machine, 2);
	put64(file + 24, entry);
	put64(file + 32, 64); /* phoff */
	file[54] = 56;	      /* phentsize */
	file[56] = 1;	      /* phnum */
	ph[0] = 1;	      /* PT_LOAD */
	put64(ph + 8, 256);   /* offset */
	put64(ph + 24, paddr);
	put64(ph + 32, 16);
	put64(ph + 40, 64);
	memset(file + 256, 0xab, 16);
	return 512;
}

static void test_arm64_image(void **state)
{
	struct image_info info;
	static uint8_t ram[1 << 20];

	(void)state;
	assert_true(image_inspect(file, make_arm64(0x80000, 0x10000), RAM_BASE, RAM_SIZE, &info,
				  err, sizeof(err)));
	assert_int_equal(info.kind, IMAGE_ARM64);
	assert_int_equal(info.entry_offset, 0x80000);
	assert_int_equal(info.end_offset, 0x90000);
	memset(ram, 0xff, sizeof(ram));
	info.segments[0].ram_offset = 0; /* load into the small test buffer */
	image_load(file, &info, ram);
	assert_int_equal(ram[100], 0x5a);
}

static void test_arm64_too_big(void **state)
{
	struct image_info info;

	(void)state;
	assert_false(image_inspect(file, make_arm64(0, RAM_SIZE + 1), RAM_BASE, RAM_SIZE, &info,
				   err, sizeof(err)));
	assert_non_null(strstr(err, "guest RAM is 64 MiB"));
	assert_false(image_inspect(file, make_arm64(RAM_SIZE, 4096), RAM_BASE, RAM_SIZE, &info, err,
				   sizeof(err)));
}

static void test_elf(void **state)
{
	struct image_info info;
	static uint8_t ram[4096];

	(void)state;
	assert_true(image_inspect(file, make_elf(RAM_BASE + 0x100, RAM_BASE + 0x100, 183), RAM_BASE,
				  RAM_SIZE, &info, err, sizeof(err)));
	assert_int_equal(info.kind, IMAGE_ELF);
	assert_int_equal(info.entry_offset, 0x100);
	assert_int_equal(info.end_offset, 0x140);
	memset(ram, 0xff, sizeof(ram));
	image_load(file, &info, ram);
	assert_int_equal(ram[0x100], 0xab);
	assert_int_equal(ram[0x10f], 0xab);
	assert_int_equal(ram[0x110], 0); /* bss zeroed */
	assert_int_equal(ram[0x140], 0xff);
}

static void test_elf_rejections(void **state)
{
	struct image_info info;
	size_t n;

	(void)state;
	n = make_elf(RAM_BASE, RAM_BASE, 62);
	assert_false(image_inspect(file, n, RAM_BASE, RAM_SIZE, &info, err, sizeof(err)));
	assert_string_equal(err, "ELF file is not a little-endian AArch64 executable");
	n = make_elf(0x1000, 0x1000, 183);
	assert_false(image_inspect(file, n, RAM_BASE, RAM_SIZE, &info, err, sizeof(err)));
	assert_non_null(strstr(err, "outside guest RAM"));
	n = make_elf(RAM_BASE, RAM_BASE + RAM_SIZE, 183);
	assert_false(image_inspect(file, n, RAM_BASE, RAM_SIZE, &info, err, sizeof(err)));
	assert_non_null(strstr(err, "entry point"));
	n = make_elf(RAM_BASE, RAM_BASE, 183);
	assert_false(image_inspect(file, 200, RAM_BASE, RAM_SIZE, &info, err, sizeof(err)));
	assert_string_equal(err, "ELF segment 0 lies outside the file");
	assert_false(image_inspect("junk", 4, RAM_BASE, RAM_SIZE, &info, err, sizeof(err)));
	assert_non_null(strstr(err, "not an arm64 Image"));
	(void)n;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arm64_image),
		cmocka_unit_test(test_arm64_too_big),
		cmocka_unit_test(test_elf),
		cmocka_unit_test(test_elf_rejections),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
