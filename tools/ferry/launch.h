/* SPDX-License-Identifier: Apache-2.0 */
/** Starting a board: QEMU run as a child, its console relayed (or the command printed). */
#ifndef TOOLS_FERRY_LAUNCH_H
#define TOOLS_FERRY_LAUNCH_H

#include <stdbool.h>
#include <stdio.h>

/**
 * Runs argv (QEMU, NULL-terminated) and returns the exit code for the
 * command: QEMU's when it failed or was killed (128 + the signal), else
 * Ferry's verdict, which its console states last (lib/exit_code.h) and
 * which QEMU carries only under semihosting. The console goes on to stdout
 * as it comes; SIGINT, SIGTERM and SIGHUP go on to QEMU. With dry_run,
 * prints the command instead. `who` names the command in messages.
 */
int launch_qemu(const char *const *argv, bool dry_run, const char *who);

/**
 * Writes argv as one line of shell (what --dry-run prints): a word with
 * anything but letters, digits and `_./:=,@%+-` goes in single quotes, so
 * `eval "$(ferry run ... --dry-run)"` runs exactly argv.
 */
void launch_print_shell(FILE *out, const char *const *argv);

#endif
