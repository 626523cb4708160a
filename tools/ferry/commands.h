/* SPDX-License-Identifier: Apache-2.0 */
/** The subcommands of the ferry tool; each returns the process exit code. */
#ifndef TOOLS_FERRY_COMMANDS_H
#define TOOLS_FERRY_COMMANDS_H

int cmd_boot(int argc, char **argv);
int cmd_boards(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_creds(int argc, char **argv);
int cmd_migrate(int argc, char **argv);
int cmd_demo(int argc, char **argv);
/** incoming, vm-boot, quit (tools/ferry/cmd_board.c); -1 when `name` is none of them. */
int cmd_board_action(const char *name, int argc, char **argv);

#endif
