/* SPDX-License-Identifier: Apache-2.0 */
/**
 * `ferry run`: boots the board with Ferry running one guest, and shows the
 * board console (guest lines carry the VM's name). With --direct the same
 * guest runs on QEMU virt without Ferry, for comparison.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "boards/board.h"
#include "lib/vm_config.h"
#include "tools/ferry/background.h"
#include "tools/ferry/commands.h"
#include "tools/ferry/image_version.h"
#include "tools/ferry/link_options.h"
#include "tools/ferry/launch.h"
#include "tools/ferry/supervise.h"
#include "tools/ferry/qemu_cmdline.h"
#include "tools/ferry/unix_path.h"

#ifndef FERRY_DEFAULT_IMAGE
#define FERRY_DEFAULT_IMAGE "build/board/ferry.elf"
#endif

#define GUEST_MAC_DEFAULT "52:54:00:12:34:56"

static void run_usage(FILE *out)
{
	fprintf(out,
		"usage: ferry run --guest IMAGE [options]\n"
		"  --guest FILE     arm64 Linux Image (uncompressed) or AArch64 ELF\n"
		"  --initrd FILE    initial RAM disk for the guest\n"
		"  --append ARGS    the guest's kernel command line\n"
		"  --mem SIZE       guest RAM, like 256M or 1G (default 256M)\n"
		"  --vcpus N        guest CPUs, at most the board's (default 1)\n"
		"  --name NAME      the VM's name on the console (default vm0)\n"
		"  --cpus N         board CPUs (default: the vCPUs, one more with --link,\n"
		"                   at least %u)\n"
		"  --image FILE     Ferry image (default %s)\n"
		"  --semihosting    end QEMU with Ferry's exit code (for tests)\n"
		"  --direct         run the guest on QEMU virt without Ferry\n"
		"  --ferry ARGS     boot options for Ferry (docs/boot-options.md), like\n"
		"                   ferry.migrate=precopy ferry.migrate_at=2000\n"
		"  --incoming       no guest: wait for the VM to arrive from the peer board\n"
		"  --link DIR       the board's link credentials (made by 'ferry creds')\n"
		"  --net SOCKET     the emulated Ethernet to the peer (--net-listen: listen)\n"
		"  --trace-uart FILE  QEMU writes each byte of the board's UART there, stamped\n"
		"                   with the wall-clock time of its write (benchmarks)\n"
		"  --qemu-qmp SOCKET  QEMU's own QMP for the board there: a look into the\n"
		"                   emulator (benchmarks), not Ferry's management channel\n"
		"  --lan SOCKET     the guests' network: a port of 'ferry lan'; the guest gets\n"
		"                   a virtio-net device on it\n"
		"  --mac MAC        the guest's MAC on the LAN (default %s)\n"
		"  --mgmt SOCKET    the board's management channel (docs/management.md); the\n"
		"                   board then stays up after its VM, and this command keeps\n"
		"                   QEMU as its child, restarting it on another image when\n"
		"                   'ferry update' asks (at SOCKET.run)\n"
		"  --mgmt-token FILE  the board runs commands only for a client that gives\n"
		"                   this token (ferry creds' NAME/mgmt.token); the tool's\n"
		"                   commands give the one FERRY_MGMT_TOKEN_FILE names\n"
		"  --background LOG  run the board detached, its console in LOG; return once it\n"
		"                   is ready (with --mgmt: its channel answers), saying its pid\n"
		"  --dry-run        print the QEMU command instead of running it\n",
		board_current.cpu_count_launch, FERRY_DEFAULT_IMAGE, GUEST_MAC_DEFAULT);
}

/* Six octets like 52:54:00:12:34:56, not a group address (the board checks it again). */
static bool valid_mac(const char *s)
{
	unsigned o[6];
	char end;

	if (strlen(s) != 17 || sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &o[0], &o[1], &o[2], &o[3],
				      &o[4], &o[5], &end) != 6)
		return false;
	for (unsigned i = 0; i < 6; i++)
		if (s[3 * i] == ' ' || s[3 * i] == '+' || s[3 * i] == '-' ||
		    (i < 5 && s[3 * i + 2] != ':'))
			return false;
	return !(o[0] & 1) && (o[0] | o[1] | o[2] | o[3] | o[4] | o[5]);
}

