/* SPDX-License-Identifier: Apache-2.0 */
/** The per-CPU scheduler loop: for now, CPUs without work sleep in WFI. */
#include "hyp/sched.h"

#include "hyp/arch.h"

_Noreturn void sched_idle_loop(unsigned cpu)
{
	(void)cpu;
	for (;;)
		arch_idle_wait();
}
