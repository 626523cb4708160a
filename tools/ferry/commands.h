/* SPDX-License-Identifier: Apache-2.0 */
/** The subcommands of the ferry tool; each returns the process exit code. */
#ifndef TOOLS_FERRY_COMMANDS_H
#define TOOLS_FERRY_COMMANDS_H

#include <stdbool.h>

int cmd_boot(int argc, char **argv);
int cmd_boards(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_creds(int argc, char **argv);
int cmd_migrate(int argc, char **argv);
int cmd_protect(int argc, char **argv);
int cmd_resolve(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_update(int argc, char **argv);
int cmd_lan(int argc, char **argv);
/**
 * The update itself (tools/ferry/cmd_update.c), for `ferry demo --update`
 * too: board A (management socket a) onto `image` via board b; an exit code.
 * json: the migrations' events and reports and the update's end as JSON
 * lines on stdout, the rest on stderr.
 */
int update_board(const char *a, const char *image, const char *b, bool json);
/** incoming, vm-boot, quit (tools/ferry/cmd_board.c); -1 when `name` is none of them. */
int cmd_board_action(const char *name, int argc, char **argv);

#endif
