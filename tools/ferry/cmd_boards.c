/* SPDX-License-Identifier: Apache-2.0 */
/**
 * `ferry boards`: the boards this tool can launch; with --mgmt, what running
 * boards hold (their VMs and migration), asked on their management channels.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "boards/board.h"
#include "tools/ferry/json_line.h"
#include "tools/ferry/commands.h"
#include "tools/ferry/mgmt_client.h"
#include "tools/ferry/unix_path.h"

static void list_kinds(bool json)
{
	const struct board_desc *b = &board_current;
	char buf[1024];
	struct json_out o;

	if (!json) {
		printf("%-10s RAM at 0x%llx (default %u MiB), %u CPUs (at most %u), GICv3 at "
		       "0x%llx, PL011 at 0x%llx, migration link on virtio-mmio slot %u\n",
		       b->name, (unsigned long long)b->ram_base, b->ram_mib_launch,
		       b->cpu_count_launch, b->cpu_count_max, (unsigned long long)b->gic.gicd_base,
		       (unsigned long long)b->uart.base, b->virtio.link_slot);
		return;
	}
	json_line_begin(&o, buf, sizeof(buf));
	json_out_str(&o, "kind", b->name);
	json_out_u64(&o, "ram-base", b->ram_base);
	json_out_u64(&o, "ram-mib", b->ram_mib_launch);
	json_out_u64(&o, "cpus", b->cpu_count_launch);
	json_out_u64(&o, "cpus-max", b->cpu_count_max);
	json_out_u64(&o, "gicd-base", b->gic.gicd_base);
	json_out_u64(&o, "uart-base", b->uart.base);
	json_out_u64(&o, "link-slot", b->virtio.link_slot);
	json_out_str(&o, "qemu", b->qemu_binary);
	json_line_print(&o);
}

/** One running board: its VMs and its migration; false when it cannot be asked. */
static bool show_board(const char *sock, bool json)
{
	struct mgmt_client c;
	char err[256], name[64], state[32], status[32], role[16];
	static char vms_json[MGMT_CLIENT_LINE_MAX];
	int ret, vms;

	if (!mgmt_client_open(&c, sock, 1000, err, sizeof(err)) ||
	    !mgmt_client_command(&c, "{\"execute\":\"query-vms\"}", 3000, NULL, NULL, err,
				 sizeof(err))) {
		fprintf(stderr, "ferry boards: %s: %s\n", sock, err);
		mgmt_client_close(&c);
		return false;
	}
	/* --json: the first answer kept until the second came: a line is whole, or none. */
	if (json && snprintf(vms_json, sizeof(vms_json), "%s", c.line) >= (int)sizeof(vms_json)) {
		fprintf(stderr, "ferry boards: %s: query-vms's answer is too long\n", sock);
		mgmt_client_close(&c);
		return false;
	}
	ret = mgmt_client_get(&c, 0, "return");
	vms = mgmt_client_get(&c, ret, "vms");
	if (!json) {
		printf("%s:\n", sock);
		/* The array's elements follow it token by token, each object's subtree whole. */
		for (int t = vms + 1; vms >= 0 && t < (int)c.toks[vms].next;
		     t = (int)c.toks[t].next)
			printf("  %-8s %-12s %llu vCPUs, %llu MiB\n",
			       mgmt_client_str(&c, t, "name", name, sizeof(name)),
			       mgmt_client_str(&c, t, "state", state, sizeof(state)),
			       mgmt_client_u64(&c, t, "vcpus"),
			       mgmt_client_u64(&c, t, "memory-mib"));
	}
	if (!mgmt_client_command(&c, "{\"execute\":\"query-migrate\"}", 3000, NULL, NULL, err,
				 sizeof(err))) {
		fprintf(stderr, "ferry boards: %s: %s\n", sock, err);
		mgmt_client_close(&c);
		return false;
	}
	ret = mgmt_client_get(&c, 0, "return");
	if (json) {
		char head[600];
		struct json_out o;
		size_t len;

		/* {"board": SOCK (escaped), then the two answers as they came */
		json_out_init(&o, head, sizeof(head));
		json_out_object(&o, NULL);
		json_out_str(&o, "board", sock);
		json_out_end(&o);
		if (json_out_text(&o, &len))
			printf("%.*s,\"query-vms\":%s,\"query-migrate\":%s}\n", (int)len - 1, head,
			       vms_json, c.line);
	} else {
		mgmt_client_str(&c, ret, "status", status, sizeof(status));
		mgmt_client_str(&c, ret, "role", role, sizeof(role));
		printf("  migration: %s%s%s%s\n", status, role[0] ? " (" : "", role,
		       role[0] ? ")" : "");
	}
	mgmt_client_close(&c);
	return true;
}

int cmd_boards(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "mgmt", required_argument, NULL, 'm' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *socks[16];
	unsigned count = 0;
	bool json = false, ok = true;
	int ch;

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'm':
			if (count == 16) {
				fprintf(stderr, "ferry boards: at most 16 boards\n");
				return 2;
			}
			if (!unix_path_option("ferry boards", "--mgmt", optarg))
				return 2;
			socks[count++] = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			printf("usage: ferry boards [--mgmt SOCKET]... [--json]\n"
			       "  without --mgmt: the kinds of board this tool launches;\n"
			       "  with it: each running board's VMs and migration\n");
			return 0;
		default:
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "usage: ferry boards [--mgmt SOCKET]... [--json]\n");
		return 2;
	}
	if (!count) {
		list_kinds(json);
		return 0;
	}
	for (unsigned i = 0; i < count; i++)
		ok &= show_board(socks[i], json);
	return ok ? 0 : 1;
}
