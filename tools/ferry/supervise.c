/* SPDX-License-Identifier: Apache-2.0 */
/** A board kept as a child, restartable on another image: see supervise.h. */
#include "tools/ferry/supervise.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tools/ferry/mgmt_client.h"

/* How long an empty board may take to power off once told to quit. */
#define QUIT_TIMEOUT_MS 30000
#define LOOK_MS		200

static volatile pid_t child = -1;
static volatile sig_atomic_t stopping; /**< a signal came: no restart any more */

/* A signal to this process is for the board: QEMU gets it, and its exit ends this one. */
static void forward(int sig)
{
	stopping = 1;
	if (child > 0)
		kill(child, sig);
}

/* The signals forwarded, held while a child is being started (so none is lost). */
static void hold_signals(bool hold)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(hold ? SIG_BLOCK : SIG_UNBLOCK, &set, NULL);
}

static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/** Starts QEMU as the child; false (said) when it cannot be. */
static bool start(const char *const *argv, const char *who)
{
	pid_t parent = getpid(), pid;

	fflush(NULL);
	hold_signals(true);
	pid = fork();
	if (pid == 0) {
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		hold_signals(false);
		/* QEMU never outlives its supervisor, however that ends (even before this). */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		umask(0177); /* its sockets 0600, as launch_qemu */
		execvp(argv[0], (char *const *)argv);
		fprintf(stderr, "%s: cannot run %s: %s\n", who, argv[0], strerror(errno));
		_exit(127);
	}
	if (pid < 0)
		fprintf(stderr, "%s: cannot start QEMU: %s\n", who, strerror(errno));
	child = pid;
	hold_signals(false);
	return pid > 0;
}

static int listen_at(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	mode_t old = umask(0177); /* only this user may restart the board */
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	unlink(path);
	if (fd >= 0 && (bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 1))) {
		close(fd);
		fd = -1;
	}
	umask(old);
	return fd;
}

static void reply(int fd, const char *text)
{
	if (fd >= 0 && write(fd, text, strlen(text)) < 0)
		return; /* the asker is gone: nobody to tell */
}

/** One request line ("restart IMAGE") from a fresh connection, within a second. */
static bool read_request(int fd, char *line, size_t size)
{
	long long give_up = now_ms() + 1000;
	size_t len = 0;

	while (len + 1 < size) {
		struct pollfd p = { fd, POLLIN, 0 };
		long long left = give_up - now_ms();
		ssize_t n;

		if (left <= 0 || poll(&p, 1, (int)left) <= 0 || (n = read(fd, line + len, 1)) <= 0)
			return false;
		if (line[len] == '\n') {
			line[len] = '\0';
			return true;
		}
		len++;
	}
	return false;
}

/** The empty board powers off (quit); false with the board's words in err. */
static bool quit_board(const char *mgmt, char *err, size_t n)
{
	struct mgmt_client c;
	bool ok;

	if (!mgmt_client_open(&c, mgmt, 2000, err, n))
		return false;
	ok = mgmt_client_command(&c, "{\"execute\":\"quit\"}", 5000, NULL, NULL, err, n);
	mgmt_client_close(&c);
	return ok;
}

int supervise_qemu(const struct supervise_board *b, const char *who)
{
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)], line[1024], err[512];
	char image[sizeof(line)] = "";
	const char *argv[QEMU_ARGV_MAX];
	struct sigaction sa = { .sa_handler = forward };
	int lfd, waiting = -1, status;
	long long give_up = 0;

	if (snprintf(path, sizeof(path), "%s.run", b->mgmt) >= (int)sizeof(path) ||
	    (lfd = listen_at(path)) < 0) {
		fprintf(stderr, "%s: no restarts for this board (cannot listen on %s.run)\n", who,
			b->mgmt);
		return -1;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if (b->build(b->ctx, NULL, argv) < 0 || !start(argv, who)) {
		unlink(path);
		return 2;
	}
	for (;;) {
		struct pollfd p = { lfd, POLLIN, 0 };
		pid_t w = waitpid(child, &status, WNOHANG);

		if (w < 0 && errno == ECHILD) { /* SIGCHLD ignored by whoever started us */
			status = 2 << 8;
			break;
		}
		if (w == child && waiting >= 0 && !stopping) {
			/* The board quit as asked: the same board, on the new image, waits for its
			 * VM. */
			if (b->build(b->ctx, image, argv) < 0 || !start(argv, who)) {
				reply(waiting, "error the board could not be started again\n");
				close(waiting);
				waiting = -1;
				status = 2 << 8; /* no board any more: not a success */
				break;
			}
			fprintf(stderr, "%s: restarted on %s, waiting for the VM\n", who, image);
			reply(waiting, "ok\n");
			close(waiting);
			waiting = -1;
			continue;
		}
		if (w == child)
			break;
		if (waiting >= 0 && now_ms() > give_up) {
			reply(waiting, "error the board did not power off after quit\n");
			close(waiting);
			waiting = -1;
		}
		if (poll(&p, 1, LOOK_MS) <= 0)
			continue;
		{
			int fd = accept(lfd, NULL, NULL);

			if (fd < 0)
				continue;
			fcntl(fd, F_SETFD, FD_CLOEXEC); /* never QEMU's */
			if (waiting >= 0 || !read_request(fd, line, sizeof(line)) ||
			    strncmp(line, "restart ", 8) != 0) {
				reply(fd, waiting >= 0 ? "error a restart is under way\n"
						       : "error the request is 'restart IMAGE'\n");
				close(fd);
				continue;
			}
			if (access(line + 8, R_OK) != 0) {
				reply(fd, "error the image cannot be read\n");
				close(fd);
				continue;
			}
			if (!quit_board(b->mgmt, err, sizeof(err))) {
				char text[600];

				snprintf(text, sizeof(text), "error %s\n", err);
				reply(fd, text);
				close(fd);
				continue;
			}
			snprintf(image, sizeof(image), "%s", line + 8);
			waiting = fd;
			give_up = now_ms() + QUIT_TIMEOUT_MS;
		}
	}
	close(lfd);
	unlink(path);
	if (waiting >= 0) {
		reply(waiting, "error stopped by a signal\n");
		close(waiting);
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
