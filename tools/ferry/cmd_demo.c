/* SPDX-License-Identifier: Apache-2.0 */
/**
 * `ferry demo`: the main job. Two emulated boards joined by an emulated
 * Ethernet; board A boots Debian's arm64 Linux on 2 vCPUs with a job that
 * keeps writing memory; once the job runs, the VM is migrated live to
 * board B over TLS (a fresh pre-shared key) through A's management
 * channel, with a progress bar; on B the same Linux answers a command
 * typed on B's console; then the report. The guest is on a LAN (`ferry
 * lan`) too: a UDP flow of a datagram a millisecond to its echo service
 * runs through each move, and what became of it is told after the move.
 * With --round-trips N the VM goes
 * back and forth N times (boards stay up: `migrate-incoming` on the empty
 * one), a command answered after each move. tools/run.sh demo sets up and
 * builds first.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tools/ferry/json_line.h"
#include "tools/ferry/board_process.h"
#include "tools/ferry/commands.h"
#include "tools/ferry/creds.h"
#include "tools/ferry/migrate_session.h"
#include "tools/ferry/migrate_view.h"
#include "tools/ferry/runtime_dir.h"
#include "tools/ferry/udp_flow.h"

#ifndef FERRY_BUILD_DIR
#define FERRY_BUILD_DIR "build"
#endif

#define ANSWER "I am the same Linux, up "

struct demo {
	char work[512], kernel[512], initrd[512];
	char run[512]; /**< private: the sockets and the key, gone after the run (runtime_dir.h) */
	const char *mode;
	unsigned round_trips; /**< 0: A -> B once; else A -> B -> A this many times */
	bool update;	      /**< instead: A's Ferry updated under the VM (ferry update) */
	bool failover;	      /**< instead: B a hot standby, A's emulator killed (ferry protect) */
	bool json;	      /**< the migrations' events and reports, the flows, as JSON lines */
	unsigned long long max_bandwidth_mbs; /**< the migrations' pace (MB/s), 0: the link's */
	struct board_process a, b;
	/** "migration: the VM runs here" seen on A, on B, since failover() began watching. */
	bool runs_on_a, runs_on_b;
	struct board_process lan; /**< `ferry lan`: the guests' network, its forward udp_port */
	int udp_port;
};

/* What is said for people: stdout, or stderr with --json (stdout then carries JSON lines only). */
static FILE *people;

static void say(const char *what)
{
	bool bold = view_styled(people);

	fprintf(people, "\n%s== %s%s\n", bold ? "\033[1m" : "", what, bold ? "\033[0m" : "");
	fflush(people);
}

/** say(), its title formatted. */
__attribute__((format(printf, 1, 2))) static void sayf(const char *fmt, ...)
{
	char title[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(title, sizeof(title), fmt, ap);
	va_end(ap);
	say(title);
}

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
	       !strcmp(line, "migration: the VM runs here") || strstr(line, "PANIC") ||
	       strstr(line, "restarted on") || !strncmp(line, "migration: takeover", 19) ||
	       !strncmp(line, "migration: fenced", 17) || !strncmp(line, "protection:", 11) ||
	       !strncmp(line, "migration report: protection", 28);
}

/**
 * Shows both consoles' new lines until one of `board` contains `want`
 * (NULL: just drain); false after timeout_ms or when that board ended.
 */
static volatile sig_atomic_t stopping;

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
					fprintf(people, "  %s | %s\n", both[i]->name, line);
				if (want && both[i] == board && strstr(line, want))
					seen = true;
				if (!strcmp(line, "migration: the VM runs here"))
					*(both[i] == &d->a ? &d->runs_on_a : &d->runs_on_b) = true;
			}
		}
		fflush(people);
		if (seen || !want)
			return true;
		if (stopping || board_wait(board, 0) || now_ms() >= give_up)
			return false;
		usleep(50000);
	}
}

static int fail(struct demo *d, const char *why)
{
	watch(d, &d->a, NULL, 0);
	if (stopping)
		why = "interrupted";
	fprintf(stderr, "ferry demo: %s (consoles: %s/a.log, %s/b.log)\n", why, d->work, d->work);
	board_stop(&d->a);
	board_stop(&d->b);
	board_stop(&d->lan);
	if (stopping || migrate_session_interrupted()) {
		fprintf(stderr, "ferry demo: the boards were stopped\n");
		return 130; /* as a shell reports SIGINT */
	}
	return 1;
}

