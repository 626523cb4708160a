/* SPDX-License-Identifier: Apache-2.0 */
/** Interrupt handlers of the hypervisor itself, by INTID. */
#ifndef HYP_IRQ_H
#define HYP_IRQ_H

#include <stdbool.h>
#include <stdint.h>

#define IRQ_INTID_MAX 1020

typedef void (*irq_handler_fn)(uint32_t intid, void *ctx);

/** Registers the handler of `intid`; false if taken or out of range. */
bool irq_register(uint32_t intid, irq_handler_fn fn, void *ctx);

/** Runs the handler of `intid`; returns false (and counts it) if none. */
bool irq_dispatch(uint32_t intid);

/** Interrupts that arrived with no handler. */
uint64_t irq_unhandled_count(void);

#endif
