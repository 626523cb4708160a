/* SPDX-License-Identifier: Apache-2.0 */
/**
 * `ferry update --board A.mgmt --image NEW.elf --via B.mgmt`: Ferry itself
 * updated under a running VM. The VM moves from A to B (B, empty, waits for
 * it), A restarts on NEW.elf waiting for it (its `ferry run` does that:
 * tools/ferry/supervise.h), the VM moves back; both reports, then the time
 * the VM spent away from A. Each board's stream format window lets the new
 * image and the old one migrate both ways (docs/migration-protocol.md,
 * "Versions").
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "tools/ferry/json_line.h"
#include "tools/ferry/commands.h"
#include "tools/ferry/link_options.h"
#include "tools/ferry/mgmt_client.h"
#include "tools/ferry/migrate_session.h"
#include "tools/ferry/unix_path.h"

#define READY_TIMEOUT_MS 60000
#define POLL_MS		 100

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/** What a board's query-vms says of it. */
struct board_view {
	char state[16]; /**< empty, receiving, hosting */
	char vm[24];	/**< its VM's state */
	char name[64];	/**< its name on the link */
	char peer[64];	/**< its link's peer */
};

static bool ask(const char *sock, struct board_view *v, char *err, size_t n)
{
	struct mgmt_client c;
	bool ok;

	memset(v, 0, sizeof(*v));
	if (!mgmt_client_open(&c, sock, 5000, err, n))
		return false;
	ok = mgmt_client_command(&c, "{\"execute\":\"query-vms\"}", 5000, NULL, NULL, err, n);
	if (ok) {
		int ret = mgmt_client_get(&c, 0, "return");
		int vms = mgmt_client_get(&c, ret, "vms");

		mgmt_client_str(&c, ret, "board", v->state, sizeof(v->state));
		mgmt_client_str(&c, ret, "link-name", v->name, sizeof(v->name));
		mgmt_client_str(&c, ret, "link-peer", v->peer, sizeof(v->peer));
		if (vms >= 0 && c.toks[vms].next > (unsigned)vms + 1)
			mgmt_client_str(&c, vms + 1, "state", v->vm, sizeof(v->vm));
	}
	mgmt_client_close(&c);
	return ok;
}

/** Until the board says `want` (query-vms), or the time is up; false with err. */
static bool await_state(const char *sock, const char *want, char *err, size_t n)
{
	struct board_view v;

	for (int waited = 0; waited < READY_TIMEOUT_MS; waited += POLL_MS) {
		if (ask(sock, &v, err, n) && !strcmp(v.state, want))
			return true;
		usleep(POLL_MS * 1000);
	}
	snprintf(err, n, "%s: not %s within %d s", sock, want, READY_TIMEOUT_MS / 1000);
	return false;
}

static bool command(const char *sock, const char *json, char *err, size_t n)
{
	struct mgmt_client c;
	bool ok;

	if (!mgmt_client_open(&c, sock, 5000, err, n))
		return false;
	ok = mgmt_client_command(&c, json, 5000, NULL, NULL, err, n);
	mgmt_client_close(&c);
	return ok;
}

/* --json: stdout carries JSON lines only; what is said for people goes to stderr. */
static bool as_json;

static FILE *human(void) { return as_json ? stderr : stdout; }

/** One migration from the board behind `from` to its peer: migrate_session's exit code. */
static int move(const char *from, const char *peer)
{
	struct migrate_request r = { .peer = peer, .silence_s = 120, .json = as_json };
	struct mgmt_client c;
	char err[512];
	int rc;

	if (!mgmt_client_open(&c, from, 5000, err, sizeof(err))) {
		fprintf(stderr, "ferry update: %s\n", err);
		return 1; /* nothing asked: the VM is where it was */
	}
	rc = migrate_session(&c, &r, "ferry update");
	mgmt_client_close(&c);
	return rc;
}

