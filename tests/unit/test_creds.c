/* SPDX-License-Identifier: Apache-2.0 */
/**
 * `ferry creds` keeps its secrets: its folder is made 0700, and one that
 * another user owns or may open is refused; each file is new (never
 * written through a symbolic link planted at its path, never over an
 * existing file) and a secret is 0600 from the start; board names cannot
 * climb out of the folder.
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

static char base[64];

static int group_setup(void **state)
{
	(void)state;
	umask(022); /* the usual one: what the tool must not rely on */
	snprintf(base, sizeof(base), "/tmp/ferry-creds-test-XXXXXX");
	return mkdtemp(base) ? 0 : -1;
}

static int group_teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", base);
	return system(cmd);
}

static const char *at(const char *sub)
{
	static char path[4][256];
	static int next;

	next = (next + 1) % 4;
	snprintf(path[next], sizeof(path[next]), "%s/%s", base, sub);
	return path[next];
}

static unsigned mode_of(const char *path)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	return (unsigned)(st.st_mode & 07777);
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void assert_text(const char *path, const char *want)
{
	char got[64] = "";
	FILE *f = fopen(path, "r");

	assert_non_null(f);
	assert_non_null(fgets(got, sizeof(got), f) ? got : NULL);
	fclose(f);
	assert_string_equal(got, want);
}

/* Both files hold a management token (64 lowercase hex digits and a newline), not the same. */
static bool same_token_shape(const char *a, const char *b)
{
	char ta[80] = "", tb[80] = "";
	FILE *fa = fopen(a, "r"), *fb = fopen(b, "r");
	bool ok = fa && fb && fgets(ta, sizeof(ta), fa) && fgets(tb, sizeof(tb), fb);

	if (fa)
		fclose(fa);
	if (fb)
		fclose(fb);
	ok = ok && strlen(ta) == 65 && strlen(tb) == 65 && strcmp(ta, tb) != 0;
	for (size_t i = 0; ok && i < 64; i++)
		ok = strchr("0123456789abcdef", ta[i]) && strchr("0123456789abcdef", tb[i]);
	return ok;
}

static void assert_refused(const char *dir, bool cert, const char *a, const char *b,
			   const char *why)
{
	char err[512];

	assert_false(creds_make(dir, cert, a, b, err, sizeof(err)));
	if (!strstr(err, why))
		fail_msg("error '%s' does not say '%s'", err, why);
}

/* A new folder and the board folders are 0700; secrets 0600, certificates not writable by others.
 */
static void test_made_private(void **state)
{
	char err[512];

	(void)state;
	assert_true(creds_make(at("psk"), false, "a", "b", err, sizeof(err)));
	assert_int_equal(mode_of(at("psk")), 0700);
	assert_int_equal(mode_of(at("psk/a")), 0700);
	assert_int_equal(mode_of(at("psk/b")), 0700);
	assert_int_equal(mode_of(at("psk/a/link.conf")), 0600);
	assert_int_equal(mode_of(at("psk/b/link.conf")), 0600);
	/* each board its own management token: 64 hex digits, secret */
	assert_int_equal(mode_of(at("psk/a/mgmt.token")), 0600);
	assert_true(same_token_shape(at("psk/a/mgmt.token"), at("psk/b/mgmt.token")));

	assert_true(creds_make(at("cert"), true, "board-a", "board_b", err, sizeof(err)));
	assert_int_equal(mode_of(at("cert")), 0700);
	assert_int_equal(mode_of(at("cert/ca.key")), 0600);
	assert_int_equal(mode_of(at("cert/ca.crt")), 0644);
	assert_int_equal(mode_of(at("cert/board-a/link.conf")), 0600);
	assert_int_equal(mode_of(at("cert/board-a/board.key")), 0600);
	assert_int_equal(mode_of(at("cert/board-a/board.crt")), 0644);
	assert_int_equal(mode_of(at("cert/board_b/board.key")), 0600);

	/* An empty private folder made beforehand (mktemp -d) is used as it is. */
	assert_int_equal(mkdir(at("made"), 0700), 0);
	assert_true(creds_make(at("made"), false, "a", "b", err, sizeof(err)));
	assert_int_equal(mode_of(at("made/a/link.conf")), 0600);
}

/* A symbolic link planted where a secret goes is not followed: its target is neither made nor
 * changed. */
