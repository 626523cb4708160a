/* SPDX-License-Identifier: Apache-2.0 */
/** Interrupt handlers of the hypervisor itself, by INTID. */
#ifndef HYP_IRQ_H
#define HYP_IRQ_H

#include <stdbool.h>
#include <stdint.h>

#define IRQ_INTID_MAX 1020

/** What became of an interrupt. */
enum irq_outcome {
	IRQ_UNHANDLED, /**< no handler: counted, then deactivated */
	IRQ_DONE,      /**< handled: deactivate it now */
	IRQ_FORWARDED, /**< handed to a guest, which deactivates it (HW list register) */
};

typedef enum irq_outcome (*irq_handler_fn)(uint32_t intid, void *ctx);

/** Registers the handler of `intid`; false if taken or out of range. */
bool irq_register(uint32_t intid, irq_handler_fn fn, void *ctx);

/** Runs the handler of `intid`; counts it when there is none. */
enum irq_outcome irq_dispatch(uint32_t intid);

/** Interrupts that arrived with no handler. */
uint64_t irq_unhandled_count(void);

#endif
