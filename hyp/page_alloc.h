/* SPDX-License-Identifier: Apache-2.0 */
/**
 * A physical page pool: contiguous runs of 4 KiB pages from one region,
 * tracked in a caller-provided bitmap. Used for translation tables and,
 * later, guest RAM. Not thread-safe: callers hold their own lock.
 */
#ifndef HYP_PAGE_ALLOC_H
#define HYP_PAGE_ALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hyp/addr.h"

struct page_pool {
	paddr_t base;
	size_t page_count;
	size_t free_count;
	uint64_t *bitmap; /**< one bit per page, 1 = in use */
};

/** Words of bitmap a pool of `pages` pages needs. */
#define PAGE_POOL_BITMAP_WORDS(pages) (((pages) + 63) / 64)

/** Sets up a pool of `page_count` free pages at `base` (page-aligned). */
bool page_pool_init(struct page_pool *pool, paddr_t base, size_t page_count, uint64_t *bitmap,
		    size_t bitmap_words);

/**
 * Allocates `count` contiguous pages aligned to `align_pages` (a power of
 * two). Returns true and sets *out, or false when no run fits.
 */
bool page_alloc(struct page_pool *pool, size_t count, size_t align_pages, paddr_t *out);

/** Frees a run; false (and nothing changed) when it was not wholly allocated. */
bool page_free(struct page_pool *pool, paddr_t start, size_t count);

#endif
