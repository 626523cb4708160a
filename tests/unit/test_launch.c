/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The ferry tool starts QEMU with umask 0177, so the unix sockets QEMU binds
 * (the management channel, a listening network) are 0600: only this user
 * can drive the board. Checked on a stand-in for QEMU that prints its umask;
 * mgmt.qemu.boards looks at a real socket.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "tools/ferry/launch.h"

static void test_umask_of_qemu(void **state)
{
	const char *const argv[] = { "/bin/sh", "-c", "umask", NULL };
	char out[32] = "";
	int fds[2], status;
	ssize_t len;
	pid_t pid;

	(void)state;
	umask(022); /* the usual one, which would leave a socket 0755 */
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(fds[1], 1);
		_exit(launch_qemu(argv, false, "test"));
	}
	close(fds[1]);
	len = read(fds[0], out, sizeof(out) - 1);
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_true(len > 0);
	out[len] = '\0';
	assert_string_equal(out, "0177\n");
}

/* --dry-run's line, given to the shell, is argv again: spaces, newlines, quotes and all. */
static void test_dry_run_is_shell(void **state)
{
	const char *const argv[] = {
		"/usr/bin/printf",	"[%s]\\n", "plain", "two words", "line\nbreak",
		"it's \"x\" $HOME `y`", "",	   NULL
	};
	char line[512], cmd[600], out[256] = "";
	FILE *f = fmemopen(line, sizeof(line), "w"), *p;
	size_t len;

	(void)state;
	assert_non_null(f);
	launch_print_shell(f, argv);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "eval \"$(cat <<'EOF'\n%sEOF\n)\"", line);
	p = popen(cmd, "r");
	assert_non_null(p);
	len = fread(out, 1, sizeof(out) - 1, p);
	pclose(p);
	out[len] = '\0';
	assert_string_equal(out,
			    "[plain]\n[two words]\n[line\nbreak]\n[it's \"x\" $HOME `y`]\n[]\n");
}

/* The exit code of a stand-in for QEMU run by launch_qemu in a child (its console to /dev/null). */
static int launched(const char *script)
{
	const char *const argv[] = { "/bin/sh", "-c", script, NULL };
	int status, devnull = open("/dev/null", O_WRONLY);
	pid_t pid = fork();

	assert_true(pid >= 0 && devnull >= 0);
	if (pid == 0) {
		dup2(devnull, 1);
		_exit(launch_qemu(argv, false, "test"));
	}
	close(devnull);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/*
 * QEMU exits 0 whatever Ferry's verdict without semihosting: the command
 * exits with the verdict Ferry printed last at a line's beginning (a
 * guest's line, prefixed, does not count); a QEMU that failed or was
 * killed gives its own.
 */
static void test_verdict_from_the_console(void **state)
{
	(void)state;
	assert_int_equal(launched("echo 'vm0| Ferry: powered off, exit code 9'; "
				  "printf '\\nFerry: powered off, exit code 5\\n'"),
			 5);
	assert_int_equal(launched("echo 'vm0| Ferry: powered off, exit code 9'"), 0);
	/* a line longer than the mark's, which begins like it */
	assert_int_equal(launched("echo 'Ferry: powered off, exit code 7 and then very much more "
				  "text'; echo 'Ferry: powered off, exit code 6'"),
			 6);
	assert_int_equal(launched("printf 'Ferry: powered off, exit code 0\\n'; exit 3"), 3);
	assert_int_equal(launched("kill -9 $$"), 128 + 9);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_umask_of_qemu),
		cmocka_unit_test(test_dry_run_is_shell),
		cmocka_unit_test(test_verdict_from_the_console),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
