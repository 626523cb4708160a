/* SPDX-License-Identifier: Apache-2.0 */
/**
 * A unix socket path longer than sun_path takes (107 bytes) is refused by
 * the ferry tool itself, before QEMU starts, naming the path, its length,
 * the limit and a way out: as an option of `ferry boot` and `ferry run`
 * (--net, --net-listen, --mgmt), of `ferry migrate` and `ferry boards`
 * (--mgmt), and when the management client connects.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "tools/ferry/link_options.h"
#include "tools/ferry/mgmt_client.h"

#ifndef FERRY_TOOL
#define FERRY_TOOL "build/ferry"
#endif

/* "/tmp/xxx...x/m.sock", exactly len bytes */
static const char *path_of(size_t len)
{
	static char path[300];

	memset(path, 'x', len);
	memcpy(path, "/tmp/", 5);
	memcpy(path + len - 7, "/m.sock", 7);
	path[len] = '\0';
	return path;
}

static void assert_says(const char *text, const char *path)
{
	char length[32];

	snprintf(length, sizeof(length), "is %zu bytes", strlen(path));
	if (!strstr(text, path) || !strstr(text, length) || !strstr(text, "at most 107") ||
	    !strstr(text, "shorter directory"))
		fail_msg("'%s' does not name the path, its length (%s), the limit and a remedy",
			 text, length);
}

/** link_option with what it prints on stderr into out. */
static int option(int c, const char *arg, struct boot_options *opt, char *out, size_t n)
{
	struct link_files files;
	FILE *t = tmpfile();
	int saved = dup(2), r;
	size_t len;

	assert_non_null(t);
	fflush(stderr);
	dup2(fileno(t), 2);
	r = link_option(c, arg, &files, opt, "ferry test");
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(t);
	len = fread(out, 1, n - 1, t);
	out[len] = '\0';
	fclose(t);
	return r;
}

static void test_options(void **state)
{
	static const int opts[] = { LINK_OPT_NET, LINK_OPT_NET_LISTEN, LINK_OPT_MGMT };
	static const char *const names[] = { "--net ", "--net-listen ", "--mgmt " };
	char out[1024];

	(void)state;
	for (unsigned i = 0; i < 3; i++) {
		struct boot_options opt = { .image = "x" };

		assert_int_equal(option(opts[i], path_of(107), &opt, out, sizeof(out)), 1);
		assert_string_equal(out, "");
		assert_int_equal(option(opts[i], path_of(108), &opt, out, sizeof(out)), -1);
		assert_says(out, path_of(108));
		assert_non_null(strstr(out, names[i]));
		assert_int_equal(option(opts[i], path_of(200), &opt, out, sizeof(out)), -1);
		assert_says(out, path_of(200));
	}
}

static void test_management_client(void **state)
{
	struct mgmt_client c;
	char err[512];

	(void)state;
	assert_false(mgmt_client_open(&c, path_of(150), 0, err, sizeof(err)));
	assert_says(err, path_of(150));
	/* one that fits but is not there: the usual error */
	assert_false(mgmt_client_open(&c, path_of(107), 0, err, sizeof(err)));
	assert_non_null(strstr(err, "cannot reach the board's management channel"));
}

/** Runs the ferry tool with args (a shell command line): its exit code, its output in out. */
static int ferry(const char *args, char *out, size_t n)
{
	char cmd[1024];
	FILE *p;
	size_t len;
	int status;

	snprintf(cmd, sizeof(cmd), "%s %s 2>&1", FERRY_TOOL, args);
	p = popen(cmd, "r");
	assert_non_null(p);
	len = fread(out, 1, n - 1, p);
	out[len] = '\0';
	status = pclose(p);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Each command refuses it with exit code 2 (bad options); --dry-run: QEMU is never started. */
static void test_commands(void **state)
{
	const char *const forms[] = {
		"boot --dry-run --mgmt",
		"boot --dry-run --net-listen",
		"run --dry-run --guest /dev/null --image /dev/null --net",
		"run --dry-run --guest /dev/null --image /dev/null --mgmt",
		"migrate --peer b --mgmt",
		"boards --mgmt",
	};
	char args[512], out[2048];

	(void)state;
	for (unsigned i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		snprintf(args, sizeof(args), "%s %s", forms[i], path_of(120));
		if (ferry(args, out, sizeof(out)) != 2)
			fail_msg("ferry %s: exit code not 2: %s", args, out);
		assert_says(out, path_of(120));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_management_client),
		cmocka_unit_test(test_commands),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
