/* SPDX-License-Identifier: Apache-2.0 */
/** Boards as child processes, see board_process.h. */
#define _GNU_SOURCE /* pipe2 */
#include "tools/ferry/board_process.h"

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

bool board_start(struct board_process *b, const char *name, char *const argv[],
		 const char *log_path, char *err, size_t n)
{
	int in[2], out;

	memset(b, 0, sizeof(*b));
	b->name = name;
	b->input = -1;
	b->exit_code = -1;
	out = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0 || pipe2(in, O_CLOEXEC) != 0) {
		snprintf(err, n, "board %s: %s: %s", name, log_path, strerror(errno));
		if (out >= 0)
			close(out);
		return false;
	}
	b->pid = fork();
	if (b->pid < 0) {
		snprintf(err, n, "board %s: fork: %s", name, strerror(errno));
		return false;
	}
	if (b->pid == 0) {
		/*
		 * A process group of its own: the terminal's Ctrl-C goes to the
		 * command, which cancels what it does and then stops its boards.
		 */
		setpgid(0, 0);
		dup2(in[0], 0);
		dup2(out, 1);
		dup2(out, 2);
		execv("/proc/self/exe", argv);
		_exit(127);
	}
	close(in[0]);
	close(out);
	b->input = in[1];
	signal(SIGPIPE, SIG_IGN); /* a board that ended: its input fails, no signal */
	b->log = fopen(log_path, "r");
	if (!b->log) {
		snprintf(err, n, "board %s: %s: %s", name, log_path, strerror(errno));
		return false;
	}
	return true;
}

const char *board_next_line(struct board_process *b, char *line, size_t size)
{
	int c;

	while ((c = fgetc(b->log)) != EOF) {
		if (c == '\n') {
			size_t len = b->partial_len;

			while (len && b->partial[len - 1] == '\r')
				len--;
			if (len >= size)
				len = size - 1;
			memcpy(line, b->partial, len);
			line[len] = '\0';
			b->partial_len = 0;
			return line;
		}
		if (b->partial_len + 1 < sizeof(b->partial))
			b->partial[b->partial_len++] = (char)c;
	}
	clearerr(b->log); /* more may come: the board still writes */
	return NULL;
}

bool board_type(struct board_process *b, const char *text)
{
	size_t len = strlen(text);

	return b->input >= 0 && write(b->input, text, len) == (ssize_t)len;
}

bool board_wait(struct board_process *b, int timeout_ms)
{
	for (int waited = 0;; waited += 50) {
		int status;

		if (b->exit_code >= 0)
			return true;
		if (waitpid(b->pid, &status, WNOHANG) == b->pid) {
			b->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
			return true;
		}
		if (waited >= timeout_ms)
			return false;
		usleep(50000);
	}
}

/* Whether process pid is an emulator: its command name starts with qemu-system. */
static bool is_emulator(pid_t pid)
{
	char path[64], comm[64] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = '\0';
	fclose(f);
	return !strncmp(comm, "qemu-system", 11);
}

/* The parent of process pid, 0 when it cannot be read (/proc/PID/stat's fourth field). */
static pid_t parent_of(pid_t pid)
{
	char path[64], stat[512], *end;
	size_t len;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	len = fread(stat, 1, sizeof(stat) - 1, f);
	fclose(f);
	stat[len] = '\0';
	end = strrchr(stat, ')'); /* the command name may hold spaces and parentheses */
	return end ? (pid_t)strtol(end + 4, NULL, 10) : 0;
}

bool board_kill_emulator(struct board_process *b)
{
	struct dirent *e;
	bool killed = false;
	DIR *proc;

	if (b->pid <= 0 || board_wait(b, 0))
		return false;
	if (is_emulator(b->pid))
		return kill(b->pid, SIGKILL) == 0;
	proc = opendir("/proc");
	if (!proc)
		return false;
	while ((e = readdir(proc))) {
		pid_t pid = (pid_t)strtol(e->d_name, NULL, 10);

		if (pid > 0 && parent_of(pid) == b->pid && is_emulator(pid))
			killed |= kill(pid, SIGKILL) == 0;
	}
	closedir(proc);
	return killed;
}

void board_stop(struct board_process *b)
{
	if (b->pid > 0 && !board_wait(b, 0)) {
		kill(b->pid, SIGTERM);
		board_wait(b, 2000);
	}
	if (b->input >= 0)
		close(b->input);
	if (b->log)
		fclose(b->log);
	b->input = -1;
	b->log = NULL;
}
