/* SPDX-License-Identifier: Apache-2.0 */
/** `ferry boot`: one emulated board running the Ferry image. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "boards/board.h"
#include "tools/ferry/background.h"
#include "tools/ferry/commands.h"
#include "tools/ferry/image_version.h"
#include "tools/ferry/link_options.h"
#include "tools/ferry/launch.h"
#include "tools/ferry/qemu_cmdline.h"

#ifndef FERRY_DEFAULT_IMAGE
#define FERRY_DEFAULT_IMAGE "build/board/ferry.elf"
#endif

static void boot_usage(FILE *out)
{
	fprintf(out,
		"usage: ferry boot [options]\n"
		"  --image FILE     Ferry image (default %s)\n"
		"  --cpus N         CPUs of the board (default %u)\n"
		"  --mem MIB        RAM of the board in MiB (default %u)\n"
		"  --ferry ARGS     boot options for Ferry (docs/boot-options.md), as for\n"
		"                   'ferry run'\n"
		"  --semihosting    end QEMU with Ferry's exit code (for tests)\n"
		"  --link DIR       the board's link credentials (made by 'ferry creds')\n"
		"  --net SOCKET     the emulated Ethernet to the peer board: a unix socket\n"
		"                   QEMU connects to (--net-listen: one it listens on)\n"
		"  --trace-uart FILE  each byte of the UART, with its wall-clock time, to FILE\n"
		"  --qemu-qmp SOCKET  QEMU's own QMP for the board: a look into the emulator\n"
		"  --mgmt SOCKET    the board's management channel, a unix socket QEMU\n"
		"                   listens on (docs/management.md)\n"
		"  --mgmt-token FILE  commands only for a client that gives this token\n"
		"  --background LOG  run the board detached, its console in LOG; return once\n"
		"                   it is ready, saying its pid\n"
		"  --dry-run        print the QEMU command instead of running it\n",
		FERRY_DEFAULT_IMAGE, board_current.cpu_count_launch, board_current.ram_mib_launch);
}

static int parse_count(const char *what, const char *text, unsigned min, unsigned max,
		       unsigned *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(text, &end, 10);
	if (errno || *end || end == text || v < min || v > max) {
		fprintf(stderr, "ferry boot: %s must be a number from %u to %u, not '%s'\n", what,
			min, max, text);
		return -1;
	}
	*out = (unsigned)v;
	return 0;
}

int cmd_boot(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "image", required_argument, NULL, 'i' },
		{ "cpus", required_argument, NULL, 'c' },
		{ "mem", required_argument, NULL, 'm' },
		{ "ferry", required_argument, NULL, 'F' },
		{ "append", required_argument, NULL, 'a' },
		{ "semihosting", no_argument, NULL, 's' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "background", required_argument, NULL, 'B' },
		LINK_LONGOPTS,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct boot_options opt = { .image = FERRY_DEFAULT_IMAGE };
	struct link_files files;
	const char *qargv[QEMU_ARGV_MAX], *background = NULL;
	char scratch[16384]; /* paths, their commas doubled (qemu_cmdline.c) */
	int dry_run = 0, c;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		int taken = link_option(c, optarg, &files, &opt, "ferry boot");

		if (taken < 0)
			return 2;
		if (taken)
			continue;
		switch (c) {
		case 'i':
			opt.image = optarg;
			break;
		case 'c':
			if (parse_count("--cpus", optarg, 1, BOARD_CPU_MAX, &opt.cpus))
				return 2;
			break;
		case 'm':
			if (parse_count("--mem", optarg, 16, 65536, &opt.mem_mib))
				return 2;
			break;
		case 'F':
			opt.append = optarg;
			break;
		case 'a':
			/* One meaning per flag: --append is a guest's command line (ferry run). */
			fprintf(stderr,
				"ferry boot: --append is a guest's command line ('ferry run "
				"--append'); Ferry's boot options are --ferry\n");
			return 2;
		case 's':
			opt.semihosting = true;
			break;
		case 'n':
			dry_run = 1;
			break;
		case 'B':
			background = optarg;
			break;

		case 'h':
			boot_usage(stdout);
			return 0;
		default:
			boot_usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "ferry boot: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (access(opt.image, R_OK) != 0) {
		fprintf(stderr,
			"ferry boot: cannot read the image %s: %s (build it first: tools/run.sh "
			"build)\n",
			opt.image, strerror(errno));
		return 2;
	}
	if (!dry_run)
		image_version_warn("ferry boot", opt.image);
	if (qemu_cmdline(&board_current, &opt, qargv, scratch, sizeof(scratch)) < 0) {
		fprintf(stderr, "ferry boot: the QEMU command line is too long\n");
		return 2;
	}
	if (background && !dry_run) {
		int rc = background_start(background, opt.mgmt_socket, "ferry boot");

		if (rc >= 0)
			return rc; /* the command; the board goes on in the child */
	}
	return launch_qemu(qargv, dry_run, "ferry boot");
}
