/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The fake architecture as a test instrument (after Hafnium's
 * src/arch/fake). Host threads act as physical CPUs: each has an index
 * (thread-local), pending private interrupts that end its idle wait, and
 * a record of its "hardware": what arch_vcpu_load put there, what the
 * guest changed while it ran, what arch_vcpu_put reads back, and counts of
 * the stage-2 maintenance done on it. The guest itself is played by a
 * test callback (fake_guest.h). Nothing here changes what hyp/ does.
 */
#ifndef TESTS_FAKE_ARCH_FAKE_ARCH_H
#define TESTS_FAKE_ARCH_FAKE_ARCH_H

#include <stdbool.h>
#include <stdint.h>

#include "boards/board.h"
#include "hyp/arch_vcpu.h"

#define FAKE_CPU_MAX BOARD_CPU_MAX
/** Every CPU at once, where a function takes a CPU. */
#define FAKE_CPU_ALL (~0u)

/** The longest an idle wait lasts with nothing pending: a safety net, never the wake-up. */
#define FAKE_IDLE_TIMEOUT_MS 20

/** Forgets every CPU's hardware, interrupts, TLB, guest and ID overrides (a test's set-up). */
void fake_arch_reset(void);

/** The calling thread acts as CPU `cpu` from now on (every thread starts as CPU 0). */
void fake_cpu_set_index(unsigned cpu);

/**
 * Makes private interrupt `intid` (an SGI or PPI, below 32) pending on CPU
 * `cpu`, as the physical GIC would: it ends that CPU's idle wait, makes its
 * guest exit (VCPU_EXIT_IRQ), and is handed to hyp/irq.c's handlers there.
 */
void fake_cpu_raise_irq(unsigned cpu, uint32_t intid);

struct fake_cpu_stats {
	uint64_t kicks;		/**< arch_kick_cpu calls aimed at this CPU */
	uint64_t idle_waits;	/**< arch_idle_wait calls on it */
	uint64_t idle_timeouts; /**< of those, the ones the safety net ended */
	uint64_t irqs;		/**< interrupts handled on it */
};

struct fake_cpu_stats fake_cpu_stats(unsigned cpu);

/**
 * One CPU's hardware as hyp/ programmed it. The EL1 registers, timer and
 * GIC interface state are the ones arch/arm64/vcpu_arch.c loads and saves;
 * the guest (fake_guest.h) reads and changes them while it runs.
 */
struct fake_hw {
	/** Between arch_vcpu_load and arch_vcpu_put: the vCPU state lives here. */
	bool loaded;
	const struct vcpu_regs *owner; /**< whose state was loaded */
	/** EL1 system registers; mdscr_el1 is not one (Ferry emulates it): always 0 here. */
	struct vcpu_sysregs sys;
	struct vcpu_timer timer;
	/** ICH_VMCR_EL2 and the active-priority registers (5 priority bits: only APR 0). */
	uint32_t ich_vmcr_el2;
	uint32_t ich_ap0r_el2, ich_ap1r_el2;
	/** The guest control: VTTBR_EL2 (root | VMID << 48), IPA size, CNTVOFF, VMPIDR. */
	uint64_t vttbr_el2;
	unsigned ipa_bits;
	uint64_t cntvoff_el2;
	uint64_t vmpidr_el2;
	/** While a guest runs only: its list registers (lr_count of them) and ICH_HCR_EL2. */
	uint64_t ich_lr_el2[VGIC_LR_MAX];
	uint32_t ich_hcr_el2;
	/** Counts: vCPU switches, and stage-2 maintenance this CPU did. */
	uint64_t loads, puts, entries, timer_stops, timer_loads, irq_deactivations, timer_refreshes;
	uint64_t s2_flush_vm, s2_flush_local, s2_publish;
};

/** CPU `cpu`'s hardware record (read it once its vCPU is parked or stopped). */
struct fake_hw *fake_hw(unsigned cpu);

/** What arch_read_id_reg returns for `encoding` (SYSREG_ENC), until the next reset. */
void fake_id_reg_set(uint32_t encoding, uint64_t value);

/** What arch_gic_lr_count returns (4 after a reset). */
void fake_gic_set_lr_count(unsigned count);

#endif
