/* SPDX-License-Identifier: Apache-2.0 */
/**
 * `ferry boot --link DIR` reads the secrets `ferry creds` made only as they
 * were made: a link.conf or board.key that is a symbolic link, or that
 * other users may read, is refused before QEMU gets it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "tools/ferry/creds.h"
#include "tools/ferry/link_options.h"

static char base[64];

static const char *at(const char *sub)
{
	static char path[4][256];
	static int next;

	next = (next + 1) % 4;
	snprintf(path[next], sizeof(path[next]), "%s/%s", base, sub);
	return path[next];
}

static int group_setup(void **state)
{
	char err[512];

	(void)state;
	snprintf(base, sizeof(base), "/tmp/ferry-link-options-test-XXXXXX");
	if (!mkdtemp(base) || !creds_make(at("psk"), false, "a", "b", err, sizeof(err)) ||
	    !creds_make(at("cert"), true, "a", "b", err, sizeof(err)))
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", base);
	return system(cmd);
}

static bool load(const char *dir, char *err, size_t n)
{
	struct link_files files;
	struct boot_options opt = { .image = "x" };

	err[0] = '\0';
	return link_options_load(dir, &files, &opt, err, n) && opt.link_conf;
}

static void assert_refused(const char *dir, const char *why)
{
	char err[512];

	assert_false(load(dir, err, sizeof(err)));
	if (!strstr(err, why))
		fail_msg("error '%s' does not say '%s'", err, why);
}

static void test_as_made_accepted(void **state)
{
	char err[512];

	(void)state;
	assert_true(load(at("psk/a"), err, sizeof(err)));
	assert_true(load(at("cert/b"), err, sizeof(err)));
}

static void test_open_secret_refused(void **state)
{
	char err[512];

	(void)state;
	assert_int_equal(chmod(at("psk/b/link.conf"), 0644), 0);
	assert_refused(at("psk/b"), "is open to other users (mode 0644)");
	assert_int_equal(chmod(at("psk/b/link.conf"), 0600), 0);
	assert_true(load(at("psk/b"), err, sizeof(err)));

	assert_int_equal(chmod(at("cert/a/board.key"), 0640), 0);
	assert_refused(at("cert/a"), "board.key is open to other users (mode 0640)");
	assert_int_equal(chmod(at("cert/a/board.key"), 0600), 0);
	assert_true(load(at("cert/a"), err, sizeof(err)));
}

/* The management token: as made it loads; open to others, or not a token, it is refused. */
static void test_mgmt_token(void **state)
{
	char err[512], token[MGMT_TOKEN_HEX + 1];
	FILE *f;

	(void)state;
	assert_true(mgmt_token_load(at("psk/a/mgmt.token"), token, err, sizeof(err)));
	assert_int_equal(strlen(token), MGMT_TOKEN_HEX);
	assert_int_equal(chmod(at("psk/a/mgmt.token"), 0644), 0);
	assert_false(mgmt_token_load(at("psk/a/mgmt.token"), token, err, sizeof(err)));
	assert_non_null(strstr(err, "is open to other users"));
	assert_int_equal(chmod(at("psk/a/mgmt.token"), 0600), 0);
	f = fopen(at("psk/a/short.token"), "w");
	assert_non_null(f);
	fputs("0123abcd\n", f);
	fclose(f);
	assert_int_equal(chmod(at("psk/a/short.token"), 0600), 0);
	assert_false(mgmt_token_load(at("psk/a/short.token"), token, err, sizeof(err)));
	assert_non_null(strstr(err, "is not a management token"));
}

/* A link planted in place of link.conf: whatever it points to is not handed to the board. */
static void test_symlink_refused(void **state)
{
	(void)state;
	assert_int_equal(mkdir(at("planted"), 0700), 0);
	assert_int_equal(symlink(at("psk/a/link.conf"), at("planted/link.conf")), 0);
	assert_refused(at("planted"), "link.conf is a symbolic link");
}

static void test_foreign_secret_refused(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	assert_int_equal(chown(at("psk/a/link.conf"), 65534, 65534), 0);
	assert_refused(at("psk/a"), "belongs to another user (uid 65534)");
	assert_int_equal(chown(at("psk/a/link.conf"), 0, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_as_made_accepted),
		cmocka_unit_test(test_open_secret_refused),
		cmocka_unit_test(test_symlink_refused),
		cmocka_unit_test(test_foreign_secret_refused),
		cmocka_unit_test(test_mgmt_token),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
