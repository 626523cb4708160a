/* SPDX-License-Identifier: Apache-2.0 */
/** The running CPU: identity, counter, spinlocks, starting and stopping. */
#include "arch/arm64/percpu.h"
#include "arch/arm64/psci_call.h"
#include "boards/board.h"
#include "arch/arm64/sysreg.h"
#include "arch/arm64/vgic_hw.h"
#include "arch/arm64/gic_cpuif.h"
#include "hyp/arch.h"
#include "hyp/arch_vcpu.h"

extern char arch_secondary_entry[];

void arch_spin_lock(struct spinlock *lock)
{
	uint32_t ticket = __atomic_fetch_add(&lock->next_ticket, 1, __ATOMIC_RELAXED);

	while (__atomic_load_n(&lock->owner_ticket, __ATOMIC_ACQUIRE) != ticket)
		__asm__ volatile("wfe");
}

void arch_spin_unlock(struct spinlock *lock)
{
	__atomic_store_n(&lock->owner_ticket, lock->owner_ticket + 1, __ATOMIC_RELEASE);
	/* The release store does not generate an event on its own. */
	dsb_ishst();
	__asm__ volatile("sev");
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

struct arch_percpu arch_percpu[BOARD_CPU_MAX];

unsigned arch_cpu_index(void)
{
	return (unsigned)((struct arch_percpu *)sysreg_read(tpidr_el2))->index;
}

uint64_t arch_cpu_mpidr(void) { return sysreg_read(mpidr_el1) & 0xff00ffffffull; }

uint64_t arch_counter_now(void)
{
	isb();
	return sysreg_read(cntpct_el0);
}

uint64_t arch_counter_freq(void) { return sysreg_read(cntfrq_el0) & 0xffffffffu; }

int arch_cpu_start(uint64_t mpidr, unsigned index)
{
	return (int)psci_call(PSCI_CPU_ON, mpidr, (uint64_t)(uintptr_t)arch_secondary_entry, index);
}

void arch_cpu_info(struct arch_cpu_info *info)
{
	static const uint8_t parange_bits[] = { 32, 36, 40, 42, 44, 48, 52 };
	uint64_t mmfr0 = sysreg_read(id_aa64mmfr0_el1);
	uint64_t isar0 = sysreg_read(id_aa64isar0_el1);
	uint64_t vtr = sysreg_read(ich_vtr_el2);
	unsigned parange = (unsigned)(mmfr0 & 0xf);

	info->midr = sysreg_read(midr_el1);
	info->pa_bits = parange < sizeof(parange_bits) ? parange_bits[parange] : 48;
	/* ICH_VTR_EL2: ListRegs [4:0] is count - 1, PRIbits [31:29] is bits - 1 */
	info->lr_count = (uint32_t)(vtr & 0x1f) + 1;
	info->pri_bits = (uint32_t)((vtr >> 29) & 0x7) + 1;
	info->apr_count = vgic_hw_apr_count();
	/* ID_AA64ISAR0_EL1.RNDR [63:60] */
	info->rndr = ((isar0 >> 60) & 0xf) != 0;
	/* ID_AA64ISAR0_EL1.AES [7:4]: 0b0010 is AESE/AESD and PMULL */
	info->aes_pmull = ((isar0 >> 4) & 0xf) >= 2;
}

void arch_cpu_set_mpidr(void)
{
	struct arch_percpu *pc = (struct arch_percpu *)sysreg_read(tpidr_el2);

	pc->mpidr = arch_cpu_mpidr();
}

void arch_kick_cpu(unsigned cpu)
{
	if (cpu < BOARD_CPU_MAX)
		gic_cpuif_send_sgi(arch_percpu[cpu].mpidr, ARCH_KICK_INTID);
}