/** Where the VM is after a move that did not complete (migrate_session's code rc). */
static void say_where(int rc, const char *from)
{
	if (rc == 1)
		fprintf(stderr, "ferry update: the migration failed; the VM runs on at %s\n", from);
	else if (rc == 3)
		fprintf(stderr, "ferry update: the migration is unresolved; the VM stays stopped "
				"until the boards settle it (ferry boards; migrate-resolve)\n");
	else if (rc == 5)
		fprintf(stderr, "ferry update: the VM is lost (postcopy could not finish)\n");
	else
		fprintf(stderr,
			"ferry update: %s could not be followed to the end; ask both boards "
			"where the VM is (ferry boards)\n",
			from);
}

/** Asks board A's `ferry run` to restart it on `image` (supervise.h); false with err. */
static bool restart(const char *mgmt, const char *image, char *err, size_t n)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char line[600];
	ssize_t got = 0, r;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(a.sun_path, sizeof(a.sun_path), "%s.run", mgmt);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		snprintf(err, n,
			 "%s.run: board A's ferry run cannot restart it (start it with ferry run "
			 "--mgmt)",
			 mgmt);
		if (fd >= 0)
			close(fd);
		return false;
	}
	snprintf(line, sizeof(line), "restart %s\n", image);
	if (write(fd, line, strlen(line)) != (ssize_t)strlen(line)) {
		close(fd);
		snprintf(err, n, "%s.run: the request did not go", mgmt);
		return false;
	}
	while (got < (ssize_t)sizeof(line) - 1 && (r = read(fd, line + got, 1)) == 1 &&
	       line[got] != '\n')
		got++;
	line[got] = '\0';
	close(fd);
	if (strcmp(line, "ok") != 0) {
		snprintf(err, n, "board A did not restart: %s",
			 strncmp(line, "error ", 6) ? "no answer" : line + 6);
		return false;
	}
	return true;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: ferry update --board A.mgmt --image NEW.elf --via B.mgmt [--json]\n"
		     "                    [--board-token FILE] [--via-token FILE]\n"
		     "  Updates board A's Ferry image under its running VM: the VM moves to\n"
		     "  board B (empty: it waits for it), A restarts on NEW.elf, the VM moves\n"
		     "  back; both reports and the time the VM spent away. A must have been\n"
		     "  started by ferry run --mgmt, which restarts it; B may be empty or\n"
		     "  waiting for a VM (ferry run --incoming --mgmt). --json: both migrations'\n"
		     "  events and reports, then the update's end, as JSON lines on stdout (the\n"
		     "  rest goes to stderr). --board-token and --via-token: the management\n"
		     "  token of each board that requires one (ferry creds' NAME/mgmt.token);\n"
		     "  without either, FERRY_MGMT_TOKEN_FILE's goes to both; with one, the\n"
		     "  other board gets none.\n");
}

