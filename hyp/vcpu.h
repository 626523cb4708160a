/* SPDX-License-Identifier: Apache-2.0 */
/** A virtual CPU: its registers and what the hypervisor knows about it. */
#ifndef HYP_VCPU_H
#define HYP_VCPU_H

#include <stdbool.h>
#include <stdint.h>

#include "hyp/vcpu_regs.h"

struct vm;

enum vcpu_power { VCPU_OFF, VCPU_ON };

struct vcpu_stats {
	uint64_t exits;
	uint64_t wfi;
	uint64_t mmio;
	uint64_t hvc;
	uint64_t sysreg;
	uint64_t irq;
	uint64_t timer_released;  /**< its timer's interrupt found stuck and released */
	uint64_t timer_refreshed; /**< its timer made to evaluate its condition at a WFI */
};

struct vcpu {
	struct vcpu_regs regs;
	struct vm *vm;
	unsigned index;			/**< in its VM; also Aff0 of its MPIDR */
	unsigned pcpu;			/**< the physical CPU it is pinned to */
	volatile enum vcpu_power power; /**< PSCI state */
	bool loaded;			/**< EL1 state lives in the hardware */
	bool timer_held;		/**< loaded with its timer off until vcpu_release_timer */
	unsigned sync_gen;	   /**< the VM's synchronization it last took (vm_sync_parked) */
	bool entry_due;		   /**< unparked: stamp the next entry into the guest */
	uint64_t entered_at;	   /**< counter when it first entered the guest after its parking */
	uint64_t quota_period_end; /**< counter when its throttle period ends (vm_throttle) */
	uint32_t quota_used;	   /**< pages it dirtied in that period */
	/** The share it was given at that period's start, and for which limit. */
	uint32_t quota_share;
	uint64_t quota_for_pps;
	struct vcpu_stats stats;
};

/** The vCPU's MPIDR as the guest reads it: Aff0 = index. */
static inline uint64_t vcpu_mpidr(const struct vcpu *v) { return v->index; }

/** Architectural reset state: EL1h, interrupts masked, MMU off (Arm ARM D1.9). */
void vcpu_reset(struct vcpu *v, uint64_t entry, uint64_t x0);

/**
 * Puts the vCPU's EL1 state on this CPU (its own). With hold_timer the
 * virtual timer stays off until vcpu_release_timer: a state loaded ahead
 * of a start that may never come (a migration's synchronization) must not
 * fire its timer meanwhile.
 */
void vcpu_load(struct vcpu *v, bool hold_timer);

/**
 * Arms the timer a vcpu_load held back, with the VM's CNTVOFF as it is at
 * the start (the guest's count resumes from where it stopped then).
 */
void vcpu_release_timer(struct vcpu *v);

/** Takes the EL1 state back into v->regs (a held timer keeps its saved values). */
void vcpu_put(struct vcpu *v);

#endif
