/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The source's copies of pages as it last sent them, the bases of their
 * deltas (mig/ram_codec.h, MIG_RAM_DELTA): a page written again is sent as
 * the words that changed since its copy here. Direct-mapped, a slot per
 * page number modulo the slot count: a page evicts the one before it in
 * its slot, and an evicted page goes whole (or sparse) next time. What is
 * kept for a page must be exactly what the destination holds of it: every
 * send of a page that has a slot here passes through mig_page_cache_keep.
 */
#ifndef MIG_PAGE_CACHE_H
#define MIG_PAGE_CACHE_H

#include <stdbool.h>
#include <stdint.h>

/**
 * Slots by default: 8 MiB of copies. A guest answering the network at 1 kHz
 * writes a few hundred pages again in each late round, a guest writing a
 * 16 MiB working set more than these hold.
 */
#define MIG_PAGE_CACHE_SLOTS 2048u

struct mig_page_cache {
	uint64_t slots;
	uint64_t *tags; /**< page number + 1 of the copy in each slot; 0: none */
	uint8_t *data;	/**< slots x MIG_PAGE_SIZE */
	uint64_t hits, misses;
};

/** A cache of `slots` pages; false (nothing kept, deltas never sent) when memory is short. */
bool mig_page_cache_init(struct mig_page_cache *c, uint64_t slots);
void mig_page_cache_free(struct mig_page_cache *c);

/** The copy of `page` as last sent, or NULL (none kept). */
const uint8_t *mig_page_cache_find(struct mig_page_cache *c, uint64_t page);

/** `data` is what the destination now holds of `page`: kept, evicting its slot's page. */
void mig_page_cache_keep(struct mig_page_cache *c, uint64_t page, const uint8_t *data);

#endif