int update_board(const char *a, const char *image_arg, const char *b, bool json)
{
	char err[1024], image[PATH_MAX];
	struct board_view va, vb;
	double away;
	int rc;

	as_json = json;
	/* The path as board A's ferry run, in its own directory, will open it. */
	if (!realpath(image_arg, image) || access(image, R_OK) != 0) {
		fprintf(stderr, "ferry update: %s cannot be read\n", image_arg);
		return 2;
	}
	if (!ask(a, &va, err, sizeof(err)) || !ask(b, &vb, err, sizeof(err))) {
		fprintf(stderr, "ferry update: %s\n", err);
		return 1;
	}
	if (strcmp(va.peer, vb.name) != 0 || strcmp(vb.peer, va.name) != 0) {
		fprintf(stderr,
			"ferry update: board A (%s) and board B (%s) are not each other's peers: A "
			"is '%s' linked to '%s', B is '%s' linked to '%s'\n",
			a, b, va.name, va.peer, vb.name, vb.peer);
		return 1;
	}
	if (strcmp(va.state, "hosting") != 0 || strcmp(va.vm, "running") != 0 ||
	    (strcmp(vb.state, "empty") != 0 && strcmp(vb.state, "receiving") != 0)) {
		fprintf(stderr,
			"ferry update: board A must run the VM and board B be empty or waiting "
			"for it; A is %s (its VM %s), B is %s\n",
			va.state, va.vm[0] ? va.vm : "none", vb.state);
		return 1;
	}
	fprintf(human(), "== The VM moves from board A (%s) to board B (%s)\n", a, b);
	fflush(human());
	if ((!strcmp(vb.state, "empty") &&
	     !command(b, "{\"execute\":\"migrate-incoming\"}", err, sizeof(err))) ||
	    !await_state(b, "receiving", err, sizeof(err))) {
		fprintf(stderr, "ferry update: board B: %s\n", err);
		return 1;
	}
	rc = move(a, va.peer);
	if (rc != 0) {
		say_where(rc, "board A");
		if (rc == 1) /* B waits for nothing now */
			command(b, "{\"execute\":\"migrate-cancel\"}", err, sizeof(err));
		fprintf(stderr, "ferry update: board A was not updated\n");
		return 1;
	}
	away = now_s();
	fprintf(human(), "\n== Board A restarts on %s\n", image);
	fflush(human());
	if (!restart(a, image, err, sizeof(err)) ||
	    !await_state(a, "receiving", err, sizeof(err))) {
		fprintf(stderr, "ferry update: %s; the VM runs on at board B\n", err);
		return 1;
	}
	fprintf(human(), "\n== The VM moves back to board A\n");
	fflush(human());
	rc = move(b, vb.peer);
	if (rc != 0) {
		say_where(rc, "board B");
		return 1;
	}
	away = now_s() - away;
	if (as_json) {
		static char buf[6 * PATH_MAX + 128]; /* each character at most 6 escaped */
		struct json_out o;

		json_line_begin(&o, buf, sizeof(buf));
		json_out_str(&o, "update", "completed");
		json_out_str(&o, "image", image);
		json_out_u64(&o, "away-ms", (uint64_t)(away * 1000.0));
		return json_line_print(&o) ? 0 : 1;
	}
	printf("\n  Board A runs %s; the VM was away from it %.1f s (its downtimes are in the "
	       "two reports above).\n",
	       image, away);
	return 0;
}

int cmd_update(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "board", required_argument, NULL, 'b' },
		{ "image", required_argument, NULL, 'i' },
		{ "via", required_argument, NULL, 'v' },
		{ "board-token", required_argument, NULL, 'B' },
		{ "via-token", required_argument, NULL, 'V' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *a = NULL, *b = NULL, *image = NULL, *a_token = NULL, *b_token = NULL;
	char err[512], token[MGMT_TOKEN_HEX + 1];
	int ch;

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'b':
		case 'v':
			if (!unix_path_fits(ch == 'b' ? "--board" : "--via", optarg, err,
					    sizeof(err))) {
				fprintf(stderr, "ferry update: %s\n", err);
				return 2;
			}
			*(ch == 'b' ? &a : &b) = optarg;
			break;
		case 'i':
			image = optarg;
			break;
		case 'B':
		case 'V':
			/* Refused here rather than by the board: unreadable, open to others, no
			 * token. */
			if (!mgmt_token_load(optarg, token, err, sizeof(err))) {
				fprintf(stderr, "ferry update: --%s-token: %s\n",
					ch == 'B' ? "board" : "via", err);
				return 2;
			}
			*(ch == 'B' ? &a_token : &b_token) = optarg;
			break;
		case 'j':
			as_json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!a || !b || !image || optind != argc) {
		usage(stderr);
		return 2;
	}
	if ((a_token && !mgmt_client_token_for(a, a_token)) ||
	    (b_token && !mgmt_client_token_for(b, b_token)))
		return 2; /* two fit */
	return update_board(a, image, b, as_json);
}
