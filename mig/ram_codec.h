/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The payload of a RAM record: a batch of guest pages
 * (docs/migration-protocol.md, "RAM"):
 *
 *     u32 entry count, then entries of
 *         u64 (first_page << 2 | MIG_RAM_DATA), 4096 bytes of data, or
 *         u64 (first_page << 2 | MIG_RAM_ZERO_RUN), u32 pages, or
 *         u64 (page << 2 | MIG_RAM_SPARSE), u16 segments, then each segment
 *             as u16 first word, u16 words, those words (8 bytes each), or
 *         u64 (page << 2 | MIG_RAM_DELTA), segments as MIG_RAM_SPARSE's
 *
 * Consecutive zero pages travel as one 12-byte run: an all-zero 512 MiB
 * guest costs a few hundred bytes. A page mostly of zeroes travels as its
 * nonzero 8-byte words (only with MIG_CAP_SPARSE_PAGES): the pages a
 * switchover finds dirty are often a stack or a few counters, and every
 * byte of them is encrypted and decrypted in the downtime. A page sent
 * before in this migration and written again travels as the words that
 * changed since (only with MIG_CAP_DELTA_PAGES): the segments replace
 * those words of the page the destination holds, where a sparse page's
 * replace words of a zero page. A guest's network buffers and counters
 * change a few words of a page at a time; sent whole, each such page costs
 * 4 KiB of link and, near the switchover, of downtime. A page that did not
 * change at all is left out. Entries go in ascending page order and
 * never overlap, and a batch covers at most MIG_RAM_PAGES_MAX pages. The
 * decoder checks all of that, every page number and run against the
 * guest's size, and the exact payload length, before it writes a byte of
 * guest memory.
 */
#ifndef MIG_RAM_CODEC_H
#define MIG_RAM_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mig/wire.h"

#define MIG_PAGE_SIZE 4096u
/** Data pages in one batch (a record then stays near 1 MiB). */
#define MIG_RAM_BATCH_MAX 256u
/** Entries in one batch, data and runs together. */
#define MIG_RAM_ENTRIES_MAX 4096u
/**
 * Pages one batch covers, data and zero runs together (64 MiB): what a
 * record can make the destination write stays bounded, whatever its runs
 * say. An all-zero 512 MiB guest still costs a few hundred bytes.
 */
#define MIG_RAM_PAGES_MAX 16384u

enum mig_ram_entry_kind {
	MIG_RAM_DATA = 0,
	MIG_RAM_ZERO_RUN = 1,
	MIG_RAM_SPARSE = 2,
	MIG_RAM_DELTA = 3,
};

#define MIG_PAGE_WORDS (MIG_PAGE_SIZE / 8u)
/**
 * The most a sparse page's form takes after its entry word (segment count,
 * segments, words): beyond half a page the page goes whole, the scan having
 * stopped there (a page of data costs the sender at most half a scan more).
 */
#define MIG_RAM_SPARSE_BYTES_MAX (MIG_PAGE_SIZE / 2u)

/**
 * A delta this small goes without the page's sparse form looked for: that
 * could save less than these bytes, and looking reads the page again (in
 * the downtime, for the pages the stop finds).
 */
#define MIG_RAM_DELTA_SMALL 256u

/** True when a page is all zeroes. */
bool mig_page_is_zero(const void *page);

/**
 * The destination's page already holds what came (data, or zeroes for
 * NULL): it is left unwritten. On a board the VM ran on before, the code
 * it ran there stays as it was, and an emulator keeps its translation of
 * it (a write, even of the same bytes, throws that away).
 */
bool mig_page_holds(const void *page, const void *data);

/** Collects pages into one RAM payload. */
struct mig_ram_batch {
	struct mig_writer w;
	uint32_t entries;
	uint32_t data_pages; /**< whole or sparse */
	uint32_t zero_pages;
	uint32_t sparse_pages;
	uint32_t delta_pages;	  /**< sent as the words that changed */
	uint32_t unchanged_pages; /**< the same as their base: left out */
	bool sparse;		  /**< pages mostly of zeroes may go sparse (the peer agreed) */
	uint64_t next_page;	  /**< pages below it may not follow (ascending order) */
	/* the open zero run, extended while pages stay consecutive */
	size_t run_at;
	uint64_t run_next;
	uint32_t run_len;
};

/** Bytes a buffer needs for any batch. */
#define MIG_RAM_BATCH_BYTES                                                                        \
	(4u + MIG_RAM_BATCH_MAX * (8u + MIG_PAGE_SIZE) + MIG_RAM_ENTRIES_MAX * 12u)

/** Starts a batch in buf (at least MIG_RAM_BATCH_BYTES); `sparse`: MIG_RAM_SPARSE allowed. */
void mig_ram_batch_init(struct mig_ram_batch *b, void *buf, size_t size, bool sparse);

/**
 * Adds a page; false when it cannot go in this batch (full, or below a page
 * already in it): send the batch, start another. `base`: what the
 * destination holds of this page (the content last sent), or NULL; with it
 * the page goes as a delta when that is smallest, or not at all when it
 * did not change, and `page` must not change meanwhile (a copy: the two are
 * compared word by word, and what is sent must be what the caller keeps as
 * the next base).
 */
bool mig_ram_batch_add(struct mig_ram_batch *b, uint64_t page_number, const void *page,
		       const void *base);

/** Pages the batch took, those left out as unchanged among them. */
static inline uint32_t mig_ram_batch_pages(const struct mig_ram_batch *b)
{
	return b->data_pages + b->zero_pages + b->unchanged_pages;
}

/** Finishes the batch: the payload is b->w.buf, b->w.len bytes. */
void mig_ram_batch_finish(struct mig_ram_batch *b);

/** Where decoded pages go. */
typedef void (*mig_page_sink_fn)(void *ctx, uint64_t page_number, const void *page_or_null);

/** The forms of page a decoder takes beyond whole pages and zero runs. */
struct mig_ram_forms {
	/** MIG_PAGE_SIZE bytes where sparse and delta pages are rebuilt; NULL: neither agreed. */
	uint8_t *scratch;
	/**
	 * A delta's base: the page as this end holds it, NULL when this
	 * migration has not written it yet (the delta is refused: it would
	 * mix in whatever the page held before). NULL: deltas not agreed.
	 */
	const uint8_t *(*base)(void *ctx, uint64_t page_number);
	/**
	 * Writes a delta's segment into the page in place (its other words
	 * stay as they are), instead of the page rebuilt in scratch and handed
	 * to the sink whole; NULL: rebuilt.
	 */
	void (*patch)(void *ctx, uint64_t page_number, unsigned first_word, unsigned words,
		      const uint8_t *data);
};

/**
 * Decodes a RAM payload, handing each page to sink (NULL data for a zero
 * page). Checks everything first: false, with the reason, and nothing
 * handed over when the payload is malformed or names a page at or beyond
 * page_count. A sparse or delta page is rebuilt in forms->scratch and
 * handed over from there; a form not agreed (forms NULL, or its part NULL)
 * is refused.
 */
bool mig_ram_decode(struct mig_reader *payload, uint64_t page_count, mig_page_sink_fn sink,
		    void *ctx, const struct mig_ram_forms *forms, char *err, size_t err_size);

/**
 * Checks a RAM payload as mig_ram_decode would, writing nothing: true when
 * decoding it (over the same bases) would succeed.
 */
bool mig_ram_check(const struct mig_reader *payload, uint64_t page_count, void *ctx,
		   const struct mig_ram_forms *forms, char *err, size_t err_size);

#endif
