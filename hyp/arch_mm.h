/* SPDX-License-Identifier: Apache-2.0 */
/**
 * Stage-2 descriptor format, as hyp/s2.c needs it: the walker is
 * arch-neutral, the bits of a descriptor are the architecture's
 * (arch/arm64/s2_pte.c, VMSAv8-64 stage 2, 4 KiB granule).
 */
#ifndef HYP_ARCH_MM_H
#define HYP_ARCH_MM_H

#include <stdbool.h>
#include <stdint.h>

typedef uint64_t pte_t;

/** What a guest may do with a page. */
enum s2_perm {
	S2_NONE = 0,
	S2_READ = 1,
	S2_WRITE = 2,
	S2_EXEC = 4,
	S2_RWX = 7,
};

/** Memory type of a stage-2 mapping. */
enum s2_memtype { S2_MEM_NORMAL, S2_MEM_DEVICE };

#define ARCH_S2_ENTRIES	   512
#define ARCH_S2_LEVEL_LAST 3

pte_t arch_s2_pte_table(uint64_t pa);
pte_t arch_s2_pte_page(uint64_t pa, enum s2_perm perm, enum s2_memtype type);
bool arch_s2_pte_valid(pte_t pte);
/** True for a table descriptor at levels 0-2 (a page at level 3 looks the same). */
bool arch_s2_pte_is_table(pte_t pte, unsigned level);
uint64_t arch_s2_pte_addr(pte_t pte);
enum s2_perm arch_s2_pte_perm(pte_t pte);
pte_t arch_s2_pte_with_perm(pte_t pte, enum s2_perm perm);

/** Index of `ipa` in a level-`level` table (4 KiB granule). */
unsigned arch_s2_index(uint64_t ipa, unsigned level);

/** Start level and concatenated root tables for an IPA size (Arm ARM D8.2.5). */
unsigned arch_s2_start_level(unsigned ipa_bits);

#endif
