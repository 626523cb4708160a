/* SPDX-License-Identifier: Apache-2.0 */
/**
 * VMSAv8-64 stage-2 descriptors, 4 KiB granule (Arm ARM D8.3.2, D8.5.5):
 * MemAttr[5:2], S2AP[7:6], SH[9:8], AF[10], XN[54:53]. Pure: host-tested.
 */
#include "hyp/arch_mm.h"

#define S2_VALID		(1ull << 0)
#define S2_TABLE		(1ull << 1)
#define S2_MEMATTR_NORMAL_WB	(0xfull << 2) /* outer and inner write-back */
#define S2_MEMATTR_DEVICE_NGNRE (0x1ull << 2)
#define S2_AP_READ		(1ull << 6)
#define S2_AP_WRITE		(1ull << 7)
#define S2_SH_INNER		(3ull << 8)
#define S2_AF			(1ull << 10)
#define S2_XN			(2ull << 53) /* XN[1:0] = 0b10: not executable at EL1 or EL0 */
#define S2_ADDR_MASK		0x0000fffffffff000ull

pte_t arch_s2_pte_table(uint64_t pa) { return (pa & S2_ADDR_MASK) | S2_TABLE | S2_VALID; }

pte_t arch_s2_pte_page(uint64_t pa, enum s2_perm perm, enum s2_memtype type)
{
	pte_t pte = (pa & S2_ADDR_MASK) | S2_TABLE | S2_VALID | S2_AF;

	pte |= type == S2_MEM_NORMAL ? S2_MEMATTR_NORMAL_WB | S2_SH_INNER : S2_MEMATTR_DEVICE_NGNRE;
	return arch_s2_pte_with_perm(pte, perm);
}

bool arch_s2_pte_valid(pte_t pte) { return pte & S2_VALID; }

bool arch_s2_pte_is_table(pte_t pte, unsigned level)
{
	return level < ARCH_S2_LEVEL_LAST && (pte & (S2_VALID | S2_TABLE)) == (S2_VALID | S2_TABLE);
}

uint64_t arch_s2_pte_addr(pte_t pte) { return pte & S2_ADDR_MASK; }

enum s2_perm arch_s2_pte_perm(pte_t pte)
{
	unsigned perm = 0;

	if (pte & S2_AP_READ)
		perm |= S2_READ;
	if (pte & S2_AP_WRITE)
		perm |= S2_WRITE;
	if (!(pte & S2_XN))
		perm |= S2_EXEC;
	return (enum s2_perm)perm;
}

pte_t arch_s2_pte_with_perm(pte_t pte, enum s2_perm perm)
{
	pte &= ~(S2_AP_READ | S2_AP_WRITE | (3ull << 53));
	if (perm & S2_READ)
		pte |= S2_AP_READ;
	if (perm & S2_WRITE)
		pte |= S2_AP_WRITE;
	if (!(perm & S2_EXEC))
		pte |= S2_XN;
	return pte;
}

unsigned arch_s2_index(uint64_t ipa, unsigned level)
{
	return (unsigned)((ipa >> (12 + 9 * (3 - level))) & 511);
}

unsigned arch_s2_start_level(unsigned ipa_bits) { return ipa_bits > 39 ? 0 : 1; }