static int readable(const char *what, const char *path)
{
	if (access(path, R_OK) == 0)
		return 0;
	fprintf(stderr, "ferry run: cannot read the %s %s: %s\n", what, path, strerror(errno));
	return -1;
}

/** "256M", "1G", "512" (MiB) to MiB; 0 when malformed. */
static unsigned parse_mib(const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || v == 0 || v > 65536)
		return 0;
	if (*end == 'G' || *end == 'g')
		v *= 1024, end++;
	else if (*end == 'M' || *end == 'm')
		end++;
	return *end || v > 65536 ? 0 : (unsigned)v;
}

/* A Ferry board's command line, made again when the board restarts on another image. */
struct run_plan {
	struct boot_options opt;
	const char *ferry_args;
	bool incoming;
	char boot_args[512], scratch[16384];
};

static int build_board(void *ctx, const char *image, const char **qargv)
{
	struct run_plan *p = ctx;
	bool incoming = p->incoming || image; /* restarted: its VM is on the peer */

	if (image)
		p->opt.image = image;
	snprintf(p->boot_args, sizeof(p->boot_args), "%s%s%s", p->ferry_args,
		 p->ferry_args[0] && incoming ? " " : "", incoming ? "ferry.incoming" : "");
	p->opt.append = p->boot_args[0] ? p->boot_args : NULL;
	return qemu_cmdline(&board_current, &p->opt, qargv, p->scratch, sizeof(p->scratch));
}

