/* SPDX-License-Identifier: Apache-2.0 */
/**
 * A board with a management channel, run by `ferry run`, is QEMU as a child
 * of the ferry process, which listens on MGMT.run (0600, beside the
 * management socket) for one request a connection: `restart IMAGE\n`.
 * It tells the board, which must be empty, to quit (docs/management.md),
 * starts it again on IMAGE waiting for a VM from its peer (ferry.incoming),
 * and answers `ok\n` (or `error WHY\n`). That is how `ferry update` puts a
 * board on a new Ferry image while its VM lives on the peer.
 */
#ifndef TOOLS_FERRY_SUPERVISE_H
#define TOOLS_FERRY_SUPERVISE_H

#include <stdbool.h>

#include "tools/ferry/qemu_cmdline.h"

struct supervise_board {
	const char *mgmt; /**< the management socket */
	/**
	 * Fills argv (NULL-terminated, QEMU_ARGV_MAX entries) with QEMU's
	 * command line: the board as asked (image NULL), or restarted on
	 * `image`, waiting for a VM. Negative when it does not fit.
	 */
	int (*build)(void *ctx, const char *image, const char **argv);
	void *ctx;
};

/**
 * Runs the board to its end, restarting it when asked: the last QEMU's
 * exit code (128 + the signal that ended it; 2 when it could not be
 * started again). -1 when MGMT.run cannot be made (nothing started: run
 * QEMU plainly). A signal to this process goes to QEMU and stops restarts;
 * QEMU dies with this process (PR_SET_PDEATHSIG).
 */
int supervise_qemu(const struct supervise_board *b, const char *who);

#endif
