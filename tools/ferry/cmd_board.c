/* SPDX-License-Identifier: Apache-2.0 */
/**
 * `ferry incoming`, `ferry vm-boot`, `ferry quit`: what an empty board (its
 * VM left or ended) does next, asked on its management channel
 * (docs/management.md, "A board's life").
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tools/ferry/json_line.h"
#include "tools/ferry/commands.h"
#include "tools/ferry/mgmt_client.h"
#include "tools/ferry/unix_path.h"

/* How long the board may take to make its VM anew (zeroing its RAM) and take commands again. */
#define READY_TIMEOUT_MS 60000
#define POLL_MS		 100

struct action {
	const char *tool;    /**< the tool's command */
	const char *execute; /**< the board's */
	const char *wants;   /**< the board state that shows it done; NULL: the board powers off */
	const char *help;
};

static const struct action actions[] = {
	{ "incoming", "migrate-incoming", "receiving",
	  "the empty board waits for a VM from its peer; returns once it does\n"
	  "  (--cancel: a board waiting for a VM stops waiting; returns once it is empty)" },
	{ "vm-boot", "vm-boot", "hosting",
	  "the empty board boots its configured guest again; returns once it runs" },
	{ "quit", "quit", NULL, "the empty board powers off; returns once it did" },
};

/** The board's state in query-vms ("empty", "receiving", "hosting"); false when not answered. */
static bool board_state(struct mgmt_client *c, char *state, size_t size, char *err, size_t n)
{
	if (!mgmt_client_command(c, "{\"execute\":\"query-vms\"}", 3000, NULL, NULL, err, n))
		return false;
	mgmt_client_str(c, mgmt_client_get(c, 0, "return"), "board", state, size);
	return true;
}

/** Until the board's state is `wants` (or it closed the channel, when wants is NULL). */
static int wait_done(struct mgmt_client *c, const struct action *a, const char *sock)
{
	char err[256], state[32];

	for (int waited = 0; waited < READY_TIMEOUT_MS; waited += POLL_MS) {
		if (!a->wants) {
			int r = mgmt_client_next(c, POLL_MS, err, sizeof(err));

			if (r < 0)
				return 0; /* the board is gone */
			continue;
		}
		if (board_state(c, state, sizeof(state), err, sizeof(err)) &&
		    !strcmp(state, a->wants))
			return 0;
		usleep(POLL_MS * 1000);
	}
	fprintf(stderr, "ferry %s: %s: the board did not get there within %d s\n", a->tool, sock,
		READY_TIMEOUT_MS / 1000);
	return 1;
}

/* --json: the state the board reached, as one JSON object. */
static void done_json(const struct action *a, const char *sock)
{
	char buf[8192]; /* a socket's path is at most 107 bytes */
	struct json_out o;

	json_line_begin(&o, buf, sizeof(buf));
	json_out_str(&o, "board", sock);
	json_out_str(&o, "command", a->tool);
	json_out_str(&o, "state", a->wants ? a->wants : "powered-off");
	json_line_print(&o);
}

/* `ferry incoming --cancel`: the board stops waiting (migrate-cancel). */
static const struct action stop_waiting = { "incoming --cancel", "migrate-cancel", "empty", "" };

static int run_action(const struct action *a, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "mgmt", required_argument, NULL, 'm' },
		{ "cancel", no_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sock = NULL;
	struct mgmt_client c;
	char err[1024], cmd[64];
	int ch, rc;
	bool json = false;

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'm':
			if (!unix_path_fits("--mgmt", optarg, err, sizeof(err))) {
				fprintf(stderr, "ferry %s: %s\n", a->tool, err);
				return 2;
			}
			sock = optarg;
			break;
		case 'c':
			if (strcmp(a->tool, "incoming") != 0) {
				fprintf(stderr, "ferry %s: no --cancel\n", a->tool);
				return 2;
			}
			a = &stop_waiting;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			printf("usage: ferry %s --mgmt SOCKET [--json]\n  %s\n"
			       "  --json: the state reached, as one JSON object\n",
			       a->tool, a->help);
			return 0;
		default:
			return 2;
		}
	}
	if (!sock || optind != argc) {
		fprintf(stderr, "usage: ferry %s --mgmt SOCKET [--json]\n", a->tool);
		return 2;
	}
	if (!mgmt_client_open(&c, sock, 5000, err, sizeof(err))) {
		fprintf(stderr, "ferry %s: %s\n", a->tool, err);
		return 1;
	}
	snprintf(cmd, sizeof(cmd), "{\"execute\":\"%s\"}", a->execute);
	if (!mgmt_client_command(&c, cmd, 5000, NULL, NULL, err, sizeof(err))) {
		fprintf(stderr, "ferry %s: %s: %s\n", a->tool, sock, err);
		mgmt_client_close(&c);
		return 1;
	}
	rc = wait_done(&c, a, sock);
	mgmt_client_close(&c);
	if (rc == 0 && json)
		done_json(a, sock);
	return rc;
}

int cmd_board_action(const char *name, int argc, char **argv)
{
	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		if (!strcmp(name, actions[i].tool))
			return run_action(&actions[i], argc, argv);
	return -1;
}
