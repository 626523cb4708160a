/* SPDX-License-Identifier: Apache-2.0 */
/**
 * VMSAv8-64 descriptor encoders for the EL2 stage-1 tables, 4 KiB granule
 * (Arm ARM D8.3). Pure functions: host-tested.
 */
#ifndef ARCH_ARM64_PTE_H
#define ARCH_ARM64_PTE_H

#include <stdint.h>

/** MAIR_EL2 attribute indices, see PTE_MAIR_VALUE. */
enum pte_memattr {
	PTE_ATTR_DEVICE = 0,	/**< Device-nGnRE */
	PTE_ATTR_NORMAL = 1,	/**< Normal, inner/outer write-back, RW-allocate */
	PTE_ATTR_NORMAL_NC = 2, /**< Normal, non-cacheable */
};
#define PTE_MAIR_VALUE 0x44ff04ull

#define PTE_VALID     (1ull << 0)
#define PTE_TABLE     (1ull << 1) /**< table (levels 0-2) or page (level 3) */
#define PTE_AP_RO     (1ull << 7) /**< AP[2]: read-only */
#define PTE_SH_INNER  (3ull << 8)
#define PTE_AF	      (1ull << 10)
#define PTE_XN	      (1ull << 54) /**< EL2 regime with one privilege level */
#define PTE_ADDR_MASK 0x0000fffffffff000ull

/** Block descriptor (level 1: 1 GiB, level 2: 2 MiB) for EL2 stage 1. */
static inline uint64_t pte_block(uint64_t pa, enum pte_memattr attr, int executable)
{
	uint64_t d = (pa & PTE_ADDR_MASK) | PTE_VALID | PTE_AF | ((uint64_t)attr << 2);

	if (attr != PTE_ATTR_DEVICE)
		d |= PTE_SH_INNER;
	if (!executable || attr == PTE_ATTR_DEVICE)
		d |= PTE_XN;
	return d;
}

/** Table descriptor pointing at the next-level table at `pa`. */
static inline uint64_t pte_table(uint64_t pa)
{
	return (pa & PTE_ADDR_MASK) | PTE_VALID | PTE_TABLE;
}

/** Index into the level-`level` table for `va`, 4 KiB granule. */
static inline unsigned pte_index(uint64_t va, unsigned level)
{
	return (unsigned)((va >> (12 + 9 * (3 - level))) & 511);
}

#endif
