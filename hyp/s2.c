/* SPDX-License-Identifier: Apache-2.0 */
/** Stage-2 table walker, see s2.h; descriptor bits in hyp/arch_mm.h. */
#include "hyp/s2.h"

#include <string.h>

static pte_t *table_of(paddr_t pa) { return (pte_t *)(uintptr_t)pa_addr(pa); }

static bool ipa_in_range(const struct s2 *s2, uint64_t ipa, uint64_t size)
{
	uint64_t limit = 1ull << s2->ipa_bits;

	return ipa < limit && size <= limit - ipa;
}

bool s2_init(struct s2 *s2, struct page_pool *pool, unsigned ipa_bits)
{
	if (ipa_bits < 32 || ipa_bits > 48)
		return false;
	memset(s2, 0, sizeof(*s2));
	s2->pool = pool;
	s2->ipa_bits = ipa_bits;
	s2->start_level = arch_s2_start_level(ipa_bits);
	if (!page_alloc(pool, 1, 1, &s2->root))
		return false;
	memset(table_of(s2->root), 0, PAGE_SIZE);
	s2->table_pages = 1;
	return true;
}

/** Returns the level-3 entry for ipa, creating tables when `create`. */
static pte_t *walk(struct s2 *s2, uint64_t ipa, bool create)
{
	pte_t *table = table_of(s2->root);

	for (unsigned level = s2->start_level; level < ARCH_S2_LEVEL_LAST; level++) {
		pte_t *entry = &table[arch_s2_index(ipa, level)];

		if (!arch_s2_pte_valid(*entry)) {
			paddr_t next;

			if (!create || !page_alloc(s2->pool, 1, 1, &next))
				return NULL;
			memset(table_of(next), 0, PAGE_SIZE);
			s2->table_pages++;
			*entry = arch_s2_pte_table(pa_addr(next));
		} else if (!arch_s2_pte_is_table(*entry, level)) {
			return NULL; /* a block: this walker maps pages only */
		}
		table = table_of(pa_init(arch_s2_pte_addr(*entry)));
	}
	return &table[arch_s2_index(ipa, ARCH_S2_LEVEL_LAST)];
}

bool s2_map(struct s2 *s2, ipaddr_t ipa, paddr_t pa, uint64_t size, enum s2_perm perm,
	    enum s2_memtype type)
{
	uint64_t start = ipa_addr(ipa);

	if ((start | pa_addr(pa) | size) & (PAGE_SIZE - 1) || !ipa_in_range(s2, start, size))
		return false;
	for (uint64_t off = 0; off < size; off += PAGE_SIZE) {
		pte_t *pte = walk(s2, start + off, true);

		if (!pte)
			return false;
		*pte = arch_s2_pte_page(pa_addr(pa) + off, perm, type);
	}
	return true;
}

/**
 * Calls fn on each existing last-level entry of a range, walking from the
 * root once per last-level table (512 pages), not once per page.
 */
static void for_each_leaf(struct s2 *s2, uint64_t ipa, uint64_t size,
			  void (*fn)(pte_t *pte, void *arg), void *arg)
{
	uint64_t off = 0;

	while (off < size && ipa_in_range(s2, ipa + off, PAGE_SIZE)) {
		unsigned i = arch_s2_index(ipa + off, ARCH_S2_LEVEL_LAST);
		pte_t *pte = walk(s2, ipa + off, false);

		if (!pte) {
			off += PAGE_SIZE;
			continue;
		}
		for (; i < ARCH_S2_ENTRIES && off < size; i++, pte++, off += PAGE_SIZE)
			fn(pte, arg);
	}
}

static void clear_leaf(pte_t *pte, void *arg)
{
	(void)arg;
	*pte = 0;
}

void s2_unmap(struct s2 *s2, ipaddr_t ipa, uint64_t size)
{
	for_each_leaf(s2, ipa_addr(ipa), size, clear_leaf, NULL);
}

bool s2_lookup(const struct s2 *s2, ipaddr_t ipa, paddr_t *pa, enum s2_perm *perm)
{
	pte_t *pte;

	if (!ipa_in_range(s2, ipa_addr(ipa), 1))
		return false;
	pte = walk((struct s2 *)s2, ipa_addr(ipa) & ~(PAGE_SIZE - 1), false);
	if (!pte || !arch_s2_pte_valid(*pte))
		return false;
	*pa = pa_init(arch_s2_pte_addr(*pte) | (ipa_addr(ipa) & (PAGE_SIZE - 1)));
	if (perm)
		*perm = arch_s2_pte_perm(*pte);
	return true;
}

struct protect_job {
	enum s2_perm perm;
	uint64_t changed;
};

static void protect_leaf(pte_t *pte, void *arg)
{
	struct protect_job *job = arg;

	/*
	 * One read and one store of the whole entry: a vCPU's write fault may
	 * change the same entry's permission at once (vm_dirty_fault against
	 * arm_for_copy), and either order of the two is one a collection
	 * copes with; a torn or repeated access would not be.
	 */
	pte_t v = __atomic_load_n(pte, __ATOMIC_RELAXED);

	if (arch_s2_pte_valid(v) && arch_s2_pte_perm(v) != job->perm) {
		__atomic_store_n(pte, arch_s2_pte_with_perm(v, job->perm), __ATOMIC_RELAXED);
		job->changed++;
	}
}

uint64_t s2_protect(struct s2 *s2, ipaddr_t ipa, uint64_t size, enum s2_perm perm)
{
	struct protect_job job = { perm, 0 };

	for_each_leaf(s2, ipa_addr(ipa), size, protect_leaf, &job);
	return job.changed;
}

static void free_level(struct s2 *s2, paddr_t table_pa, unsigned level)
{
	pte_t *table = table_of(table_pa);

	if (level < ARCH_S2_LEVEL_LAST)
		for (unsigned i = 0; i < ARCH_S2_ENTRIES; i++)
			if (arch_s2_pte_is_table(table[i], level))
				free_level(s2, pa_init(arch_s2_pte_addr(table[i])), level + 1);
	page_free(s2->pool, table_pa, 1);
}

void s2_destroy(struct s2 *s2)
{
	if (s2->table_pages)
		free_level(s2, s2->root, s2->start_level);
	s2->table_pages = 0;
}
