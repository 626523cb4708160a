/* SPDX-License-Identifier: Apache-2.0 */
/**
 * A VM's stage-2 translation tables: guest IPA to host PA, 4 KiB pages,
 * tables taken from a page pool. The hypervisor's own map is the identity,
 * so a table's PA is also where the hypervisor reads it (on the host, the
 * pool is a buffer and its addresses are used the same way).
 */
#ifndef HYP_S2_H
#define HYP_S2_H

#include <stdbool.h>
#include <stdint.h>

#include "hyp/addr.h"
#include "hyp/arch_mm.h"
#include "hyp/page_alloc.h"

struct s2 {
	paddr_t root;
	unsigned ipa_bits;
	unsigned start_level;
	struct page_pool *pool;
	uint64_t table_pages; /**< pages used for tables */
};

/** Allocates an empty root table for an IPA space of ipa_bits (32..48). */
bool s2_init(struct s2 *s2, struct page_pool *pool, unsigned ipa_bits);

/** Maps [ipa, ipa + size) to [pa, pa + size) page by page; false if out of tables or range. */
bool s2_map(struct s2 *s2, ipaddr_t ipa, paddr_t pa, uint64_t size, enum s2_perm perm,
	    enum s2_memtype type);

/** Removes the mappings of [ipa, ipa + size). */
void s2_unmap(struct s2 *s2, ipaddr_t ipa, uint64_t size);

/** Translates one IPA; false when unmapped. */
bool s2_lookup(const struct s2 *s2, ipaddr_t ipa, paddr_t *pa, enum s2_perm *perm);

/** Changes the permissions of the mapped pages of a range; returns how many changed. */
uint64_t s2_protect(struct s2 *s2, ipaddr_t ipa, uint64_t size, enum s2_perm perm);

/** Frees every table (the mapped memory itself is the caller's). */
void s2_destroy(struct s2 *s2);

#endif
