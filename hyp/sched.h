/* SPDX-License-Identifier: Apache-2.0 */
/** The per-CPU scheduler loop. */
#ifndef HYP_SCHED_H
#define HYP_SCHED_H

/** Parks a CPU: sleeps until an interrupt brings work. */
_Noreturn void sched_idle_loop(unsigned cpu);

#endif
