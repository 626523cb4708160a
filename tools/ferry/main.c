/* SPDX-License-Identifier: Apache-2.0 */
/**
 * ferry: the host command line that launches and drives emulated boards.
 *
 *   ferry boot [options]   boot one board with the Ferry image
 *   ferry boards           list the boards this tool knows
 *   ferry creds            make the link credentials of two boards
 *   ferry migrate          migrate a running board's VM to its peer
 *   ferry protect          a running board's VM protected by its peer (hot standby)
 *   ferry resolve          the operator's word on a migration in doubt, a waiting standby
 *   ferry incoming         an empty board waits for a VM from its peer
 *   ferry vm-boot          an empty board boots its guest again
 *   ferry quit             an empty board powers off
 *   ferry update           a board's Ferry image replaced under its VM (moved to a peer and back)
 *   ferry demo             two boards, a Linux guest migrated live from one to the other
 *   ferry --version        this tool's version and its image's
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "tools/ferry/json_line.h"
#include "tools/ferry/commands.h"
#include "tools/ferry/image_version.h"

#ifndef FERRY_DEFAULT_IMAGE
#define FERRY_DEFAULT_IMAGE "build/board/ferry.elf"
#endif

static void usage(FILE *out)
{
	fprintf(out,
		"usage: ferry <command> [options]\n"
		"commands:\n"
		"  demo     two boards: Linux live-migrated from A to B, with the report\n"
		"  boot     boot one emulated board with the Ferry image\n"
		"  run      boot the board with Ferry running a guest\n"
		"  boards   list the boards this tool can launch\n"
		"  creds    make the link credentials of two boards\n"
		"  migrate  migrate a running board's VM to its peer board\n"
		"  protect  a running board's VM protected by its peer board as a hot standby\n"
		"  resolve  the operator's word on a migration in doubt or a waiting standby\n"
		"  incoming an empty board (its VM left or ended) waits for a VM from its peer\n"
		"  vm-boot  an empty board boots its guest again\n"
		"  quit     an empty board powers off\n"
		"  update   a board's Ferry image replaced under its running VM (via its peer)\n"
		"  lan      the guests' LAN between boards, with a host endpoint (a switch)\n"
		"Run 'ferry <command> --help' for a command's options;\n"
		"'ferry --version [--image ELF] [--json]' for the tool's and the image's "
		"versions.\n");
}

/* --version --json: one object, for scripts. */
static int version_json(const struct image_version *tool, const char *image)
{
	struct image_version img;
	static char buf[6 * PATH_MAX + 1024]; /* the image's path, each character escaped */
	char err[512];
	struct json_out o;
	bool read = image_version_read(image, &img, err, sizeof(err));

	json_line_begin(&o, buf, sizeof(buf));
	json_out_object(&o, "tool");
	json_out_str(&o, "version", tool->version);
	json_out_u64(&o, "format", tool->format);
	json_out_u64(&o, "oldest", tool->oldest);
	json_out_end(&o);
	json_out_object(&o, "image");
	json_out_str(&o, "path", image);
	if (read) {
		json_out_str(&o, "version", img.version);
		json_out_u64(&o, "format", img.format);
		json_out_u64(&o, "oldest", img.oldest);
	} else {
		json_out_str(&o, "error", err);
	}
	json_out_end(&o);
	if (read && image_version_mismatch(tool, &img, err, sizeof(err)))
		json_out_str(&o, "warning", err);
	if (!json_line_print(&o))
		return 1;
	return read ? 0 : 1;
}

/*
 * The tool's version and stream format, and its image's (or --image's):
 * a warning when the two differ. 0, or 1 when the image cannot be read.
 */
static int version(int argc, char **argv)
{
	const char *image = FERRY_DEFAULT_IMAGE;
	struct image_version tool, img;
	char err[512];
	bool json = false;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "--image") && i + 1 < argc) {
			image = argv[++i];
		} else {
			fprintf(stderr, "usage: ferry --version [--image ELF] [--json]\n");
			return 2;
		}
	}
	image_version_tool(&tool);
	if (json)
		return version_json(&tool, image);
	printf("ferry %s (stream format %u, reads %u to %u)\n", tool.version, tool.format,
	       tool.oldest, tool.format);
	if (!image_version_read(image, &img, err, sizeof(err))) {
		printf("image %s: unknown\n", image);
		fprintf(stderr, "ferry: %s\n", err);
		return 1;
	}
	printf("image %s: %s (stream format %u, reads %u to %u)\n", image, img.version, img.format,
	       img.oldest, img.format);
	if (image_version_mismatch(&tool, &img, err, sizeof(err)))
		fprintf(stderr, "ferry: warning: %s\n", err);
	return 0;
}

int main(int argc, char **argv)
{
	int rc;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version"))
		return version(argc - 1, argv + 1);
	if (strcmp(argv[1], "boot") == 0)
		return cmd_boot(argc - 1, argv + 1);
	if (strcmp(argv[1], "run") == 0)
		return cmd_run(argc - 1, argv + 1);
	if (strcmp(argv[1], "creds") == 0)
		return cmd_creds(argc - 1, argv + 1);
	if (strcmp(argv[1], "demo") == 0)
		return cmd_demo(argc - 1, argv + 1);
	if (strcmp(argv[1], "migrate") == 0)
		return cmd_migrate(argc - 1, argv + 1);
	if (strcmp(argv[1], "protect") == 0)
		return cmd_protect(argc - 1, argv + 1);
	if (strcmp(argv[1], "resolve") == 0)
		return cmd_resolve(argc - 1, argv + 1);
	if (strcmp(argv[1], "boards") == 0)
		return cmd_boards(argc - 1, argv + 1);
	if (strcmp(argv[1], "update") == 0)
		return cmd_update(argc - 1, argv + 1);
	if (!strcmp(argv[1], "lan"))
		return cmd_lan(argc - 1, argv + 1);
	rc = cmd_board_action(argv[1], argc - 1, argv + 1);
	if (rc >= 0)
		return rc;
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "ferry: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
