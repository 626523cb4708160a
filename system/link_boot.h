/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The board's side of the migration link at boot: its configuration and
 * credentials from fw_cfg (opt/ferry/link, link-ca, link-cert, link-key;
 * docs/link.md), the network brought up, and, with the boot option
 * ferry.link_test=SIZE, the link self-test: the connecting board sends
 * SIZE bytes over TLS, the listening board checks them.
 */
#ifndef SYSTEM_LINK_BOOT_H
#define SYSTEM_LINK_BOOT_H

#include "boards/board.h"
#include "system/board_check.h"
#include "link/link_config.h"

enum link_boot_result {
	LINK_BOOT_NONE,	 /**< no link configured */
	LINK_BOOT_READY, /**< the network is up */
	LINK_BOOT_TEST_PASSED,
	LINK_BOOT_FAILED, /**< reported on the console */
};

enum link_boot_result link_boot(const struct board_desc *board, const struct board_facts *facts);

/** The link's configuration once link_boot said READY, else NULL. */
const struct link_config *link_boot_config(void);

/** Routes the network device's interrupt to the calling CPU (the one that will run the link). */
void link_boot_take_irq(const struct board_desc *board);

#endif
