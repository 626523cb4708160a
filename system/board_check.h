/* SPDX-License-Identifier: Apache-2.0 */
/**
 * Checks a board description (boards/) against the device tree the firmware
 * passed, and extracts the facts that only the device tree knows (RAM size,
 * CPU list, boot options). The device tree is outside input: every length
 * and offset is checked, a bad tree is reported, never trusted.
 */
#ifndef SYSTEM_BOARD_CHECK_H
#define SYSTEM_BOARD_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "boards/board.h"

struct board_facts {
	uint64_t ram_base;
	uint64_t ram_size;
	unsigned cpu_count;	  /**< CPUs Ferry will use (<= BOARD_CPU_MAX) */
	unsigned cpu_count_found; /**< CPU nodes in the tree */
	uint64_t cpu_mpidr[BOARD_CPU_MAX];
	const char *bootargs; /**< /chosen/bootargs inside the tree, or "" */
};

/** Receives one human-readable problem. */
typedef void (*board_problem_fn)(void *ctx, const char *message);

/**
 * Checks `dtb` (at most dtb_max bytes) against `board`. Fills `facts` with
 * what could be read and calls `problem` once per mismatch. Returns the
 * number of problems: 0 means the board is what Ferry was built for.
 */
unsigned board_check(const void *dtb, size_t dtb_max, const struct board_desc *board,
		     struct board_facts *facts, board_problem_fn problem, void *ctx);

#endif
