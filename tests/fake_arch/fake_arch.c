/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The fake architecture back end of the host test binaries (after
 * Hafnium's src/arch/fake): the same hyp/arch.h interface, implemented
 * with plain host code so hyp/ runs unchanged in unit tests. CPUs and
 * their idle wait are in fake_cpu.c, running vCPUs in fake_vcpu.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "hyp/arch.h"
#include "tests/fake_arch/fake_internal.h"

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

/*
 * The ticket lock is free when the next ticket is the owner's: taking that
 * ticket then is taking the lock. The owner's only moves on an unlock, and
 * nobody unlocks a free lock, so a successful exchange means it is ours.
 */
bool arch_spin_trylock(struct spinlock *lock)
{
	uint32_t owner = __atomic_load_n(&lock->owner_ticket, __ATOMIC_ACQUIRE);
	uint32_t expected = owner;

	return __atomic_compare_exchange_n(&lock->next_ticket, &expected, owner + 1, false,
					   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

/* Aff0 = index, as the board's CPUs are numbered. */
uint64_t arch_cpu_mpidr(void) { return fake_cpu_this(); }

uint64_t arch_counter_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t arch_counter_freq(void) { return 1000000000ull; }

_Noreturn void arch_power_off(int code) { exit(code); }

void arch_semihosting_enable(void) {}

void arch_cpu_set_mpidr(void) {}

void fake_arch_reset(void)
{
	fake_cpu_reset();
	fake_hw_reset();
	fake_tlb_reset();
	fake_guest_reset();
	fake_id_reset();
}

_Noreturn void fake_fatal(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fake arch, CPU %u: ", fake_cpu_this());
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}
