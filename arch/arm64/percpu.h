/* SPDX-License-Identifier: Apache-2.0 */
/** Per-CPU data of the arch layer; TPIDR_EL2 points at the running CPU's. */
#ifndef ARCH_ARM64_PERCPU_H
#define ARCH_ARM64_PERCPU_H

#define PERCPU_INDEX  0
#define PERCPU_GUEST  8
#define PERCPU_HYP_SP 16
#define PERCPU_SIZE   48

#ifndef __ASSEMBLER__
#include <stdint.h>

#include "hyp/vcpu_regs.h"

struct arch_percpu {
	uint64_t index;
	struct vcpu_regs *guest; /**< the vCPU running here, for the exit path */
	uint64_t hyp_sp;	 /**< hypervisor stack while the guest runs */
	uint64_t mpidr;		 /**< affinity, for IPIs to this CPU */
	/**
	 * What CNTHP is armed at by arch_timer_arm_at, 0 when anything else
	 * armed or stopped it since (timer.c).
	 */
	uint64_t timer_at;
	uint64_t pad;
};

_Static_assert(sizeof(struct arch_percpu) == PERCPU_SIZE, "asm layout");
_Static_assert(__builtin_offsetof(struct arch_percpu, guest) == PERCPU_GUEST, "asm layout");
_Static_assert(__builtin_offsetof(struct arch_percpu, hyp_sp) == PERCPU_HYP_SP, "asm layout");
#endif

#endif
