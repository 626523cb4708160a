/* SPDX-License-Identifier: Apache-2.0 */
/** ferry creds: credentials for a pair of boards (docs/link.md). */
#include <stdio.h>
#include <string.h>

#include "tools/ferry/commands.h"
#include "tools/ferry/creds.h"

static void usage(FILE *out)
{
	fprintf(out, "usage: ferry creds [--cert] DIR BOARD_A BOARD_B\n"
		     "  Makes the link credentials of two boards in DIR/BOARD_A and DIR/BOARD_B:\n"
		     "  a pre-shared key (default), or with --cert a CA (DIR/ca.key, DIR/ca.crt)\n"
		     "  and one certificate a board. BOARD_A listens, BOARD_B connects.\n"
		     "  DIR is made 0700; an existing one must be yours and closed to others.\n"
		     "  No file is overwritten: remove DIR to start over. Board names are\n"
		     "  letters, digits, '-' and '_'.\n");
}

int cmd_creds(int argc, char **argv)
{
	bool cert = false;
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
	printf("ferry creds: %s credentials for %s and %s in %s\n", cert ? "certificate" : "PSK",
	       pos[1], pos[2], pos[0]);
	return 0;
}
