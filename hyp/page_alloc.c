/* SPDX-License-Identifier: Apache-2.0 */
/** First-fit page pool, see page_alloc.h. */
#include "hyp/page_alloc.h"

#include <string.h>

static bool bit_get(const uint64_t *bm, size_t i) { return (bm[i / 64] >> (i % 64)) & 1; }

static void bits_set(uint64_t *bm, size_t first, size_t count, bool value)
{
	for (size_t i = first; i < first + count; i++) {
		if (value)
			bm[i / 64] |= 1ull << (i % 64);
		else
			bm[i / 64] &= ~(1ull << (i % 64));
	}
}

bool page_pool_init(struct page_pool *pool, paddr_t base, size_t page_count, uint64_t *bitmap,
		    size_t bitmap_words)
{
	if ((pa_addr(base) & (PAGE_SIZE - 1)) || bitmap_words < PAGE_POOL_BITMAP_WORDS(page_count))
		return false;
	pool->base = base;
	pool->page_count = page_count;
	pool->free_count = page_count;
	pool->bitmap = bitmap;
	memset(bitmap, 0, bitmap_words * sizeof(uint64_t));
	return true;
}

/** First free page at or after `from` (page_count when none): skips full words. */
static size_t next_free(const struct page_pool *pool, size_t from)
{
	while (from < pool->page_count) {
		uint64_t word = pool->bitmap[from / 64] >> (from % 64);

		if (word != (~0ull >> (from % 64))) {
			size_t at = from + (size_t)__builtin_ctzll(~word);

			return at < pool->page_count ? at : pool->page_count;
		}
		from = (from | 63) + 1;
	}
	return pool->page_count;
}

bool page_alloc(struct page_pool *pool, size_t count, size_t align_pages, paddr_t *out)
{
	size_t base_page = pa_addr(pool->base) >> PAGE_SHIFT;

	if (count == 0 || align_pages == 0 || (align_pages & (align_pages - 1)) ||
	    count > pool->free_count)
		return false;
	/* Candidate starts are aligned in physical terms, not pool-relative. */
	for (size_t start = (align_pages - base_page % align_pages) % align_pages;
	     start + count <= pool->page_count;) {
		size_t run = 0, free_at = next_free(pool, start);

		if (free_at != start) {
			/* next aligned candidate at or after the first free page */
			start = free_at +
				(align_pages - (base_page + free_at) % align_pages) % align_pages;
			continue;
		}
		while (run < count && !bit_get(pool->bitmap, start + run))
			run++;
		if (run < count) {
			start += align_pages;
			continue;
		}
		bits_set(pool->bitmap, start, count, true);
		pool->free_count -= count;
		*out = pa_add(pool->base, start << PAGE_SHIFT);
		return true;
	}
	return false;
}

bool page_free(struct page_pool *pool, paddr_t start, size_t count)
{
	uint64_t off = pa_addr(start) - pa_addr(pool->base);
	size_t first = (size_t)(off >> PAGE_SHIFT);

	if (pa_addr(start) < pa_addr(pool->base) || (off & (PAGE_SIZE - 1)) || count == 0 ||
	    first > pool->page_count || count > pool->page_count - first)
		return false;
	for (size_t i = first; i < first + count; i++)
		if (!bit_get(pool->bitmap, i))
			return false;
	bits_set(pool->bitmap, first, count, false);
	pool->free_count += count;
	return true;
}
