/* SPDX-License-Identifier: Apache-2.0 */
/** Board launch, see launch.h. */
#include "tools/ferry/launch.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/exit_code.h"

void launch_print_shell(FILE *out, const char *const *argv)
{
	static const char plain[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				    "0123456789_./:=,@%+-";

	for (int i = 0; argv[i]; i++) {
		const char *a = argv[i];

		fputs(i ? " " : "", out);
		if (*a && strspn(a, plain) == strlen(a)) {
			fputs(a, out);
			continue;
		}
		fputc('\'', out);
		for (; *a; a++) {
			if (*a == '\'')
				fputs("'\\''", out); /* close, an escaped quote, open again */
			else
				fputc(*a, out);
		}
		fputc('\'', out);
	}
	fputc('\n', out);
}

static pid_t qemu_pid;

/* A signal to this process is for the board: QEMU gets it, its end ends this one. */
static void forward(int sig)
{
	if (qemu_pid > 0)
		kill(qemu_pid, sig);
}

/* Writes all of buf to fd; false when fd is gone. */
static bool write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t w = write(fd, buf, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		buf += w;
		len -= (size_t)w;
	}
	return true;
}

/*
 * Copies QEMU's console (fd) to stdout as it comes, and finds Ferry's last
 * word in it: its exit code (lib/exit_code.h), -1 when it never said it.
 */
static int relay(int fd)
{
	static const char mark[] = FERRY_EXIT_LINE;
	char buf[4096], line[sizeof(mark) + 8];
	size_t len = 0;
	bool out_ok = true, too_long = false;
	int code = -1;
	ssize_t r;

	while ((r = read(fd, buf, sizeof(buf))) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		out_ok = out_ok && write_all(1, buf, (size_t)r);
		for (ssize_t i = 0; i < r; i++) {
			if (buf[i] == '\n' || buf[i] == '\r') {
				line[len] = '\0';
				if (!too_long && len > sizeof(mark) - 1 &&
				    !memcmp(line, mark, sizeof(mark) - 1))
					code = atoi(line + sizeof(mark) - 1);
				len = 0;
				too_long = false;
			} else if (len + 1 < sizeof(line)) {
				line[len++] = buf[i];
			} else {
				too_long = true; /* too long to be the mark: skip to its end */
			}
		}
	}
	return code;
}

int launch_qemu(const char *const *argv, bool dry_run, const char *who)
{
	struct sigaction sa = { .sa_handler = forward };
	int fds[2], status, code;

	if (dry_run) {
		launch_print_shell(stdout, argv);
		return 0;
	}
	fflush(NULL);
	if (pipe(fds) != 0) {
		fprintf(stderr, "%s: pipe: %s\n", who, strerror(errno));
		return 127;
	}
	qemu_pid = fork();
	if (qemu_pid < 0) {
		fprintf(stderr, "%s: fork: %s\n", who, strerror(errno));
		return 127;
	}
	if (qemu_pid == 0) {
		close(fds[0]);
		dup2(fds[1], 1);
		close(fds[1]);
		/*
		 * QEMU binds the unix sockets of --mgmt and --net-listen itself,
		 * and bind() gives them 0777 less the umask: 0177 makes them
		 * 0600, so that no other user can drive the board or speak on its
		 * wire. QEMU makes no other file.
		 */
		umask(0177);
		execvp(argv[0], (char *const *)argv);
		fprintf(stderr, "%s: cannot run %s: %s (install qemu-system-arm: tools/setup.sh)\n",
			who, argv[0], strerror(errno));
		_exit(127);
	}
	close(fds[1]);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN); /* a closed stdout: the board runs on, unheard */
	code = relay(fds[0]);
	close(fds[0]);
	while (waitpid(qemu_pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	if (WEXITSTATUS(status) != 0 || code < 0)
		return WEXITSTATUS(status);
	/* QEMU ended well: the board's own verdict (semihosting gives the same one). */
	return code;
}
