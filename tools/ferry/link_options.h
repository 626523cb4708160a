/* SPDX-License-Identifier: Apache-2.0 */
/** The link options of `ferry boot` and `ferry run` (docs/link.md). */
#ifndef TOOLS_FERRY_LINK_OPTIONS_H
#define TOOLS_FERRY_LINK_OPTIONS_H

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

#endif
