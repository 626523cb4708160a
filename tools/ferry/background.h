/* SPDX-License-Identifier: Apache-2.0 */
/**
 * A board run in the background (ferry run --background LOG): detached
 * from the terminal, its console in a file, and the command returns once
 * the board is ready, saying how to reach and stop it.
 */
#ifndef TOOLS_FERRY_BACKGROUND_H
#define TOOLS_FERRY_BACKGROUND_H

/* How long a board may take to be ready (its boot, on a loaded machine). */
#define BACKGROUND_READY_S 120

/**
 * Forks. In the child (the board), -1: it goes on with stdin from
 * /dev/null and stdout and stderr to log, in a session of its own. In the
 * parent, the exit code for the command: 0 once the board is ready (with
 * mgmt, its management channel answers query-vms; without, its console
 * says "Ferry ready"), 1 when it ended first or was not ready in time.
 */
int background_start(const char *log, const char *mgmt, const char *who);

#endif
