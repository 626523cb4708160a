/* SPDX-License-Identifier: Apache-2.0 */
/**
 * `ferry protect`: a running board's VM protected by its peer as a hot
 * standby (docs/protection.md); `ferry resolve`: the operator's or the
 * supervisor's word on a migration in doubt or a standby that waits
 * (docs/management.md, migrate-resolve).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/ferry/json_line.h"
#include "tools/ferry/commands.h"
#include "tools/ferry/migrate_session.h"
#include "tools/ferry/unix_path.h"

static void protect_usage(FILE *out)
{
	fprintf(out,
		"usage: ferry protect --mgmt SOCKET --peer NAME [options]\n"
		"  --mgmt SOCKET       the board that runs the VM (the primary)\n"
		"  --peer NAME         the standby board (its name in the link's credentials)\n"
		"  --epoch-ms MS       a checkpoint every MS (default 20)\n"
		"  --lease-ms MS       the lease each acknowledgement renews (default 200; at\n"
		"                      least twice the epoch)\n"
		"  --takeover HOW      auto (default: the standby runs the VM once the primary\n"
		"                      was silent for the lease and a margin; the primary stops\n"
		"                      its VM at its lease's end) or manual (the standby runs it\n"
		"                      only on 'ferry resolve --force destination'; the primary\n"
		"                      never stops, and goes on unprotected without its standby)\n"
		"  --no-reprotect      once the VM runs unprotected (the standby was lost, or it\n"
		"                      took the VM over), the boards leave it so; by default the\n"
		"                      board that runs it protects it again as soon as its peer\n"
		"                      waits for it, empty (ferry run --incoming)\n"
		"  --json              events as JSON lines, for scripts\n"
		"Returns once the VM is protected (exit 0): the protection goes on on the board.\n"
		"Exit code: 1 refused or failed (the VM runs on here, unprotected), 4 the board\n"
		"could not be followed.\n");
}

static bool ms_arg(const char *opt, const char *arg, unsigned long long *out)
{
	char *end;

	*out = strtoull(arg, &end, 10);
	if (!*arg || *end || !*out || *out > 10000 || arg[0] == '-') {
		fprintf(stderr, "ferry protect: --%s takes milliseconds, 1 to 10000, not '%s'\n",
			opt, arg);
		return false;
	}
	return true;
}

int cmd_protect(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "mgmt", required_argument, NULL, 'm' },
		{ "peer", required_argument, NULL, 'p' },
		{ "epoch-ms", required_argument, NULL, 'e' },
		{ "lease-ms", required_argument, NULL, 'l' },
		{ "takeover", required_argument, NULL, 't' },
		{ "no-reprotect", no_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct migrate_request r = { .mode = "protect", .silence_s = 120 };
	const char *sock = NULL;
	int ch;

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'm':
			if (!unix_path_option("ferry protect", "--mgmt", optarg))
				return 2;
			sock = optarg;
			break;
		case 'p':
			r.peer = optarg;
			break;
		case 'e':
			if (!ms_arg("epoch-ms", optarg, &r.epoch_ms))
				return 2;
			break;
		case 'l':
			if (!ms_arg("lease-ms", optarg, &r.lease_ms))
				return 2;
			break;
		case 't':
			if (strcmp(optarg, "auto") && strcmp(optarg, "manual")) {
				fprintf(stderr, "ferry protect: --takeover is auto or manual\n");
				return 2;
			}
			r.takeover = optarg;
			break;
		case 'r':
			r.no_reprotect = true;
			break;
		case 'j':
			r.json = true;
			break;
		case 'h':
			protect_usage(stdout);
			return 0;
		default:
			protect_usage(stderr);
			return 2;
		}
	}
	if (!sock || !r.peer || optind != argc) {
		protect_usage(stderr);
		return 2;
	}
	if ((r.epoch_ms ? r.epoch_ms : 20) * 2 > (r.lease_ms ? r.lease_ms : 200)) {
		fprintf(stderr, "ferry protect: the lease must be at least twice the epoch\n");
		return 2;
	}
	return migrate_session_at(sock, &r, "ferry protect");
}

static void resolve_usage(FILE *out)
{
	fprintf(out,
		"usage: ferry resolve --mgmt SOCKET [--force WHERE] [--json]\n"
		"  Without --force: a board whose migration is in doubt asks its peer again now.\n"
		"  --force source        the VM is at the source: an unresolved source resumes "
		"it;\n"
		"                        a standby waiting for the supervisor drops its copy\n"
		"  --force destination   the VM is at the destination: an unresolved source drops\n"
		"                        its copy; a standby waiting for the supervisor runs the\n"
		"                        VM (say it only once the primary is dead)\n"
		"  --force lost          a paused postcopy: the other board is gone, the VM with "
		"it\n"
		"  --json                what was taken, as one JSON object\n"
		"Exit code: 0 taken, 1 refused (the board says why), 4 no board to ask.\n");
}

/* --json: the word the board took, as one JSON object. */
static void resolve_json(const char *sock, const char *force)
{
	char buf[8192]; /* a socket's path is at most 107 bytes */
	struct json_out o;

	json_line_begin(&o, buf, sizeof(buf));
	json_out_str(&o, "board", sock);
	json_out_str(&o, "resolve", "taken");
	json_out_str(&o, "force", force ? force : "none");
	json_line_print(&o);
}

int cmd_resolve(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "mgmt", required_argument, NULL, 'm' },
		{ "force", required_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sock = NULL, *force = NULL;
	struct mgmt_client c;
	char err[1024], cmd[128];
	int ch;
	bool json = false;

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'm':
			if (!unix_path_option("ferry resolve", "--mgmt", optarg))
				return 2;
			sock = optarg;
			break;
		case 'f':
			if (strcmp(optarg, "source") && strcmp(optarg, "destination") &&
			    strcmp(optarg, "lost")) {
				fprintf(stderr,
					"ferry resolve: --force is source, destination or lost\n");
				return 2;
			}
			force = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			resolve_usage(stdout);
			return 0;
		default:
			resolve_usage(stderr);
			return 2;
		}
	}
	if (!sock || optind != argc) {
		resolve_usage(stderr);
		return 2;
	}
	if (force)
		snprintf(cmd, sizeof(cmd),
			 "{\"execute\":\"migrate-resolve\",\"arguments\":{\"force\":\"%s\"}}",
			 force);
	else
		snprintf(cmd, sizeof(cmd), "{\"execute\":\"migrate-resolve\"}");
	if (!mgmt_client_open(&c, sock, 2000, err, sizeof(err))) {
		fprintf(stderr, "ferry resolve: %s\n", err);
		return 4;
	}
	if (!mgmt_client_command(&c, cmd, 5000, NULL, NULL, err, sizeof(err))) {
		fprintf(stderr, "ferry resolve: the board refused: %s\n", err);
		mgmt_client_close(&c);
		return 1;
	}
	mgmt_client_close(&c);
	if (json)
		resolve_json(sock, force);
	else
		printf("resolve: taken\n");
	return 0;
}
