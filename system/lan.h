/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The guests' LAN port: the board's second virtio-net device, kept apart
 * from the migration link (docs/running-guests.md, "The guests' network"),
 * and the frames between it and the VM's network device (hyp/vnet.h),
 * moved on the CPU that runs the guest (its QueueNotify, the device's
 * interrupt) or on the control CPU while it waits. A frame for the guest that finds no receive
 * buffer waits in a short queue, in order, until the guest gives one;
 * what overflows it is dropped, as a switch port drops.
 */
#ifndef SYSTEM_LAN_H
#define SYSTEM_LAN_H

#include <stdbool.h>

#include "boards/board.h"
#include "hyp/vm.h"
#include "system/board_check.h"
#include "mig/engine.h"

/**
 * Finds and starts the LAN device: the network device below the link's
 * slot (QEMU fills slots from the top in the order of its -device
 * options: the link first, then the management console, then the LAN).
 * False when the board has none, or it failed (said on the console).
 */
bool lan_init(const struct board_desc *b, const struct board_facts *f, bool link_present);

bool lan_present(void);

/**
 * The VM whose network device the frames go to and come from; the
 * device's interrupt goes to its first vCPU's CPU from now on. An
 * incoming VM's frames come here from its announce on, the source's
 * passed on first (lan_frames).
 */
void lan_attach(struct vm *vm, bool incoming);

/** What a migration of vm carries of its frames (NULL: it has no network device here). */
const struct mig_frames_ops *lan_frames(const struct vm *vm);

/**
 * The VM is done here (stopped, or gone): what its frames did, on the
 * console; the interrupt back to the control CPU.
 */
void lan_detach(void);

/** On the control CPU: the device's interrupt is on, and comes to it while no VM is here. */
void lan_take_irq(void);

/** On the control CPU, whenever it waits: moves what is there, both ways. */
void lan_poll(void);

#endif
