/* SPDX-License-Identifier: Apache-2.0 */
/** A board in the background, see background.h. */
#include "tools/ferry/background.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tools/ferry/mgmt_client.h"

/* The console line a board prints once its CPUs are up (system/main.c). */
#define READY_LINE "Ferry ready:"

static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static bool log_says_ready(const char *log)
{
	char line[512];
	bool ready = false;
	FILE *f = fopen(log, "r");

	while (f && !ready && fgets(line, sizeof(line), f))
		ready = strncmp(line, READY_LINE, strlen(READY_LINE)) == 0;
	if (f)
		fclose(f);
	return ready;
}

/* The board answers on its management channel: it is up and serves it. */
static bool mgmt_answers(const char *mgmt, unsigned timeout_ms)
{
	struct mgmt_client c;
	char err[256];
	bool ok;

	if (!mgmt_client_open(&c, mgmt, timeout_ms, err, sizeof(err)))
		return false;
	ok = mgmt_client_command(&c, "{\"execute\":\"query-vms\"}", (int)timeout_ms, NULL, NULL,
				 err, sizeof(err));
	mgmt_client_close(&c);
	return ok;
}

int background_start(const char *log, const char *mgmt, const char *who)
{
	long long give_up = now_ms() + BACKGROUND_READY_S * 1000ll;
	int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644), in, status;
	pid_t pid;

	if (fd < 0) {
		fprintf(stderr, "%s: cannot write the console log %s: %s\n", who, log,
			strerror(errno));
		return 2;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "%s: fork: %s\n", who, strerror(errno));
		close(fd);
		return 1;
	}
	if (pid == 0) {
		/* No terminal: nothing stops it for its input, a closed terminal does not end it.
		 */
		in = open("/dev/null", O_RDONLY);
		setsid();
		if (in < 0 || dup2(in, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(1);
		if (in > 2) /* one of 0-2 itself, had it been closed: kept */
			close(in);
		if (fd > 2)
			close(fd);
		return -1;
	}
	close(fd);
	while (now_ms() < give_up) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			fprintf(stderr,
				"%s: the board ended before it was ready (exit %d); its console: "
				"%s\n",
				who,
				WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
				log);
			return 1;
		}
		if (mgmt ? mgmt_answers(mgmt, 1000) : log_says_ready(log)) {
			printf("%s: the board is ready in the background, pid %d; its console: "
			       "%s\n",
			       who, (int)pid, log);
			if (mgmt)
				printf("%s: its management channel: %s ('ferry quit --mgmt %s' "
				       "once it "
				       "is empty; 'kill %d' ends it whatever it holds)\n",
				       who, mgmt, mgmt, (int)pid);
			else
				printf("%s: 'kill %d' ends it\n", who, (int)pid);
			return 0;
		}
		usleep(100000);
	}
	fprintf(stderr, "%s: the board was not ready within %d s: ended (its console: %s)\n", who,
		BACKGROUND_READY_S, log);
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	return 1;
}
