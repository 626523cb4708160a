/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The fake architecture back end of the host test binaries (after
 * Hafnium's src/arch/fake): the same hyp/arch.h interface, implemented
 * with plain host code so hyp/ runs unchanged in unit tests.
 */
#include <stdlib.h>
#include <time.h>

#include "hyp/arch.h"
#include "hyp/arch_vcpu.h"

void arch_spin_lock(struct spinlock *lock)
{
	uint32_t ticket = __atomic_fetch_add(&lock->next_ticket, 1, __ATOMIC_RELAXED);

	while (__atomic_load_n(&lock->owner_ticket, __ATOMIC_ACQUIRE) != ticket)
		;
}

void arch_spin_unlock(struct spinlock *lock)
{
	__atomic_store_n(&lock->owner_ticket, lock->owner_ticket + 1, __ATOMIC_RELEASE);
}

unsigned arch_cpu_index(void) { return 0; }

uint64_t arch_cpu_mpidr(void) { return 0; }

uint64_t arch_counter_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t arch_counter_freq(void) { return 1000000000ull; }

void arch_idle_wait(void) {}

void arch_irq_window(void) {}

_Noreturn void arch_power_off(int code) { exit(code); }

void arch_semihosting_enable(void) {}

void arch_cpu_set_mpidr(void) {}

void arch_kick_cpu(unsigned cpu) { (void)cpu; }
