/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The run's private directory: new each time, 0700 and this user's, under
 * $XDG_RUNTIME_DIR or /tmp, short enough for socket paths; removed with
 * what is in it, without following a symbolic link out of it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "tools/ferry/runtime_dir.h"

static char base[64];

static int group_setup(void **state)
{
	(void)state;
	snprintf(base, sizeof(base), "/tmp/ferry-runtime-test-XXXXXX");
	return mkdtemp(base) ? 0 : -1;
}

static int group_teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", base);
	return system(cmd);
}

static void assert_private(const char *dir)
{
	struct stat st;

	assert_int_equal(lstat(dir, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(st.st_uid, geteuid());
}

static void test_made_private_and_new(void **state)
{
	char one[512], two[512], err[256], prefix[128];

	(void)state;
	setenv("XDG_RUNTIME_DIR", base, 1);
	assert_true(runtime_dir_make(one, sizeof(one), err, sizeof(err)));
	assert_true(runtime_dir_make(two, sizeof(two), err, sizeof(err)));
	snprintf(prefix, sizeof(prefix), "%s/ferry.", base);
	assert_memory_equal(one, prefix, strlen(prefix));
	assert_string_not_equal(one, two);
	assert_private(one);
	assert_private(two);
	/* room for the sockets' names within sun_path */
	assert_true(strlen(one) + sizeof("/link.sock") <=
		    sizeof(((struct sockaddr_un *)0)->sun_path));
	runtime_dir_remove(one);
	runtime_dir_remove(two);

	unsetenv("XDG_RUNTIME_DIR");
	assert_true(runtime_dir_make(one, sizeof(one), err, sizeof(err)));
	assert_memory_equal(one, "/tmp/ferry.", 11);
	assert_private(one);
	runtime_dir_remove(one);
	assert_int_equal(access(one, F_OK), -1);
}

static void test_missing_base_is_an_error(void **state)
{
	char dir[512], err[256];

	(void)state;
	setenv("XDG_RUNTIME_DIR", "/nonexistent/ferry-run", 1);
	assert_false(runtime_dir_make(dir, sizeof(dir), err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent/ferry-run"));
	unsetenv("XDG_RUNTIME_DIR");
}

static void test_removed_with_contents(void **state)
{
	char dir[512], err[256], path[600], outside[128];
	FILE *f;

	(void)state;
	setenv("XDG_RUNTIME_DIR", base, 1);
	assert_true(runtime_dir_make(dir, sizeof(dir), err, sizeof(err)));
	snprintf(outside, sizeof(outside), "%s/outside", base);
	assert_int_equal(mkdir(outside, 0700), 0);
	snprintf(path, sizeof(path), "%s/keep", outside);
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/creds", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/creds/link.conf", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/out", dir);
	assert_int_equal(symlink(outside, path), 0);
	runtime_dir_remove(dir);
	assert_int_equal(access(dir, F_OK), -1);
	snprintf(path, sizeof(path), "%s/keep", outside);
	assert_int_equal(access(path, F_OK), 0);
	unsetenv("XDG_RUNTIME_DIR");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_made_private_and_new),
		cmocka_unit_test(test_missing_base_is_an_error),
		cmocka_unit_test(test_removed_with_contents),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
