/* SPDX-License-Identifier: Apache-2.0 */
/** Builds the QEMU command line of a board from its description. */
#ifndef TOOLS_FERRY_QEMU_CMDLINE_H
#define TOOLS_FERRY_QEMU_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>

#include "boards/board.h"

struct boot_options {
	const char *image;
	const char *append; /**< boot options for Ferry, may be NULL */
	unsigned cpus;
	unsigned mem_mib;
	bool semihosting; /**< test verdicts as QEMU's exit code */
};

#define QEMU_ARGV_MAX 64

/**
 * Fills argv (QEMU_ARGV_MAX entries, NULL-terminated) and the buffers it
 * points into. Returns the argument count, or -1 when it does not fit.
 */
int qemu_cmdline(const struct board_desc *board, const struct boot_options *opt, const char **argv,
		 char *scratch, size_t scratch_size);

#endif
