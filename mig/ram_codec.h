/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The payload of a RAM record: a batch of guest pages
 * (docs/migration-protocol.md, "RAM"):
 *
 *     u32 count, then count entries of
 *         u64 (page_number << 1 | zero), and 4096 bytes unless zero
 *
 * A zero page travels as its 8-byte entry only. The decoder checks every
 * page number against the guest's size and the exact payload length before
 * it writes a byte of guest memory.
 */
#ifndef MIG_RAM_CODEC_H
#define MIG_RAM_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mig/wire.h"

#define MIG_PAGE_SIZE	   4096u
#define MIG_RAM_BATCH_MAX  256u
#define MIG_RAM_ENTRY_ZERO 1ull

/** True when a page is all zeroes. */
bool mig_page_is_zero(const void *page);

/** Collects pages into one RAM payload. */
struct mig_ram_batch {
	struct mig_writer w;
	size_t count_at; /**< where the count goes */
	uint32_t count;
	uint32_t zero_count;
};

/** Starts a batch in buf (which must hold MIG_RAM_BATCH_MAX full pages). */
void mig_ram_batch_init(struct mig_ram_batch *b, void *buf, size_t size);

/** Adds a page; false when the batch is full (send it, start another). */
bool mig_ram_batch_add(struct mig_ram_batch *b, uint64_t page_number, const void *page);

/** Finishes the batch: the payload is b->w.buf, b->w.len bytes. */
void mig_ram_batch_finish(struct mig_ram_batch *b);

/** Where decoded pages go. */
typedef void (*mig_page_sink_fn)(void *ctx, uint64_t page_number, const void *page_or_null);

/**
 * Decodes a RAM payload, handing each page to sink (NULL data for a zero
 * page). Checks everything first: false, with the reason, and nothing
 * handed over when the payload is malformed or names a page at or beyond
 * page_count.
 */
bool mig_ram_decode(struct mig_reader *payload, uint64_t page_count, mig_page_sink_fn sink,
		    void *ctx, char *err, size_t err_size);

#endif
