/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The per-CPU scheduler: each CPU runs the work assigned to it (a pinned
 * vCPU's run loop) and otherwise sleeps until an interrupt brings work.
 */
#ifndef SYSTEM_SCHED_H
#define SYSTEM_SCHED_H

typedef void (*sched_work_fn)(void *arg);

/** Gives CPU `cpu` a piece of work and wakes it. */
void sched_assign(unsigned cpu, sched_work_fn fn, void *arg);

/** Parks a CPU: runs what it is assigned, sleeps in between. */
_Noreturn void sched_idle_loop(unsigned cpu);

#endif
