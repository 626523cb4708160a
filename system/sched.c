/* SPDX-License-Identifier: Apache-2.0 */
/** The per-CPU scheduler loop, see sched.h. */
#include "system/sched.h"

#include <stddef.h>

#include "boards/board.h"
#include "hyp/arch.h"
#include "hyp/arch_vcpu.h"

struct sched_slot {
	sched_work_fn fn;
	void *arg;
};

static struct sched_slot slots[BOARD_CPU_MAX];

void sched_assign(unsigned cpu, sched_work_fn fn, void *arg)
{
	if (cpu >= BOARD_CPU_MAX)
		return;
	slots[cpu].arg = arg;
	__atomic_store_n(&slots[cpu].fn, fn, __ATOMIC_RELEASE);
	arch_kick_cpu(cpu);
}

_Noreturn void sched_idle_loop(unsigned cpu)
{
	for (;;) {
		sched_work_fn fn = __atomic_exchange_n(&slots[cpu].fn, NULL, __ATOMIC_ACQUIRE);

		if (fn)
			fn(slots[cpu].arg);
		else
			arch_idle_wait();
	}
}
