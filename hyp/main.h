/* SPDX-License-Identifier: Apache-2.0 */
/** The hypervisor after hardware bring-up: boot CPU and secondaries. */
#ifndef HYP_MAIN_H
#define HYP_MAIN_H

#include "boards/board.h"
#include "hyp/board_check.h"

/** Runs on the boot CPU once its MMU, console and GIC are up. */
_Noreturn void hyp_main(const struct board_desc *board, const struct board_facts *facts);

/** Runs on each secondary CPU once its MMU and GIC are up. */
_Noreturn void hyp_secondary(unsigned cpu);

#endif
