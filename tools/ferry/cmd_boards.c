/* SPDX-License-Identifier: Apache-2.0 */
/** `ferry boards`: what this tool can launch. */
#include <stdio.h>

#include "boards/board.h"
#include "tools/ferry/commands.h"

int cmd_boards(int argc, char **argv)
{
	const struct board_desc *b = &board_current;

	(void)argc, (void)argv;
	printf("%-10s RAM at 0x%llx (default %u MiB), %u CPUs (at most %u), GICv3 at 0x%llx, "
	       "PL011 at 0x%llx, migration link on virtio-mmio slot %u\n",
	       b->name, (unsigned long long)b->ram_base, b->ram_mib_launch, b->cpu_count_launch,
	       b->cpu_count_max, (unsigned long long)b->gic.gicd_base,
	       (unsigned long long)b->uart.base, b->virtio.link_slot);
	return 0;
}
