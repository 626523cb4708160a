/* SPDX-License-Identifier: Apache-2.0 */
/** What the files of the fake arch share among themselves (not for tests). */
#ifndef TESTS_FAKE_ARCH_FAKE_INTERNAL_H
#define TESTS_FAKE_ARCH_FAKE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "hyp/arch_vcpu.h"
#include "tests/fake_arch/fake_arch.h"

/** A guest's exit as the hardware would report it, decoded as the arch decodes it. */
static inline struct vcpu_exit fake_exit(enum vcpu_exit_vector vector, uint64_t esr, uint64_t far,
					 uint64_t hpfar)
{
	struct vcpu_exit e;

	arch_exit_decode(vector, esr, far, hpfar, &e);
	return e;
}

/** hyp/ broke a rule of the arch interface: says which and ends the test binary. */
_Noreturn void fake_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/** The CPU the calling thread acts as. */
unsigned fake_cpu_this(void);

/** True when CPU `cpu` has an interrupt pending (a guest there exits at once). */
bool fake_cpu_irq_pending(unsigned cpu);

/**
 * The hypervisor timer of that CPU reached its count: true once, the timer
 * then stopped, as its interrupt taken from the guest and its handler do.
 */
bool fake_cpu_timer_expired(unsigned cpu);

/** Waits until CPU `cpu` has an interrupt pending or the idle safety net ends; takes none. */
void fake_cpu_wait_irq(unsigned cpu);

/** Drops every translation of `vmid` cached by CPU `cpu`, or by every CPU (FAKE_CPU_ALL). */
void fake_tlb_invalidate(unsigned cpu, uint16_t vmid);

/** Runs CPU `cpu`'s guest step for one entry (from arch_vcpu_enter). */
struct vcpu_exit fake_guest_step(unsigned cpu, struct vcpu_regs *regs, struct fake_hw *hw,
				 unsigned lr_count);

void fake_cpu_reset(void);
void fake_hw_reset(void);
void fake_tlb_reset(void);
void fake_guest_reset(void);
void fake_id_reset(void);

#endif