static void test_symlink_not_followed(void **state)
{
	(void)state;
	assert_int_equal(mkdir(at("s"), 0700), 0);
	assert_int_equal(mkdir(at("s/a"), 0700), 0);
	write_text(at("victim"), "victim\n");
	assert_int_equal(symlink(at("victim"), at("s/a/link.conf")), 0);
	assert_refused(at("s"), false, "a", "b", "already exists");
	assert_text(at("victim"), "victim\n");
	assert_int_equal(mode_of(at("victim")), 0644);

	/* dangling: the link would have made the file elsewhere */
	assert_int_equal(mkdir(at("c"), 0700), 0);
	assert_int_equal(symlink(at("elsewhere.key"), at("c/ca.key")), 0);
	assert_refused(at("c"), true, "a", "b", "already exists");
	assert_false(exists(at("elsewhere.key")));
}

/* An existing file is left as it is, and the error says how to start over. */
static void test_existing_file_kept(void **state)
{
	(void)state;
	assert_int_equal(mkdir(at("e"), 0700), 0);
	assert_int_equal(mkdir(at("e/b"), 0700), 0);
	write_text(at("e/b/link.conf"), "keep\n");
	assert_refused(at("e"), false, "a", "b", "e/b/link.conf already exists");
	assert_text(at("e/b/link.conf"), "keep\n");
	assert_refused(at("e"), false, "c", "b", "to start over, remove");
	assert_text(at("e/b/link.conf"), "keep\n");
}

/* A folder that grants group or other users anything is refused, and nothing is written in it. */
static void test_open_folder_refused(void **state)
{
	static const unsigned modes[] = { 0755, 0777, 0750, 0701, 0710 };

	(void)state;
	for (unsigned i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		char name[32], why[64];

		snprintf(name, sizeof(name), "open%o", modes[i]);
		assert_int_equal(mkdir(at(name), 0700), 0);
		assert_int_equal(chmod(at(name), modes[i]), 0);
		snprintf(why, sizeof(why), "is open to other users (mode %04o)", modes[i]);
		assert_refused(at(name), false, "a", "b", why);
		snprintf(name + strlen(name), sizeof(name) - strlen(name), "/a");
		assert_false(exists(at(name)));
	}
	/* a board's folder too */
	assert_int_equal(mkdir(at("t"), 0700), 0);
	assert_int_equal(mkdir(at("t/a"), 0700), 0);
	assert_int_equal(chmod(at("t/a"), 0777), 0);
	assert_refused(at("t"), false, "a", "b", "t/a is open to other users");
	assert_false(exists(at("t/a/link.conf")));
}

/* A folder of another user is refused (needs root to make one). */
static void test_foreign_folder_refused(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	assert_int_equal(mkdir(at("f"), 0700), 0);
	assert_int_equal(chown(at("f"), 65534, 65534), 0);
	assert_refused(at("f"), false, "a", "b", "belongs to another user (uid 65534)");
	assert_false(exists(at("f/a")));
}

/* The folder given must be one, not a symbolic link someone could point anywhere. */
static void test_symlinked_folder_refused(void **state)
{
	(void)state;
	assert_int_equal(mkdir(at("real"), 0700), 0);
	assert_int_equal(symlink(at("real"), at("link")), 0);
	assert_refused(at("link"), false, "a", "b", "is a symbolic link");
	assert_false(exists(at("real/a")));
}

/* Board names are plain: nothing that climbs out of the folder or is empty. */
static void test_bad_names_refused(void **state)
{
	static const char *const bad[] = {
		"b/../c", "", ".", "..", "../x", "x/y", "a b", "a.b",
		/* 64: one more than link.conf takes */
		"0123456789012345678901234567890123456789012345678901234567890123"
	};

	(void)state;
	assert_int_equal(mkdir(at("n"), 0700), 0);
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_refused(at("n"), false, bad[i], "ok", "a board's name is 1 to 63 letters");
		assert_refused(at("n"), true, "ok", bad[i], "a board's name is 1 to 63 letters");
	}
	assert_false(exists(at("n/ok")));
	assert_false(exists(at("link.conf")));
	assert_false(exists(at("n/link.conf")));
	assert_refused(at("n"), false, "a", "a", "different names");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_made_private),
		cmocka_unit_test(test_symlink_not_followed),
		cmocka_unit_test(test_existing_file_kept),
		cmocka_unit_test(test_open_folder_refused),
		cmocka_unit_test(test_foreign_folder_refused),
		cmocka_unit_test(test_symlinked_folder_refused),
		cmocka_unit_test(test_bad_names_refused),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