/* Ctrl-C (or SIGTERM, SIGHUP) outside a migration: the demo stops its boards and ends. */
static void on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

/* A port of this host's loopback nobody uses now, for the LAN's forward. */
static int free_udp_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_DGRAM, 0), port = 0;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

/* The guests' LAN: a switch for both boards, 127.0.0.1:udp_port forwarded to the guest's port 7. */
static bool start_lan(struct demo *d, const char *sock, char *err, size_t n)
{
	char fwd[32], log[600];
	char *argv[] = { "ferry", "lan", "--socket", (char *)sock, "--udp", fwd, NULL };

	d->udp_port = free_udp_port();
	if (!d->udp_port)
		return snprintf(err, n, "no free UDP port on the loopback"), false;
	snprintf(fwd, sizeof(fwd), "%d:7", d->udp_port);
	snprintf(log, sizeof(log), "%s/lan.log", d->work);
	if (!board_start(&d->lan, "LAN", argv, log, err, n))
		return false;
	for (int i = 0; i < 100 && access(sock, F_OK) != 0; i++)
		usleep(50000);
	return true;
}

static bool start_boards(struct demo *d, char *err, size_t n)
{
	char creds_a[600], creds_b[600], net[600], mgmt_a[600], mgmt_b[600], log[600], lan[600];
	char *argv_b[] = { "ferry", "run",    "--incoming", "--vcpus", "2",	"--cpus",
			   "3",	    "--mem",  "512M",	    "--link",  creds_b, "--net-listen",
			   net,	    "--mgmt", mgmt_b,	    "--lan",   lan,	NULL };
	char *argv_a[] = { "ferry",    "run",
			   "--guest",  d->kernel,
			   "--initrd", d->initrd,
			   "--vcpus",  "2",
			   "--cpus",   "3",
			   "--mem",    "512M",
			   "--append", "console=ttyAMA0 quiet ferry.workload ferry.net",
			   "--link",   creds_a,
			   "--net",    net,
			   "--mgmt",   mgmt_a,
			   "--lan",    lan,
			   NULL };

	snprintf(creds_a, sizeof(creds_a), "%s/creds/board-a", d->run);
	snprintf(creds_b, sizeof(creds_b), "%s/creds/board-b", d->run);
	snprintf(net, sizeof(net), "%s/link.sock", d->run);
	snprintf(mgmt_a, sizeof(mgmt_a), "%s/a.mgmt", d->run);
	snprintf(mgmt_b, sizeof(mgmt_b), "%s/b.mgmt", d->run);
	snprintf(lan, sizeof(lan), "%s/lan.sock", d->run);
	say("The guests' LAN (ferry lan): a switch for both boards, the host's UDP port forwarded");
	if (!start_lan(d, lan, err, n))
		return false;
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

/** Board A again, empty, waiting for the VM from B (its emulator was killed). */
static bool restart_a_empty(struct demo *d, char *err, size_t n)
{
	char creds[600], net[600], mgmt[600], log[600], lan[600];
	char *argv[] = { "ferry", "run",    "--incoming", "--vcpus", "2",   "--cpus",
			 "3",	  "--mem",  "512M",	  "--link",  creds, "--net",
			 net,	  "--mgmt", mgmt,	  "--lan",   lan,   NULL };

	snprintf(creds, sizeof(creds), "%s/creds/board-a", d->run);
	snprintf(net, sizeof(net), "%s/link.sock", d->run);
	snprintf(mgmt, sizeof(mgmt), "%s/a.mgmt", d->run);
	snprintf(lan, sizeof(lan), "%s/lan.sock", d->run);
	snprintf(log, sizeof(log), "%s/a2.log", d->work);
	board_stop(&d->a);
	unlink(mgmt); /* the killed board's, left behind */
	return board_start(&d->a, "A", argv, log, err, n);
}

/* The board's management channel socket: a.mgmt or b.mgmt. */
static void mgmt_path(const struct demo *d, const struct board_process *board, char *out,
		      size_t size)
{
	snprintf(out, size, "%s/%c.mgmt", d->run, board == &d->a ? 'a' : 'b');
}

/** An empty board waits for the VM from its peer (migrate-incoming); false with err. */
static bool incoming(struct demo *d, struct board_process *to, char *err, size_t n)
{
	struct mgmt_client c;
	char path[600];
	bool ok;

	mgmt_path(d, to, path, sizeof(path));
	if (!mgmt_client_open(&c, path, 5000, err, n))
		return false;
	ok = mgmt_client_command(&c, "{\"execute\":\"migrate-incoming\"}", 5000, NULL, NULL, err,
				 n);
	mgmt_client_close(&c);
	if (ok && !watch(d, to, "migration: waiting for the VM from", 60000)) {
		snprintf(err, n, "board %s never waited for the VM", to->name);
		return false;
	}
	return ok;
}

/** The guest's UDP echo's answers through a move or a takeover, told; datagrams answered twice. */
static unsigned tell_flow(const struct demo *d, struct udp_flow *flow, const char *through)
{
	struct udp_flow_result fr;

	udp_flow_stop(flow, 1000, &fr);
	fprintf(people,
		"  guest's network  %u datagrams to its UDP echo, one a millisecond, before, "
		"during and after the %s:\n"
		"                   %u answered once, %u lost, %u answered twice; the longest "
		"wait between two answers %.1f ms\n",
		fr.sent, through, fr.answered_once, fr.lost, fr.twice,
		(double)fr.longest_gap_us / 1000.0);
	fflush(people);
	if (d->json) {
		char buf[512];
		struct json_out o;

		json_line_begin(&o, buf, sizeof(buf));
		json_out_object(&o, "udp-flow");
		json_out_str(&o, "through", through);
		json_out_u64(&o, "sent", fr.sent);
		json_out_u64(&o, "answered-once", fr.answered_once);
		json_out_u64(&o, "lost", fr.lost);
		json_out_u64(&o, "answered-twice", fr.twice);
		json_out_u64(&o, "longest-gap-us", fr.longest_gap_us);
		json_out_end(&o);
		json_line_print(&o);
	}
	return fr.twice;
}

/** A command typed on the board's console: the guest answers with its uptime and `tail`. */
static bool answers(struct demo *d, struct board_process *board, const char *tail)
{
	char title[64], cmd[200];

	snprintf(title, sizeof(title), "Typing on board %s's console", board->name);
	say(title);
	snprintf(cmd, sizeof(cmd), "echo \"" ANSWER "$(cut -d\" \" -f1 /proc/uptime) s%s\"\n",
		 tail);
	return board_type(board, cmd) && watch(d, board, tail, 60000);
}

/**
 * Moves the running VM from one board to the other (the other waits for it
 * already), then types a command on the board it reached; false with why.
 */
static bool move(struct demo *d, struct board_process *from, struct board_process *to,
		 const char **why)
{
	struct migrate_request r = { .peer = to == &d->b ? "board-b" : "board-a",
				     .mode = d->mode,
				     .max_bandwidth_mbs = d->max_bandwidth_mbs,
				     .json = d->json,
				     .silence_s = 120 };
	struct mgmt_client c;
	char err[512], path[600], want[64], title[160];
	struct udp_flow flow;
	bool flowing;
	int rc;

	snprintf(title, sizeof(title),
		 "Migrating the running VM from %s to %s over TLS (ferry migrate, %s's management "
		 "channel)",
		 from->name, to->name, from->name);
	say(title);
	mgmt_path(d, from, path, sizeof(path));
	if (!mgmt_client_open(&c, path, 5000, err, sizeof(err)))
		return *why = "the management channel did not answer", false;
	/* The guest's network through the move: a datagram a millisecond from a second before. */
	flowing = udp_flow_start(&flow, d->udp_port, err, sizeof(err));
	if (flowing)
		sleep(1);
	rc = stopping ? 1 : migrate_session(&c, &r, "ferry demo");
	mgmt_client_close(&c);
	if (rc == 0 && migrate_session_interrupted()) {
		/* Ctrl-C came too late: the migration had completed. */
		if (flowing)
			tell_flow(d, &flow, "move");
		return *why = "interrupted (Ctrl-C) once the migration had completed: the VM runs "
			      "on the receiving board",
		       false;
	}
	if (rc != 0 || !watch(d, to, "migration: the VM runs here", 30000)) {
		/* The flow's threads end before this frame does; what it saw is told. */
		if (flowing)
			tell_flow(d, &flow, "attempt");
		if (stopping || (rc == 1 && migrate_session_interrupted()))
			/* Ctrl-C: the board cancelled, or the migration ended before it could. */
			*why = "the migration was cancelled (Ctrl-C): the VM ran on where it was";
		else
			*why = rc ? "the migration did not complete"
				  : "the receiving board never said the VM runs there";
		return false;
	}
	watch(d, from, NULL, 0);
	sleep(2);
	if (flowing)
		tell_flow(d, &flow, "move");
	snprintf(want, sizeof(want), ", now on board %s", to->name);
	if (!answers(d, to, want))
		return *why = "the guest did not answer on the board it reached", false;
	return true;
}

/** --update: A's Ferry replaced under the running Linux (via B), then a command on A. */
static int run_update(struct demo *d)
{
	char a[600], b[600], image[600], title[700], cmd[160];

	snprintf(image, sizeof(image), "%s/board/ferry-next.elf", FERRY_BUILD_DIR);
	snprintf(title, sizeof(title),
		 "Updating board A's Ferry to %s under the running VM (ferry update: to B and "
		 "back)",
		 image);
	say(title);
	mgmt_path(d, &d->a, a, sizeof(a));
	mgmt_path(d, &d->b, b, sizeof(b));
	if (update_board(a, image, b, d->json) != 0)
		return fail(d, "the update did not complete");
	if (!watch(d, &d->a, "migration: the VM runs here", 30000))
		return fail(d, "board A never said the VM runs there again");
	sleep(2);
	say("Typing on board A's console");
	snprintf(cmd, sizeof(cmd),
		 "echo \"" ANSWER "$(cut -d\" \" -f1 /proc/uptime) s, on updated board A\"\n");
	if (!board_type(&d->a, cmd) || !watch(d, &d->a, ", on updated board A", 60000))
		return fail(d, "the guest did not answer on the updated board A");
	board_type(&d->a, "poweroff -f\n");
	watch(d, &d->a, "Ferry: the VM powered off", 30000);
	board_stop(&d->a);
	board_stop(&d->b);
	board_stop(&d->lan);
	fprintf(people, "\n  The guest kept running while board A's Ferry was replaced.\n");
	return 0;
}

/**
 * One failover: the VM protected on `primary` with `standby` as its hot
 * standby (a checkpoint every 20 ms, a 200 ms lease): asked for with
 * `ferry protect`, or (`again`) taken up by the primary itself, which
 * took the VM over, once the standby waits for it; the primary's emulator
 * killed while Linux runs its job; the standby takes over from the last
 * checkpoint and Linux answers there. False with why.
 */
static bool failover(struct demo *d, struct board_process *primary, struct board_process *standby,
		     bool again, const char **why)
{
	struct migrate_request r = { .peer = standby == &d->b ? "board-b" : "board-a",
				     .mode = "protect",
				     .json = d->json,
				     .silence_s = 120 };
	char path[600], err[512], want[64];
	struct udp_flow flow;
	bool flowing, *runs_on_standby = standby == &d->a ? &d->runs_on_a : &d->runs_on_b;

	*runs_on_standby = false;
	if (again) {
		sayf("Board %s protects the VM again, by itself, now that %s waits: the same "
		     "checkpoint every 20 ms and 200 ms lease",
		     primary->name, standby->name);
		if (!watch(d, primary, "migration: protected", 120000))
			return *why = "the VM was not protected again", false;
	} else {
		sayf("Protecting the VM on board %s with board %s as its hot standby: a checkpoint "
		     "every 20 ms, a 200 ms lease (ferry protect, %s's management channel)",
		     primary->name, standby->name, primary->name);
		mgmt_path(d, primary, path, sizeof(path));
		if (migrate_session_at(path, &r, "ferry demo") != 0)
			return *why = "the VM could not be protected", false;
	}
	sayf("Linux runs its job on board %s, protected; its console lines leave once %s holds "
	     "them",
	     primary->name, standby->name);
	/* What the guest prints leaves through the standby once it holds it. */
	if (!watch(d, standby, "FERRY-LINUX: workload pass", 30000))
		return *why = "Linux said nothing while protected", false;
	flowing = udp_flow_start(&flow, d->udp_port, err, sizeof(err));
	sleep(1);
	sayf("Board %s's emulator killed (SIGKILL), as a power cut would", primary->name);
	/*
	 * A primary that fenced itself before (a host that held its board back
	 * longer than the lease) has its standby running the VM already: the
	 * kill then finds the same outcome.
	 */
	*why = NULL;
	if (*runs_on_standby) {
		fprintf(people,
			"  (board %s fenced itself before the kill: no acknowledgement renewed its "
			"lease in time, and %s took over by the lease)\n",
			primary->name, standby->name);
		fflush(people);
	}
	if (!board_kill_emulator(primary))
		*why = "the primary's emulator could not be found to kill";
	else if (!*runs_on_standby && !watch(d, standby, "migration: the VM runs here", 30000))
		*why = "the standby never took over";
	if (*why) {
		if (flowing)
			tell_flow(d, &flow, "takeover");
		return false;
	}
	watch(d, standby, "migration: takeover", 2000);
	board_wait(primary, 5000);
	sleep(2);
	/*
	 * Output commit: an answer leaves the primary only once the standby
	 * holds the checkpoint that sent it, so its copy never answers one again.
	 */
	if (flowing && tell_flow(d, &flow, "takeover") > 0)
		return *why = "a datagram was answered twice across the takeover", false;
	snprintf(want, sizeof(want), ", on board %s after board %s died", standby->name,
		 primary->name);
	if (!answers(d, standby, want))
		return *why = "the guest did not answer on the board that took over", false;
	return true;
}

/**
 * --failover: protected on A, A killed, B takes over; A comes back empty
 * and B protects the VM to it by itself; B killed, A takes over.
 */
static int run_failover(struct demo *d)
{
	char err[512];
	const char *why;

	if (!failover(d, &d->a, &d->b, false, &why))
		return fail(d, why);
	say("Board A restarted, empty: it waits for the VM (ferry run --incoming)");
	if (!restart_a_empty(d, err, sizeof(err)))
		return fail(d, err);
	if (!watch(d, &d->a, "migration: waiting for the VM from", 120000))
		return fail(d, "the restarted board A never waited for the VM");
	if (!failover(d, &d->b, &d->a, true, &why))
		return fail(d, why);
	board_type(&d->a, "poweroff -f\n");
	watch(d, &d->a, "Ferry: the VM powered off", 30000);
	board_stop(&d->a);
	board_stop(&d->b);
	board_stop(&d->lan);
	fprintf(people,
		"\n  The guest kept running: board A died under it and B went on from its last "
		"checkpoint; A came back as B's standby, B died, and A went on.\n");
	return 0;
}

static int run_demo(struct demo *d)
{
	struct board_process *at = &d->a;
	char err[512], path[600];
	const char *why;

	/* B listens, A connects; a fresh pre-shared key each run. */
	snprintf(path, sizeof(path), "%s/creds", d->run);
	if (!creds_make(path, false, "board-b", "board-a", err, sizeof(err)))
		return fprintf(stderr, "ferry demo: %s\n", err), 1;
	if (!start_boards(d, err, sizeof(err)))
		return fail(d, err);
	if (!watch(d, &d->a, "FERRY-LINUX: network eth0", 300000))
		return fail(d, "board A's Linux never brought its network up");
	if (!watch(d, &d->a, "FERRY-LINUX: workload pass", 300000))
		return fail(d, "board A's Linux never got its job running");
	if (d->update)
		return run_update(d);
	if (d->failover)
		return run_failover(d);
	/* There (A -> B), and with --round-trips back and there again. */
	for (unsigned leg = 0; leg < (d->round_trips ? 2 * d->round_trips : 1); leg++) {
		struct board_process *to = at == &d->a ? &d->b : &d->a;

		if (leg > 0) {
			char title[96];

			snprintf(title, sizeof(title), "Board %s (empty now): ferry incoming",
				 to->name);
			say(title);
			if (!incoming(d, to, err, sizeof(err)))
				return fail(d, err);
		}
		if (!move(d, at, to, &why))
			return fail(d, why);
		at = to;
	}
	board_type(at, "poweroff -f\n");
	watch(d, at, "Ferry: the VM powered off", 30000);
	board_stop(&d->a);
	board_stop(&d->b);
	board_stop(&d->lan);
	if (d->round_trips)
		fprintf(people,
			"\n  The guest kept running: it went A -> B -> A %u time%s and answered "
			"after each move; the boards stayed up.\n",
			d->round_trips, d->round_trips > 1 ? "s" : "");
	else
		fprintf(people,
			"\n  The guest kept running: it answered on board B; board A let it "
			"go.\n");
	return 0;
}

static void demo_usage(FILE *out)
{
	fprintf(out,
		"usage: ferry demo [--mode precopy|postcopy] [--round-trips N | --update |\n"
		"                  --failover]\n"
		"                 [--max-bandwidth MB/S] [--kernel IMAGE]\n"
		"                 [--initrd FILE] [--work DIR] [--json]\n"
		"  Two boards: Debian Linux with a memory-writing job live-migrated from A to\n"
		"  B over TLS, a command answered on B, the report, and what a datagram a\n"
		"  millisecond to the guest's UDP echo (ferry lan) saw; with --round-trips, from\n"
		"  A to B and back N times, a command answered after each move; with --update,\n"
		"  board A's Ferry replaced by the next release's image (board/ferry-next.elf)\n"
		"  under the running VM, which moves to B and back; with --failover, board B a\n"
		"  hot standby of A's VM (ferry protect) and A's emulator killed while Linux\n"
		"  runs its job: B takes over and Linux answers there; then A, restarted empty,\n"
		"  becomes B's standby, B is killed and A takes over. --max-bandwidth paces the\n"
		"  migrations while the VM runs. Ctrl-C during a migration cancels it (the VM\n"
		"  runs on where it was), then the boards are stopped; at any other time they\n"
		"  are stopped at once. tools/run.sh demo sets up and builds first. The consoles' "
		"logs go in --work (default "
		"%s/demo);\n"
		"  the sockets and the key in a private directory under $XDG_RUNTIME_DIR\n"
		"  (or /tmp), removed at the end. --json: the migrations' events and reports\n"
		"  and each UDP flow's counts as JSON lines on stdout, the rest on stderr.\n",
		FERRY_BUILD_DIR);
}

int cmd_demo(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "kernel", required_argument, NULL, 'k' },
		{ "initrd", required_argument, NULL, 'i' },
		{ "work", required_argument, NULL, 'w' },
		{ "round-trips", required_argument, NULL, 'r' },
		{ "update", no_argument, NULL, 'u' },
		{ "failover", no_argument, NULL, 'f' },
		{ "max-bandwidth", required_argument, NULL, 'b' },
		{ "json", no_argument, NULL, 'j' },
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
		case 'u':
			d.update = true;
			break;
		case 'b': {
			char *end;
			unsigned long long v = strtoull(optarg, &end, 10);

			if (!*optarg || *end || v < 1 || v > 100000) {
				fprintf(stderr,
					"ferry demo: --max-bandwidth is 1 to 100000 (MB/s)\n");
				return 2;
			}
			d.max_bandwidth_mbs = v;
			break;
		}
		case 'f':
			d.failover = true;
			break;
		case 'j':
			d.json = true;
			break;
		case 'r': {
			char *end;
			unsigned long n = strtoul(optarg, &end, 10);

			if (!*optarg || *end || n < 1 || n > 100) {
				fprintf(stderr, "ferry demo: --round-trips is 1 to 100\n");
				return 2;
			}
			d.round_trips = (unsigned)n;
			break;
		}
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
	people = d.json ? stderr : stdout;
	if (optind != argc || (d.round_trips > 0) + d.update + d.failover > 1) {
		fprintf(stderr, "ferry demo: --round-trips, --update and --failover are one at a "
				"time\n");
		demo_usage(stderr);
		return 2;
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
	signal(SIGINT, on_stop);
	signal(SIGTERM, on_stop);
	signal(SIGHUP, on_stop);
	if (!runtime_dir_make(d.run, sizeof(d.run), err, sizeof(err))) {
		fprintf(stderr, "ferry demo: %s\n", err);
		return 2;
	}
	rc = run_demo(&d); /* the boards have ended when it returns */
	runtime_dir_remove(d.run);
	return rc;
}
