/* SPDX-License-Identifier: Apache-2.0 */
/** Starting a board: replaces the ferry process with QEMU (or prints the command). */
#ifndef TOOLS_FERRY_LAUNCH_H
#define TOOLS_FERRY_LAUNCH_H

#include <stdbool.h>

/**
 * Runs argv (QEMU, NULL-terminated) in place of this process so that its
 * exit code is ferry's; with dry_run, prints it instead. Returns only on a
 * failure, with the exit code to use; `who` names the command in messages.
 */
int launch_qemu(const char *const *argv, bool dry_run, const char *who);

#endif
