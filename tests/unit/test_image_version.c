/* SPDX-License-Identifier: Apache-2.0 */
/** An image's version read from its file, and how it compares with the tool's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/image_version.h"
#include "tools/ferry/image_version.h"

static char path[] = "/tmp/ferry-image-version-XXXXXX";

/* A file of bytes, the mark's first letter strewn in it, then text at offset 5000. */
static void write_image(const char *text)
{
	FILE *f = fopen(path, "wb");
	char junk[5000];

	assert_non_null(f);
	memset(junk, IMAGE_VERSION_MARK[0], sizeof(junk));
	memcpy(junk + 100, "ferry-image", 11); /* a part of the mark alone */
	fwrite(junk, 1, sizeof(junk), f);
	fwrite(text, 1, strlen(text) + 1, f);
	fwrite(junk, 1, 100, f);
	fclose(f);
}

static void test_read(void **state)
{
	struct image_version v;
	char err[256];
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	write_image(IMAGE_VERSION_MARK "1.2.3-gabc;format=4;oldest=3;");
	assert_true(image_version_read(path, &v, err, sizeof(err)));
	assert_string_equal(v.version, "1.2.3-gabc");
	assert_int_equal(v.format, 4);
	assert_int_equal(v.oldest, 3);
	write_image(IMAGE_VERSION_MARK "1.2.3;format=x;");
	assert_false(image_version_read(path, &v, err, sizeof(err)));
	assert_non_null(strstr(err, "holds no Ferry image version"));
	write_image("nothing here");
	assert_false(image_version_read(path, &v, err, sizeof(err)));
	unlink(path);
	assert_false(image_version_read(path, &v, err, sizeof(err)));
	assert_non_null(strstr(err, "cannot read"));
}

static void test_mismatch(void **state)
{
	struct image_version tool = { "1.0", 2, 2 }, same = { "1.0", 2, 2 },
			     other = { "1.1", 3, 2 }, far = { "2.0", 5, 4 };
	char why[256];

	(void)state;
	assert_false(image_version_mismatch(&tool, &same, why, sizeof(why)));
	assert_true(image_version_mismatch(&tool, &other, why, sizeof(why)));
	assert_non_null(strstr(why, "the image is version 1.1, this tool 1.0"));
	assert_true(image_version_mismatch(&tool, &far, why, sizeof(why)));
	assert_non_null(strstr(why, "cannot migrate to each other"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read),
		cmocka_unit_test(test_mismatch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
