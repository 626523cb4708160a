/* SPDX-License-Identifier: Apache-2.0 */
/** Interrupt handler table, see irq.h. */
#include "hyp/irq.h"

#include <stddef.h>

struct irq_slot {
	irq_handler_fn fn;
	void *ctx;
};

static struct irq_slot irq_table[IRQ_INTID_MAX];
static uint64_t irq_unhandled;

bool irq_register(uint32_t intid, irq_handler_fn fn, void *ctx)
{
	if (intid >= IRQ_INTID_MAX || irq_table[intid].fn)
		return false;
	irq_table[intid].ctx = ctx;
	__atomic_store_n(&irq_table[intid].fn, fn, __ATOMIC_RELEASE);
	return true;
}

enum irq_outcome irq_dispatch(uint32_t intid)
{
	irq_handler_fn fn = intid < IRQ_INTID_MAX
				    ? __atomic_load_n(&irq_table[intid].fn, __ATOMIC_ACQUIRE)
				    : NULL;

	if (!fn) {
		__atomic_fetch_add(&irq_unhandled, 1, __ATOMIC_RELAXED);
		return IRQ_UNHANDLED;
	}
	return fn(intid, irq_table[intid].ctx);
}

uint64_t irq_unhandled_count(void) { return __atomic_load_n(&irq_unhandled, __ATOMIC_RELAXED); }
