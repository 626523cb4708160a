/* SPDX-License-Identifier: Apache-2.0 */
/**
 * Sets of guest pages on the wire (docs/migration-protocol.md, "Postcopy"):
 *
 * - a page list (REQ_PAGES): u32 count, count x u64 page number;
 * - a bitmap in chunks (POSTCOPY_DISCARD, RECV_BITMAP): each record holds
 *   u64 first page (a multiple of 64), u32 words, words x u64 bits (bit i
 *   of word w is page first + 64 w + i); the last chunk of a set carries
 *   MIG_FLAG_LAST.
 *
 * Decoders check every page against the guest's size before a bit is set.
 */
#ifndef MIG_PAGE_SETS_H
#define MIG_PAGE_SETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mig/wire.h"

#define MIG_PAGE_LIST_MAX      512u
#define MIG_BITMAP_CHUNK_WORDS 65536u /**< 4 Mi pages (16 GiB of guest) a record */
#define MIG_BITMAP_CHUNK_BYTES (12u + MIG_BITMAP_CHUNK_WORDS * 8u)
#define MIG_FLAG_LAST	       1u

static inline bool mig_bit_test(const uint64_t *bm, uint64_t p)
{
	return bm[p / 64] >> (p % 64) & 1;
}

static inline void mig_bit_set(uint64_t *bm, uint64_t p) { bm[p / 64] |= 1ull << (p % 64); }

static inline void mig_bit_clear(uint64_t *bm, uint64_t p) { bm[p / 64] &= ~(1ull << (p % 64)); }

static inline uint64_t mig_bitmap_words(uint64_t pages) { return (pages + 63) / 64; }

/** Pages set in a bitmap of `pages` bits. */
uint64_t mig_bitmap_count(const uint64_t *bm, uint64_t pages);

/**
 * Encodes the chunk of bm starting at word `first_word` into w; returns
 * the next word to encode (== words when it was the last chunk).
 */
uint64_t mig_bitmap_chunk_put(struct mig_writer *w, const uint64_t *bm, uint64_t words,
			      uint64_t first_word);

/**
 * Decodes a chunk, ORing its bits into bm (of `pages` bits); false with the
 * reason when it is malformed or names a page beyond the guest.
 */
bool mig_bitmap_chunk_get(struct mig_reader *r, uint64_t *bm, uint64_t pages, char *err,
			  size_t err_size);

/** Decodes a page list into pages[] (MIG_PAGE_LIST_MAX); returns the count or -1. */
int mig_page_list_get(struct mig_reader *r, uint64_t *pages, uint64_t page_count, char *err,
		      size_t err_size);

#endif
