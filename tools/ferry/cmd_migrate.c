/* SPDX-License-Identifier: Apache-2.0 */
/** `ferry migrate`: migrates the VM of a running board to its peer (docs/management.md). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/ferry/commands.h"
#include "tools/ferry/migrate_session.h"
#include "tools/ferry/unix_path.h"

static void migrate_usage(FILE *out)
{
	fprintf(out,
		"usage: ferry migrate --mgmt SOCKET --peer NAME [options]\n"
		"  --mgmt SOCKET          the source board's management channel\n"
		"  --peer NAME            the destination board (its name in the link's "
		"credentials)\n"
		"  --mode MODE            precopy (default) or postcopy\n"
		"  --switchover HOW       one-flight (default: the package and RUN back to back)\n"
		"                         or confirmed (RUN only once the destination confirmed)\n"
		"  --downtime-limit MS    precopy: stop the VM once the rest fits in MS (default "
		"5)\n"
		"  --max-bandwidth MB/S   cap the traffic while the VM runs (default: none)\n"
		"  --on-no-convergence WHAT  precopy that does not fit the limit: throttle\n"
		"                         (slow the guest's writes until it fits; the board's\n"
		"                         default unless ferry.on_no_convergence says otherwise),\n"
		"                         postcopy (move it now, its memory after) or fail\n"
		"                         (give up: the VM runs on here)\n"
		"  --postcopy-after-rounds N  postcopy: N precopy rounds first (default 0)\n"
		"  --json                 events and the report as JSON lines, for scripts\n"
		"Exit code: 0 completed (the VM runs on the peer); 1 nothing changed: the\n"
		"migration was refused, failed or was cancelled, or the board could not be\n"
		"reached (the VM is where it was); 2 bad options; 3 unresolved (the VM stays\n"
		"stopped until the boards agree); 4 the board went silent after the migration\n"
		"began (where the VM runs is unknown here); 5 lost (postcopy could not\n"
		"finish: the VM runs nowhere).\n");
}

static bool number(const char *opt, const char *arg, unsigned long long max,
		   unsigned long long *out)
{
	char *end;

	*out = strtoull(arg, &end, 10);
	if (!*arg || *end || *out > max || arg[0] == '-') {
		fprintf(stderr, "ferry migrate: --%s takes a whole number up to %llu, not '%s'\n",
			opt, max, arg);
		return false;
	}
	return true;
}

int cmd_migrate(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "mgmt", required_argument, NULL, 'm' },
		{ "peer", required_argument, NULL, 'p' },
		{ "mode", required_argument, NULL, 'M' },
		{ "switchover", required_argument, NULL, 'S' },
		{ "downtime-limit", required_argument, NULL, 'd' },
		{ "max-bandwidth", required_argument, NULL, 'b' },
		{ "postcopy-after-rounds", required_argument, NULL, 'r' },
		{ "on-no-convergence", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct migrate_request r = { .silence_s = 120 };
	const char *sock = NULL;
	int ch;

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'm':
			if (!unix_path_option("ferry migrate", "--mgmt", optarg))
				return 2;
			sock = optarg;
			break;
		case 'p':
			r.peer = optarg;
			break;
		case 'M':
			if (strcmp(optarg, "precopy") && strcmp(optarg, "postcopy")) {
				fprintf(stderr, "ferry migrate: --mode is precopy or postcopy\n");
				return 2;
			}
			r.mode = optarg;
			break;
		case 'S':
			if (strcmp(optarg, "one-flight") && strcmp(optarg, "confirmed")) {
				fprintf(stderr,
					"ferry migrate: --switchover is one-flight or confirmed\n");
				return 2;
			}
			r.switchover = optarg;
			break;
		case 'd':
			if (!number("downtime-limit", optarg, 60000, &r.downtime_limit_ms))
				return 2;
			break;
		case 'b':
			if (!number("max-bandwidth", optarg, 100000, &r.max_bandwidth_mbs))
				return 2;
			break;
		case 'r':
			if (!number("postcopy-after-rounds", optarg, 100, &r.postcopy_after_rounds))
				return 2;
			break;
		case 'n':
			if (strcmp(optarg, "throttle") && strcmp(optarg, "postcopy") &&
			    strcmp(optarg, "fail")) {
				fprintf(stderr, "ferry migrate: --on-no-convergence is throttle, "
						"postcopy or fail\n");
				return 2;
			}
			r.on_no_convergence = optarg;
			break;
		case 'j':
			r.json = true;
			break;
		case 'h':
			migrate_usage(stdout);
			return 0;
		default:
			migrate_usage(stderr);
			return 2;
		}
	}
	if (!sock || !r.peer || optind != argc) {
		migrate_usage(stderr);
		return 2;
	}
	return migrate_session_at(sock, &r, "ferry migrate");
}
