/* SPDX-License-Identifier: Apache-2.0 */
/** The link options of `ferry boot` and `ferry run` (docs/link.md). */
#ifndef TOOLS_FERRY_LINK_OPTIONS_H
#define TOOLS_FERRY_LINK_OPTIONS_H

#include <getopt.h>
#include <stddef.h>

#include "tools/ferry/qemu_cmdline.h"

/** Paths of a board's credential folder, kept for the QEMU command line. */
struct link_files {
	char conf[1024], ca[1024], cert[1024], key[1024];
};

/**
 * Checks the folder made by `ferry creds` (link.conf, and in cert mode
 * ca.crt, board.crt, board.key) and fills opt; false with err.
 */
bool link_options_load(const char *dir, struct link_files *files, struct boot_options *opt,
		       char *err, size_t err_size);

/* getopt_long entries shared by `ferry boot` and `ferry run` (the link's, the UART trace, QEMU's
 * QMP). */
enum {
	LINK_OPT_LINK = 0x100,
	LINK_OPT_NET,
	LINK_OPT_NET_LISTEN,
	LINK_OPT_MGMT,
	LINK_OPT_TRACE,
	LINK_OPT_QEMU_QMP,
	LINK_OPT_MGMT_TOKEN
};
/* clang-format off */
#define LINK_LONGOPTS                                                  \
	{ "link", required_argument, NULL, LINK_OPT_LINK },            \
	{ "net", required_argument, NULL, LINK_OPT_NET },              \
	{ "net-listen", required_argument, NULL, LINK_OPT_NET_LISTEN }, \
	{ "mgmt", required_argument, NULL, LINK_OPT_MGMT },            \
	{ "trace-uart", required_argument, NULL, LINK_OPT_TRACE },      \
	{ "qemu-qmp", required_argument, NULL, LINK_OPT_QEMU_QMP },     \
	{ "mgmt-token", required_argument, NULL, LINK_OPT_MGMT_TOKEN }
/* clang-format on */

/**
 * Takes one of the link options (getopt's c and optarg): 1 when it was one,
 * 0 when not, -1 after printing why it is wrong (`who` names the command).
 */
int link_option(int c, const char *arg, struct link_files *files, struct boot_options *opt,
		const char *who);

/* A management token (ferry creds' NAME/mgmt.token): 64 hex digits. */
#define MGMT_TOKEN_HEX 64
/**
 * Reads a management token from a secret file (this user's, closed to
 * others) into token (MGMT_TOKEN_HEX + 1 bytes); false with err.
 */
bool mgmt_token_load(const char *path, char *token, char *err, size_t n);

#endif
