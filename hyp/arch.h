/* SPDX-License-Identifier: Apache-2.0 */
/**
 * What hyp/ needs from the architecture, declared once and implemented
 * twice: by arch/arm64 in the hypervisor image and by tests/fake_arch in the
 * host test binaries.
 */
#ifndef HYP_ARCH_H
#define HYP_ARCH_H

#include <stdbool.h>
#include <stdint.h>

/** A spinlock; zero-initialised is unlocked. */
struct spinlock {
	volatile uint32_t owner_ticket;
	volatile uint32_t next_ticket;
};

void arch_spin_lock(struct spinlock *lock);
void arch_spin_unlock(struct spinlock *lock);
/** Takes the lock only if nobody holds it or waits for it; never waits. */
bool arch_spin_trylock(struct spinlock *lock);

/** Index of the running CPU (0 is the boot CPU). */
unsigned arch_cpu_index(void);

/** Affinity fields of the running CPU's MPIDR_EL1. */
uint64_t arch_cpu_mpidr(void);

/** Records the running CPU's MPIDR so that others can send it IPIs. */
void arch_cpu_set_mpidr(void);

/** The system counter and its frequency in Hz. */
uint64_t arch_counter_now(void);
uint64_t arch_counter_freq(void);

/** Enables this CPU's GIC CPU interface (after its redistributor woke). */
void arch_gic_cpu_init(void);

/** Fires this CPU's EL2 timer interrupt once `ticks` counter ticks from now (CNTHP). */
void arch_timer_arm(uint64_t ticks);

/**
 * Fires this CPU's EL2 timer interrupt once the counter reaches `count`
 * (CNTHP_CVAL_EL2): at once when it has; no reading of the counter between
 * a decision and the arming can make it late.
 */
void arch_timer_arm_at(uint64_t count);

/**
 * True while this CPU's EL2 timer stays armed at `count` by
 * arch_timer_arm_at (not fired: its handler stops it; not armed otherwise
 * or stopped since).
 */
bool arch_timer_armed_at(uint64_t count);

/** Masks this CPU's EL2 timer (from its interrupt handler). */
void arch_timer_stop(void);

/** Sleeps until an interrupt is pending and handles it (IRQs stay masked). */
void arch_idle_wait(void);

/**
 * Deactivates interrupt intid on this CPU (its priority was dropped when it
 * was taken): for a forwarded one left active with no list register through
 * which the guest could end it.
 */
void arch_irq_deactivate(uint32_t intid);

/** Handles interrupts already pending, if any. */
void arch_irq_window(void);

/** Starts CPU `mpidr` at the secondary entry with the given index. */
int arch_cpu_start(uint64_t mpidr, unsigned index);

/** Ends the machine: exit code `code` under semihosting, else power off. */
_Noreturn void arch_power_off(int code);

/** Enables semihosting exits (only when the launcher said it is on). */
void arch_semihosting_enable(void);

/** Builds the EL2 translation tables and turns on the MMU and caches. */
void arch_mmu_init(uint64_t ram_base, uint64_t ram_size, uint64_t device_end);

/** Maps more RAM once the device tree has told how much there is. */
void arch_mmu_extend_ram(uint64_t ram_base, uint64_t ram_size);

/** Turns on the MMU of a secondary CPU with the boot CPU's tables. */
void arch_mmu_enable(void);

/** Zeroes `bytes` (a multiple of 64) at 64-byte aligned `dst`, quickly. */
void arch_zero_pages(void *dst, uint64_t bytes);

/** Identification for the boot banner. */
struct arch_cpu_info {
	uint64_t midr;
	uint32_t pa_bits;
	uint32_t lr_count;  /**< GICv3 list registers (ICH_VTR_EL2) */
	uint32_t pri_bits;  /**< virtual priority bits (ICH_VTR_EL2) */
	uint32_t apr_count; /**< ICH_AP0R<n>_EL2 / ICH_AP1R<n>_EL2 registers that exist */
	bool rndr;	    /**< FEAT_RNG */
	bool aes_pmull;	    /**< FEAT_AES and FEAT_PMULL: the link's AES-GCM and DRBG */
};
void arch_cpu_info(struct arch_cpu_info *info);

/**
 * 64 random bits from the CPU's random number generator (RNDR, FEAT_RNG,
 * Arm ARM C5.2.16); false when it has none or it failed this time.
 */
bool arch_random64(uint64_t *out);

/** Deliberately takes a translation fault at EL2 (crash-report test). */
void arch_selftest_fault(void);

/* --- called by the arch layer ------------------------------------------------- */

/** On an IRQ at EL2. */
void hyp_irq_handle(void);

/** The board program on the boot CPU, once its MMU is on (system/main.c). */
_Noreturn void ferry_boot(void);

/** The board program on secondary CPU `cpu`, once its MMU is on. */
_Noreturn void ferry_secondary(unsigned cpu);

#endif
