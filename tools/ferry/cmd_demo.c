/* SPDX-License-Identifier: Apache-2.0 */
/**
 * `ferry demo`: the main job. Two emulated boards joined by an emulated
 * Ethernet; board A boots Debian's arm64 Linux on 2 vCPUs with a job that
 * keeps writing memory; once the job runs, the VM is migrated live to
 * board B over TLS (a fresh pre-shared key) through A's management
 * channel, with a progress bar; on B the same Linux answers a command
 * typed on B's console; then the report. tools/run.sh demo sets up and
 * builds first.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tools/ferry/board_process.h"
#include "tools/ferry/commands.h"
#include "tools/ferry/creds.h"
#include "tools/ferry/migrate_session.h"
#include "tools/ferry/runtime_dir.h"

#ifndef FERRY_BUILD_DIR
#define FERRY_BUILD_DIR "build"
#endif

#define ANSWER "I am the same Linux, up "

struct demo {
	char work[512], kernel[512], initrd[512];
	char run[512]; /**< private: the sockets and the key, gone after the run (runtime_dir.h) */
	const char *mode;
	struct board_process a, b;
};

static void say(const char *what) { printf("\n\033[1m== %s\033[0m\n", what), fflush(stdout); }

static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/** Drops terminal control sequences (ESC [ ... letter) the guest's shell writes. */
static void printable(char *line)
{
	char *out = line;

	for (const char *p = line; *p; p++) {
		if (*p == '\033') {
			if (p[1] == '[')
				for (p += 2;
				     *p && !((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z'));
				     p++)
					;
			if (!*p)
				break;
			continue;
		}
		*out++ = *p;
	}
	*out = '\0';
}

/** The lines worth showing of a board's console. */
static bool telling(const char *line)
{
	return strstr(line, "FERRY-LINUX") || !strncmp(line, "link:", 5) ||
	       !strncmp(line, "Ferry:", 6) || strstr(line, ANSWER) ||
	       !strcmp(line, "migration: the VM runs here") || strstr(line, "PANIC");
}

/**
 * Shows both consoles' new lines until one of `board` contains `want`
 * (NULL: just drain); false after timeout_ms or when that board ended.
 */
static bool watch(struct demo *d, struct board_process *board, const char *want, int timeout_ms)
{
	long long give_up = now_ms() + timeout_ms;
	char line[1024];

	for (;;) {
		struct board_process *both[2] = { &d->a, &d->b };
		bool seen = false;

		for (int i = 0; i < 2; i++) {
			if (!both[i]->log)
				continue;
			while (board_next_line(both[i], line, sizeof(line))) {
				printable(line);
				if (telling(line))
					printf("  %s | %s\n", both[i]->name, line);
				if (want && both[i] == board && strstr(line, want))
					seen = true;
			}
		}
		fflush(stdout);
		if (seen || !want)
			return true;
		if (board_wait(board, 0) || now_ms() >= give_up)
			return false;
		usleep(50000);
	}
}

static int fail(struct demo *d, const char *why)
{
	watch(d, &d->a, NULL, 0);
	fprintf(stderr, "ferry demo: %s (consoles: %s/a.log, %s/b.log)\n", why, d->work, d->work);
	board_stop(&d->a);
	board_stop(&d->b);
	return 1;
}

static bool start_boards(struct demo *d, char *err, size_t n)
{
	char creds_a[600], creds_b[600], net[600], mgmt_a[600], mgmt_b[600], log[600];
	char *argv_b[] = { "ferry", "run",    "--incoming", "--vcpus", "2",	"--cpus",
			   "3",	    "--mem",  "512M",	    "--link",  creds_b, "--net-listen",
			   net,	    "--mgmt", mgmt_b,	    NULL };
	char *argv_a[] = { "ferry",    "run",
			   "--guest",  d->kernel,
			   "--initrd", d->initrd,
			   "--vcpus",  "2",
			   "--cpus",   "3",
			   "--mem",    "512M",
			   "--append", "console=ttyAMA0 quiet ferry.workload",
			   "--link",   creds_a,
			   "--net",    net,
			   "--mgmt",   mgmt_a,
			   NULL };

	snprintf(creds_a, sizeof(creds_a), "%s/creds/board-a", d->run);
	snprintf(creds_b, sizeof(creds_b), "%s/creds/board-b", d->run);
	snprintf(net, sizeof(net), "%s/link.sock", d->run);
	snprintf(mgmt_a, sizeof(mgmt_a), "%s/a.mgmt", d->run);
	snprintf(mgmt_b, sizeof(mgmt_b), "%s/b.mgmt", d->run);
	snprintf(log, sizeof(log), "%s/b.log", d->work);
	say("Board B: waiting for a VM (ferry run --incoming)");
	if (!board_start(&d->b, "B", argv_b, log, err, n))
		return false;
	for (int i = 0; i < 100 && access(net, F_OK) != 0; i++)
		usleep(100000);
	say("Board A: Debian Linux on 2 vCPUs with a job that keeps writing memory");
	snprintf(log, sizeof(log), "%s/a.log", d->work);
	return board_start(&d->a, "A", argv_a, log, err, n);
}

static int run_demo(struct demo *d)
{
	struct migrate_request r = { .peer = "board-b", .mode = d->mode, .silence_s = 120 };
	struct mgmt_client c;
	char err[512], path[600], cmd[160];
	int rc;

	/* B listens, A connects; a fresh pre-shared key each run. */
	snprintf(path, sizeof(path), "%s/creds", d->run);
	if (!creds_make(path, false, "board-b", "board-a", err, sizeof(err)))
		return fprintf(stderr, "ferry demo: %s\n", err), 1;
	if (!start_boards(d, err, sizeof(err)))
		return fail(d, err);
	if (!watch(d, &d->a, "FERRY-LINUX: workload pass", 300000))
		return fail(d, "board A's Linux never got its job running");
	say("Migrating the running VM from A to B over TLS (ferry migrate, A's management "
	    "channel)");
	snprintf(path, sizeof(path), "%s/a.mgmt", d->run);
	if (!mgmt_client_open(&c, path, 5000, err, sizeof(err)))
		return fail(d, err);
	rc = migrate_session(&c, &r, "ferry demo");
	mgmt_client_close(&c);
	if (rc != 0)
		return fail(d, "the migration did not complete");
	if (!watch(d, &d->b, "migration: the VM runs here", 30000))
		return fail(d, "board B never said the VM runs there");
	watch(d, &d->a, NULL, 0);
	sleep(2);
	say("Typing on board B's console");
	snprintf(cmd, sizeof(cmd),
		 "echo \"" ANSWER "$(cut -d\" \" -f1 /proc/uptime) s, now on board B\"\n");
	if (!board_type(&d->b, cmd) || !watch(d, &d->b, ", now on board B", 60000))
		return fail(d, "the guest did not answer on board B");
	board_type(&d->b, "poweroff -f\n");
	watch(d, &d->b, "Ferry: the VM powered off", 30000);
	board_stop(&d->a);
	board_stop(&d->b);
	printf("\n  The guest kept running: it answered on board B; board A let it go.\n");
	return 0;
}

static void demo_usage(FILE *out)
{
	fprintf(out,
		"usage: ferry demo [--mode precopy|postcopy] [--kernel IMAGE] [--initrd FILE] "
		"[--work DIR]\n"
		"  Two boards: Debian Linux with a memory-writing job live-migrated from A to\n"
		"  B over TLS, a command answered on B, the report. tools/run.sh demo sets up\n"
		"  and builds first. The consoles' logs go in --work (default %s/demo);\n"
		"  the sockets and the key in a private directory under $XDG_RUNTIME_DIR\n"
		"  (or /tmp), removed at the end.\n",
		FERRY_BUILD_DIR);
}

int cmd_demo(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "kernel", required_argument, NULL, 'k' },
		{ "initrd", required_argument, NULL, 'i' },
		{ "work", required_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct demo d = { .mode = "precopy" };
	char err[600];
	const char *cache = getenv("FERRY_CACHE"), *xdg = getenv("XDG_CACHE_HOME"),
		   *home = getenv("HOME");
	int ch, rc;

	if (cache)
		snprintf(d.kernel, sizeof(d.kernel), "%s/guests/linux/Image", cache);
	else if (xdg)
		snprintf(d.kernel, sizeof(d.kernel), "%s/ferry/guests/linux/Image", xdg);
	else
		snprintf(d.kernel, sizeof(d.kernel), "%s/.cache/ferry/guests/linux/Image",
			 home ? home : "");
	snprintf(d.initrd, sizeof(d.initrd), "%s/guests/initramfs.cpio", FERRY_BUILD_DIR);
	snprintf(d.work, sizeof(d.work), "%s/demo", FERRY_BUILD_DIR);
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		char *dst = ch == 'k' ? d.kernel : ch == 'i' ? d.initrd : d.work;

		switch (ch) {
		case 'm':
			if (strcmp(optarg, "precopy") && strcmp(optarg, "postcopy")) {
				fprintf(stderr, "ferry demo: --mode is precopy or postcopy\n");
				return 2;
			}
			d.mode = optarg;
			break;
		case 'k':
		case 'i':
		case 'w':
			snprintf(dst, sizeof(d.work), "%s", optarg);
			break;
		case 'h':
			demo_usage(stdout);
			return 0;
		default:
			demo_usage(stderr);
			return 2;
		}
	}
	if (access(d.kernel, R_OK) || access(d.initrd, R_OK)) {
		fprintf(stderr,
			"ferry demo: the Linux guest is missing (%s, %s): run tools/run.sh demo, "
			"which sets it up\n",
			d.kernel, d.initrd);
		return 2;
	}
	/* The work folder and its parents, as mkdir -p. */
	for (char *p = d.work + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			mkdir(d.work, 0755);
			*p = '/';
		}
	if (mkdir(d.work, 0755) && errno != EEXIST) {
		fprintf(stderr, "ferry demo: %s: %s\n", d.work, strerror(errno));
		return 2;
	}
	if (!runtime_dir_make(d.run, sizeof(d.run), err, sizeof(err))) {
		fprintf(stderr, "ferry demo: %s\n", err);
		return 2;
	}
	rc = run_demo(&d); /* the boards have ended when it returns */
	runtime_dir_remove(d.run);
	return rc;
}
