/* SPDX-License-Identifier: Apache-2.0 */
/**
 * EL2 stage-1 translation: an identity map with a 39-bit VA (starting at
 * level 1, Arm ARM D8.2), devices as Device-nGnRE and never executable,
 * RAM as normal write-back memory in 2 MiB blocks. Turned on early, before
 * any C code relies on exclusives or unaligned accesses, which need Normal
 * memory on real hardware (TCG does not check, a board does).
 */
#include "arch/arm64/pte.h"
#include "arch/arm64/sysreg.h"
#include "hyp/arch.h"

#define VA_BITS 39
#define GIB	(1ull << 30)
#define MIB2	(1ull << 21)
/** RAM the tables can describe: one level-2 table per GiB. */
#define RAM_GIB_MAX 8

static uint64_t l1_table[512] __attribute__((aligned(4096)));
static uint64_t l2_tables[RAM_GIB_MAX][512] __attribute__((aligned(4096)));

extern char __image_start[], __image_end[];

static void clean_inval_range(uintptr_t start, uintptr_t end)
{
	uint64_t ctr = sysreg_read(ctr_el0);
	uintptr_t line = 4u << ((ctr >> 16) & 0xf); /* CTR_EL0.DminLine */

	for (uintptr_t p = start & ~(line - 1); p < end; p += line)
		__asm__ volatile("dc civac, %0" ::"r"(p) : "memory");
	dsb_sy();
}

static void map_ram(uint64_t ram_base, uint64_t ram_size)
{
	uint64_t end = ram_base + ram_size;

	for (uint64_t pa = ram_base & ~(MIB2 - 1); pa < end; pa += MIB2) {
		unsigned g = (unsigned)(pa / GIB - ram_base / GIB);

		if (g >= RAM_GIB_MAX || pa / GIB >= 512)
			break;
		if (!(l1_table[pte_index(pa, 1)] & PTE_VALID))
			l1_table[pte_index(pa, 1)] = pte_table((uint64_t)(uintptr_t)l2_tables[g]);
		l2_tables[g][pte_index(pa, 2)] = pte_block(pa, PTE_ATTR_NORMAL, 1);
	}
}

void arch_mmu_init(uint64_t ram_base, uint64_t ram_size, uint64_t device_end)
{
	/* Devices below RAM: 1 GiB blocks. */
	for (uint64_t pa = 0; pa < device_end && pa < ram_base; pa += GIB)
		l1_table[pte_index(pa, 1)] = pte_block(pa, PTE_ATTR_DEVICE, 0);
	map_ram(ram_base, ram_size);

	/* The tables and the image were written with caches off. */
	clean_inval_range((uintptr_t)__image_start, (uintptr_t)__image_end);
	arch_mmu_enable();
}

void arch_mmu_enable(void)
{
	uint64_t ps, tcr, sctlr;

	ps = sysreg_read(id_aa64mmfr0_el1) & 0x7;
	if (ps > 5)
		ps = 5; /* 48 bits: enough for every board we know */
	/*
	 * TCR_EL2 (E2H == 0, Arm ARM D19.2.138): T0SZ, inner/outer WBWA,
	 * inner shareable, 4 KiB granule, PS; bits 23 and 31 are RES1.
	 */
	tcr = (64 - VA_BITS) | (1ull << 8) | (1ull << 10) | (3ull << 12) | (0ull << 14) |
	      (ps << 16) | (1ull << 23) | (1ull << 31);

	sysreg_write(mair_el2, PTE_MAIR_VALUE);
	sysreg_write(tcr_el2, tcr);
	sysreg_write(ttbr0_el2, (uint64_t)(uintptr_t)l1_table);
	isb();
	__asm__ volatile("tlbi alle2" ::: "memory");
	dsb_ish();
	__asm__ volatile("ic iallu" ::: "memory");
	dsb_ish();
	isb();

	sctlr = SCTLR_EL2_RES1 | SCTLR_EL2_M | SCTLR_EL2_C | SCTLR_EL2_I | SCTLR_EL2_SA;
	sysreg_write(sctlr_el2, sctlr);
	isb();
}

void arch_mmu_extend_ram(uint64_t ram_base, uint64_t ram_size)
{
	/* Only invalid entries become valid: no break-before-make needed. */
	map_ram(ram_base, ram_size);
	dsb_ish();
	isb();
}
