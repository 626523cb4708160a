/* SPDX-License-Identifier: Apache-2.0 */
/**
 * A board the tool runs as a child process (`ferry run ...`), its console
 * going to a log file that is read line by line as it grows, and its
 * console input (the guest's UART) reachable through a pipe.
 */
#ifndef TOOLS_FERRY_BOARD_PROCESS_H
#define TOOLS_FERRY_BOARD_PROCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

struct board_process {
	const char *name;
	pid_t pid;
	int input; /**< write end of the console's input, -1 when closed */
	FILE *log; /**< read side of the console log */
	char partial[1024];
	size_t partial_len;
	int exit_code; /**< once it ended; -1 before */
};

/** Starts `argv` (a ferry command line) with its console in log_path; false with err. */
bool board_start(struct board_process *b, const char *name, char *const argv[],
		 const char *log_path, char *err, size_t err_size);

/** The next whole console line (without its end), or NULL when none is there yet. */
const char *board_next_line(struct board_process *b, char *line, size_t size);

/** Types text on the board's console. */
bool board_type(struct board_process *b, const char *text);

/** True once it ended (exit_code set); waits up to timeout_ms. */
bool board_wait(struct board_process *b, int timeout_ms);

/**
 * Kills the board's emulator (SIGKILL), as a power cut would: the board's
 * own process if it is QEMU, else its QEMU children. False when none was
 * found.
 */
bool board_kill_emulator(struct board_process *b);

/** Ends it (if still running) and releases what it held. */
void board_stop(struct board_process *b);

#endif
