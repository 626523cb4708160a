/* SPDX-License-Identifier: Apache-2.0 */
/** ferry creds: credentials for a pair of boards (docs/link.md). */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "tools/ferry/json_line.h"
#include "tools/ferry/commands.h"
#include "tools/ferry/creds.h"

static void usage(FILE *out)
{
	fprintf(out, "usage: ferry creds [--cert] [--json] DIR BOARD_A BOARD_B\n"
		     "  Makes the link credentials of two boards in DIR/BOARD_A and DIR/BOARD_B:\n"
		     "  a pre-shared key (default), or with --cert a CA (DIR/ca.key, DIR/ca.crt)\n"
		     "  and one certificate a board. BOARD_A listens, BOARD_B connects.\n"
		     "  DIR is made 0700; an existing one must be yours and closed to others.\n"
		     "  No file is overwritten: remove DIR to start over. Board names are\n"
		     "  letters, digits, '-' and '_'. Each board's folder also holds its\n"
		     "  mgmt.token (ferry run --mgmt-token). --json: what was made, as one\n"
		     "  JSON object.\n");
}

/* One board's folder and files, as ferry run and boot take them; false when a path is too long. */
static bool board_json(struct json_out *o, const char *dir, const char *name, bool listens)
{
	char path[PATH_MAX];

	json_out_object(o, NULL);
	json_out_str(o, "name", name);
	json_out_str(o, "role", listens ? "listen" : "connect");
	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return false;
	json_out_str(o, "link", path); /* ferry run --link */
	if (snprintf(path, sizeof(path), "%s/%s/mgmt.token", dir, name) >= (int)sizeof(path))
		return false;
	json_out_str(o, "mgmt-token", path); /* ferry run --mgmt-token */
	json_out_end(o);
	return true;
}

static int made_json(const char *dir, bool cert, const char *a, const char *b)
{
	/* five paths of at most PATH_MAX, each character at most 6 escaped (\u00XX) */
	static char buf[5 * 6 * PATH_MAX + 512];
	struct json_out o;

	json_line_begin(&o, buf, sizeof(buf));
	json_out_str(&o, "credentials", cert ? "certificate" : "psk");
	json_out_str(&o, "dir", dir);
	json_out_array(&o, "boards");
	if (!board_json(&o, dir, a, true) || !board_json(&o, dir, b, false) ||
	    (json_out_end(&o), !json_line_print(&o))) {
		fprintf(stderr,
			"ferry creds: the credentials are made, but their paths are too long to "
			"report\n");
		return 1;
	}
	return 0;
}

int cmd_creds(int argc, char **argv)
{
	bool cert = false, json = false;
	const char *pos[3];
	int npos = 0;
	char err[256];

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		}
		if (!strcmp(argv[i], "--cert")) {
			cert = true;
		} else if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (argv[i][0] == '-' || npos == 3) {
			fprintf(stderr, "ferry creds: unexpected argument '%s'\n", argv[i]);
			usage(stderr);
			return 2;
		} else {
			pos[npos++] = argv[i];
		}
	}
	if (npos != 3) {
		usage(stderr);
		return 2;
	}
	if (!creds_make(pos[0], cert, pos[1], pos[2], err, sizeof(err))) {
		fprintf(stderr, "ferry creds: %s\n", err);
		return 1;
	}
	if (json)
		return made_json(pos[0], cert, pos[1], pos[2]);
	printf("ferry creds: %s credentials for %s and %s in %s\n", cert ? "certificate" : "PSK",
	       pos[1], pos[2], pos[0]);
	return 0;
}