int cmd_run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "guest", required_argument, NULL, 'g' },
		{ "initrd", required_argument, NULL, 'r' },
		{ "append", required_argument, NULL, 'a' },
		{ "mem", required_argument, NULL, 'm' },
		{ "vcpus", required_argument, NULL, 'v' },
		{ "name", required_argument, NULL, 'N' },
		{ "cpus", required_argument, NULL, 'c' },
		{ "image", required_argument, NULL, 'i' },
		{ "semihosting", no_argument, NULL, 's' },
		{ "direct", no_argument, NULL, 'd' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "ferry", required_argument, NULL, 'F' },
		{ "incoming", no_argument, NULL, 'I' },
		{ "lan", required_argument, NULL, 'L' },
		{ "mac", required_argument, NULL, 'M' },
		{ "background", required_argument, NULL, 'B' },
		LINK_LONGOPTS,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *guest = NULL, *initrd = NULL, *append = "", *name = "vm0", *mac = NULL;
	unsigned mem = 256, vcpus = 1, cpus = 0;
	struct boot_options opt = { .image = FERRY_DEFAULT_IMAGE };
	int direct = 0, dry_run = 0, incoming = 0, c, argc_q;
	const char *qargv[QEMU_ARGV_MAX], *ferry_args = "", *background = NULL;
	char scratch[16384], record[1536];
	static struct run_plan plan;
	struct link_files files;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		int taken = link_option(c, optarg, &files, &opt, "ferry run");

		if (taken < 0)
			return 2;
		if (taken)
			continue;
		switch (c) {
		case 'g':
			guest = optarg;
			break;
		case 'r':
			initrd = optarg;
			break;
		case 'a':
			append = optarg;
			break;
		case 'm':
			if (!(mem = parse_mib(optarg))) {
				fprintf(stderr,
					"ferry run: --mem takes a size like 256M or 1G, not '%s'\n",
					optarg);
				return 2;
			}
			break;
		case 'v':
		case 'c': {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);

			if (*end || v < 1 || v > BOARD_CPU_MAX) {
				fprintf(stderr, "ferry run: --%s takes 1 to %d, not '%s'\n",
					c == 'v' ? "vcpus" : "cpus", BOARD_CPU_MAX, optarg);
				return 2;
			}
			*(c == 'v' ? &vcpus : &cpus) = (unsigned)v;
			break;
		}
		case 'N':
			name = optarg;
			break;
		case 'i':
			opt.image = optarg;
			break;
		case 's':
			opt.semihosting = true;
			break;
		case 'd':
			direct = 1;
			break;
		case 'n':
			dry_run = 1;
			break;
		case 'F':
			ferry_args = optarg;
			break;
		case 'I':
			incoming = 1;
			break;
		case 'L': {
			char err[160];

			/* QEMU would refuse it only once started. */
			if (!unix_path_fits("--lan", optarg, err, sizeof(err))) {
				fprintf(stderr, "ferry run: %s\n", err);
				return 2;
			}
			opt.lan_socket = optarg;
			break;
		}
		case 'B':
			background = optarg;
			break;
		case 'M':
			if (!valid_mac(optarg)) {
				fprintf(stderr,
					"ferry run: --mac takes a unicast address like "
					"52:54:00:12:34:56, not '%s'\n",
					optarg);
				return 2;
			}
			mac = optarg;
			break;

		case 'h':
			run_usage(stdout);
			return 0;
		default:
			run_usage(stderr);
			return 2;
		}
	}
	if ((!guest && !incoming) || (guest && incoming) || optind != argc) {
		run_usage(stderr);
		return 2;
	}
	if ((guest && readable("guest image", guest)) || (initrd && readable("initrd", initrd)))
		return 2;
	if (background && direct) {
		/* Readiness is Ferry's to say (its console or its management channel). */
		fprintf(stderr, "ferry run: --background needs Ferry (not --direct)\n");
		return 2;
	}
	if (incoming && direct) {
		fprintf(stderr, "ferry run: --incoming needs Ferry (not --direct)\n");
		return 2;
	}
	if (direct) {
		struct direct_options d = { .kernel = guest,
					    .initrd = initrd,
					    .append = append[0] ? append : NULL,
					    .cpus = vcpus,
					    .mem_mib = mem };

		argc_q = qemu_cmdline_direct(&d, qargv, scratch, sizeof(scratch));
	} else {
		struct vm_config cfg;
		char why[160];

		if (readable("Ferry image", opt.image))
			return 2;
		if (!dry_run)
			image_version_warn("ferry run", opt.image);
		/* With a link or management, one more CPU for them beside the vCPUs. */
		unsigned control = opt.link_conf || opt.mgmt_socket || opt.lan_socket ? 1 : 0;

		if (!cpus)
			cpus = vcpus + control > board_current.cpu_count_launch
				       ? vcpus + control
				       : board_current.cpu_count_launch;
		/* On the LAN the guest has a network device: the same MAC on every board. */
		if (opt.lan_socket && !mac)
			mac = GUEST_MAC_DEFAULT;
		if (snprintf(record, sizeof(record),
			     "name=%s\nmem=%uM\nvcpus=%u\ncmdline=%s\n%s%s%s", name, mem, vcpus,
			     append, mac ? "mac=" : "", mac ? mac : "",
			     mac ? "\n" : "") >= (int)sizeof(record)) {
			fprintf(stderr, "ferry run: the guest command line is too long\n");
			return 2;
		}
		/* The board would refuse these only once booted. */
		if (!vm_config_parse(record, strlen(record), &cfg, why, sizeof(why))) {
			fprintf(stderr, "ferry run: the VM's configuration: %s\n", why);
			return 2;
		}
		if (cpus < vcpus + control) {
			fprintf(stderr,
				"ferry run: --cpus %u: the board needs %u (the %u vCPUs%s)\n", cpus,
				vcpus + control, vcpus,
				control ? " and a CPU beside them for the link, the management "
					  "channel and the LAN"
					: "");
			return 2;
		}
		opt.cpus = cpus;
		/* the board needs the guest's RAM plus Ferry's own */
		opt.mem_mib = mem + 256 > board_current.ram_mib_launch
				      ? mem + 256
				      : board_current.ram_mib_launch;
		opt.vm_record = record;
		opt.guest_kernel = guest;
		opt.guest_initrd = initrd;
		plan.opt = opt;
		plan.ferry_args = ferry_args;
		plan.incoming = incoming;
		argc_q = build_board(&plan, NULL, qargv);
	}
	if (argc_q < 0) {
		fprintf(stderr, "ferry run: the QEMU command line is too long\n");
		return 2;
	}
	if (background && !dry_run) {
		int rc = background_start(background, opt.mgmt_socket, "ferry run");

		if (rc >= 0)
			return rc; /* the command; the board goes on in the child */
	}
	if (!direct && !dry_run && opt.mgmt_socket) {
		/* A board that can be restarted on another image (ferry update). */
		struct supervise_board b = { opt.mgmt_socket, build_board, &plan };
		int rc = supervise_qemu(&b, "ferry run");

		if (rc >= 0)
			return rc;
	}
	return launch_qemu(qargv, dry_run, "ferry run");
}
