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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_umask_of_qemu),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
