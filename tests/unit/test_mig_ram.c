/* SPDX-License-Identifier: Apache-2.0 */
/** RAM record payloads and the precopy switchover policy. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mig/page_sets.h"
#include "mig/precopy_policy.h"
#include "mig/ram_codec.h"

#define PAGES 8

static uint8_t src[PAGES][MIG_PAGE_SIZE] __attribute__((aligned(8)));
static uint8_t dst[PAGES][MIG_PAGE_SIZE] __attribute__((aligned(8)));
static uint8_t payload[MIG_RAM_BATCH_BYTES];
static char err[128];

static void sink(void *ctx, uint64_t page, const void *data)
{
	(void)ctx;
	if (data)
		memcpy(dst[page], data, MIG_PAGE_SIZE);
	else
		memset(dst[page], 0, MIG_PAGE_SIZE);
}

/* Every page of src in one batch (`sparse`: sparse pages agreed); the payload's length. */
static size_t encode_all(bool sparse, unsigned *zero_count, unsigned *sparse_count)
{
	struct mig_ram_batch b;

	mig_ram_batch_init(&b, payload, sizeof(payload), sparse);
	for (unsigned p = 0; p < PAGES; p++)
		assert_true(mig_ram_batch_add(&b, p, src[p], NULL));
	mig_ram_batch_finish(&b);
	*zero_count = b.zero_pages;
	*sparse_count = b.sparse_pages;
	return b.w.len;
}

/* Whole words of ones and zeros, mixed words, and the last word's bits all count. */
static void test_bitmap_count(void **state)
{
	uint64_t bm[4] = { ~0ull, 0, 0x8000000000000101ull, 0x3 };

	(void)state;
	assert_int_equal(mig_bitmap_count(bm, 4 * 64), 64 + 3 + 2);
	assert_int_equal(mig_bitmap_count(bm, 64), 64);
	assert_int_equal(mig_bitmap_count(bm, 3 * 64 + 2), 64 + 3 + 2);
	memset(bm, 0xff, sizeof(bm));
	assert_int_equal(mig_bitmap_count(bm, 4 * 64), 256);
}

static void test_pages_and_zero_pages(void **state)
{
	struct mig_reader r;
	unsigned zeros, sparse;
	size_t len;

	(void)state;
	memset(src, 0, sizeof(src));
	memset(dst, 0xff, sizeof(dst));
	for (unsigned p = 0; p < PAGES; p += 2)
		memset(src[p], (int)p + 1, MIG_PAGE_SIZE);
	len = encode_all(false, &zeros, &sparse);
	assert_int_equal(zeros, PAGES / 2);
	assert_int_equal(sparse, 0); /* not agreed */
	/* 4 count bytes, 4 data entries, 4 one-page zero runs */
	assert_int_equal(len, 4 + 4 * (8 + MIG_PAGE_SIZE) + 4 * 12);
	mig_reader_init(&r, payload, len);
	assert_true(mig_ram_decode(&r, PAGES, sink, NULL, NULL, err, sizeof(err)));
	assert_memory_equal(src, dst, sizeof(src));
}

static void test_hostile_payloads_touch_nothing(void **state)
{
	struct mig_reader r;
	unsigned zeros, sparse;
	size_t len;

	(void)state;
	memset(src, 0x5a, sizeof(src));
	len = encode_all(false, &zeros, &sparse);
	/* a page number beyond the guest */
	memset(dst, 0, sizeof(dst));
	mig_reader_init(&r, payload, len);
	assert_false(mig_ram_decode(&r, PAGES - 1, sink, NULL, NULL, err, sizeof(err)));
	assert_string_equal(err, "RAM record: page 7 beyond the guest's 7 pages");
	assert_int_equal(dst[0][0], 0); /* checked before anything was written */
	/* every truncation */
	for (size_t n = 0; n < len; n += 509) {
		mig_reader_init(&r, payload, n);
		assert_false(mig_ram_decode(&r, PAGES, sink, NULL, NULL, err, sizeof(err)));
	}
	/* a trailing byte, an absurd count */
	mig_reader_init(&r, payload, len + 1);
	assert_false(mig_ram_decode(&r, PAGES, sink, NULL, NULL, err, sizeof(err)));
	payload[3] = 0x80;
	mig_reader_init(&r, payload, len);
	assert_false(mig_ram_decode(&r, PAGES, sink, NULL, NULL, err, sizeof(err)));
	assert_string_equal(err, "RAM record: bad entry count");
	assert_int_equal(dst[0][0], 0);
}

static uint8_t scratch[MIG_PAGE_SIZE];
static const struct mig_ram_forms sparse_only = { .scratch = scratch };

/*
 * Agreed, a page mostly of zeroes goes as its nonzero words: a stack's top,
 * a few counters, a word at each end; a page of data, or one whose sparse
 * form would pass half a page, goes whole; a zero page stays a run. Each
 * comes back byte for byte.
 */
static void test_sparse_pages(void **state)
{
	uint64_t *w;
	struct mig_reader r;
	unsigned sparse, zeros;
	size_t len;

	(void)state;
	memset(src, 0, sizeof(src));
	memset(dst, 0xff, sizeof(dst));
	memset(src[0] + MIG_PAGE_SIZE - 300, 0x11, 300); /* a stack's top */
	w = (uint64_t *)src[1];
	w[3] = 7, w[4] = 8, w[100] = 9; /* a few counters */
	w = (uint64_t *)src[2];
	w[0] = 1, w[MIG_PAGE_WORDS - 1] = 2;		 /* both ends */
	memset(src[3], 0x33, MIG_PAGE_SIZE);		 /* data */
	for (unsigned i = 0; i < MIG_PAGE_WORDS; i += 2) /* every other word: too many segments */
		((uint64_t *)src[4])[i] = i + 1;
	memset(src[5], 0x55, 255 * 8); /* its form just within the bound */
	/* src[6], src[7]: zero */
	len = encode_all(true, &zeros, &sparse);
	assert_int_equal(sparse, 4);
	assert_int_equal(zeros, 2);
	assert_int_equal(len, 4 + (8 + 2 + 4 + 304) + (8 + 2 + 2 * 4 + 3 * 8) + (8 + 2 + 2 * 12) +
				      2 * (8 + MIG_PAGE_SIZE) + (8 + 2 + 4 + 255 * 8) + 12);
	mig_reader_init(&r, payload, len);
	assert_true(mig_ram_decode(&r, PAGES, sink, NULL, &sparse_only, err, sizeof(err)));
	assert_memory_equal(src, dst, sizeof(src));
	/* Not agreed (no scratch page): refused, nothing written. */
	memset(dst, 0xff, sizeof(dst));
	mig_reader_init(&r, payload, len);
	assert_false(mig_ram_decode(&r, PAGES, sink, NULL, NULL, err, sizeof(err)));
	assert_string_equal(err, "RAM record: entry 0 is a sparse page, not agreed");
	assert_int_equal(dst[7][0], 0xff);
	/* Every truncation is refused. */
	for (size_t n = 0; n < len; n += 37) {
		mig_reader_init(&r, payload, n);
		assert_false(mig_ram_decode(&r, PAGES, sink, NULL, &sparse_only, err, sizeof(err)));
	}
}

/* One sparse entry for page 0, segments as given: decoded, or refused with dst untouched. */
static bool decode_segments(const uint16_t (*seg)[2], unsigned count, size_t words_sent)
{
	struct mig_writer wr;
	struct mig_reader r;

	mig_writer_init(&wr, payload, sizeof(payload));
	mig_put_u32(&wr, 1);
	mig_put_u64(&wr, 0u << 2 | MIG_RAM_SPARSE);
	mig_put_u16(&wr, (uint16_t)count);
	for (unsigned i = 0; i < count; i++) {
		mig_put_u16(&wr, seg[i][0]);
		mig_put_u16(&wr, seg[i][1]);
		for (unsigned k = 0; k < seg[i][1] && words_sent; k++, words_sent--)
			mig_put_u64(&wr, 0x0101010101010101ull);
	}
	memset(dst, 0xee, sizeof(dst));
	mig_reader_init(&r, payload, wr.len);
	return mig_ram_decode(&r, PAGES, sink, NULL, &sparse_only, err, sizeof(err));
}

/* Whatever a hostile sparse page says, it writes nothing outside its page and nothing at all unless
 * whole. */
static void test_sparse_pages_hostile(void **state)
{
	static const uint16_t good[][2] = { { 0, 1 }, { 5, 2 }, { MIG_PAGE_WORDS - 1, 1 } };
	static const uint16_t empty[][2] = { { 3, 0 } };
	static const uint16_t overlap[][2] = { { 4, 3 }, { 6, 1 } };
	static const uint16_t descending[][2] = { { 9, 1 }, { 2, 1 } };
	static const uint16_t beyond[][2] = { { MIG_PAGE_WORDS - 1, 2 } };
	static const uint16_t far[][2] = { { 0xffff, 1 } };

	(void)state;
	assert_true(decode_segments(good, 3, 4));
	assert_int_equal(dst[0][0], 1);
	assert_int_equal(dst[0][8], 0); /* zero between the segments */
	assert_int_equal(dst[0][5 * 8 + 15], 1);
	assert_int_equal(dst[0][MIG_PAGE_SIZE - 1], 1);
	assert_int_equal(dst[1][0], 0xee);	   /* the next page untouched */
	assert_false(decode_segments(good, 0, 0)); /* no segment: a zero page is a run */
	assert_string_equal(err, "RAM record: sparse page 0 malformed");
	assert_int_equal(dst[0][0], 0xee);
	assert_false(decode_segments(empty, 1, 0));
	assert_false(decode_segments(overlap, 2, 4));
	assert_false(decode_segments(descending, 2, 2));
	assert_false(decode_segments(beyond, 1, 2));
	assert_false(decode_segments(far, 1, 1));
	assert_false(decode_segments(good, 3, 3)); /* a word short */
	assert_int_equal(dst[0][0], 0xee);
}

/* A delta's base here: the page as dst holds it, for the pages marked as written. */
static unsigned base_have = 0xff;
static unsigned base_asked_beyond;

static const uint8_t *dst_base(void *ctx, uint64_t page)
{
	(void)ctx;
	if (page >= PAGES) {
		base_asked_beyond++;
		return NULL;
	}
	return base_have >> page & 1 ? dst[page] : NULL;
}

static const struct mig_ram_forms with_deltas = { .scratch = scratch, .base = dst_base };

static void dst_patch(void *ctx, uint64_t page, unsigned first, unsigned words, const uint8_t *data)
{
	(void)ctx;
	assert_true(page < PAGES && first < MIG_PAGE_WORDS && words <= MIG_PAGE_WORDS - first);
	memcpy(dst[page] + 8u * first, data, 8u * words);
}

static const struct mig_ram_forms patched = { .scratch = scratch,
					      .base = dst_base,
					      .patch = dst_patch };

/*
 * Pages sent before go as what changed since (their copy as sent, the
 * destination's too): a few counters of a page of data as a delta, an
 * unchanged page not at all, a page rewritten whole as a whole page, a page
 * now mostly zeroes as its sparse form where that is smaller than its
 * delta, a page now zero as a run. Each comes back byte for byte over what
 * the destination held.
 */
static void test_delta_pages(void **state)
{
	static uint8_t sent[PAGES][MIG_PAGE_SIZE] __attribute__((aligned(8)));
	struct mig_ram_batch b;
	struct mig_reader r;
	uint64_t *w;

	(void)state;
	for (unsigned p = 0; p < PAGES; p++)
		for (unsigned i = 0; i < MIG_PAGE_SIZE; i++)
			sent[p][i] = (uint8_t)(p * 31 + i * 7 + 1);
	memcpy(src, sent, sizeof(src));
	memcpy(dst, sent, sizeof(dst));
	w = (uint64_t *)src[0];
	w[10]++, w[11]++, w[300] = 0; /* counters: two segments */
	/* src[1] unchanged */
	memset(src[2], 0x42, MIG_PAGE_SIZE); /* rewritten whole */
	memset(src[3], 0, MIG_PAGE_SIZE);    /* now mostly zeroes: sparse beats the delta */
	((uint64_t *)src[3])[5] = 77;
	memset(src[4], 0, MIG_PAGE_SIZE);	       /* now zero */
	((uint64_t *)src[5])[MIG_PAGE_WORDS - 1] ^= 1; /* its last word */
	mig_ram_batch_init(&b, payload, sizeof(payload), true);
	for (unsigned p = 0; p < 6; p++)
		assert_true(mig_ram_batch_add(&b, p, src[p], sent[p]));
	mig_ram_batch_finish(&b);
	assert_int_equal(b.delta_pages, 2);
	assert_int_equal(b.unchanged_pages, 1);
	assert_int_equal(b.sparse_pages, 1);
	assert_int_equal(b.zero_pages, 1);
	assert_int_equal(mig_ram_batch_pages(&b), 6);
	assert_int_equal(b.entries, 5);
	assert_int_equal(b.w.len, 4 + (8 + 2 + 2 * 4 + 3 * 8) + (8 + MIG_PAGE_SIZE) +
					  (8 + 2 + 4 + 8) + 12 + (8 + 2 + 4 + 8));
	base_have = 0xff;
	mig_reader_init(&r, payload, b.w.len);
	assert_true(mig_ram_decode(&r, PAGES, sink, NULL, &with_deltas, err, sizeof(err)));
	assert_memory_equal(src, dst, sizeof(src));
	/* The same, each delta written in place */
	memcpy(dst, sent, sizeof(dst));
	mig_reader_init(&r, payload, b.w.len);
	assert_true(mig_ram_decode(&r, PAGES, sink, NULL, &patched, err, sizeof(err)));
	assert_memory_equal(src, dst, sizeof(src));
	/* Without deltas agreed (sparse pages only): refused, nothing written. */
	memcpy(dst, sent, sizeof(dst));
	mig_reader_init(&r, payload, b.w.len);
	assert_false(mig_ram_decode(&r, PAGES, sink, NULL, &sparse_only, err, sizeof(err)));
	assert_string_equal(err, "RAM record: entry 0 is a delta page, not agreed");
	assert_memory_equal(dst, sent, sizeof(dst));
	/* A delta of a page this migration did not write: refused before anything is. */
	base_have = 0xff & ~(1u << 5);
	mig_reader_init(&r, payload, b.w.len);
	assert_false(mig_ram_decode(&r, PAGES, sink, NULL, &with_deltas, err, sizeof(err)));
	assert_string_equal(err, "RAM record: entry 4 is a delta of page 5, which this migration "
				 "has not sent");
	assert_memory_equal(dst, sent, sizeof(dst));
	base_have = 0xff;
	/* Every truncation is refused, nothing written, in place or not. */
	for (size_t n = 0; n < b.w.len; n += 13) {
		mig_reader_init(&r, payload, n);
		assert_false(mig_ram_decode(&r, PAGES, sink, NULL, &with_deltas, err, sizeof(err)));
		mig_reader_init(&r, payload, n);
		assert_false(mig_ram_decode(&r, PAGES, sink, NULL, &patched, err, sizeof(err)));
	}
	assert_memory_equal(dst, sent, sizeof(dst));
}

/* A batch whose pages all stayed as sent holds no entry and still says how many it took. */
static void test_unchanged_pages_only(void **state)
{
	struct mig_ram_batch b;
	struct mig_reader r;

	(void)state;
	memset(src, 0x21, sizeof(src));
	memset(dst, 0x21, sizeof(dst));
	mig_ram_batch_init(&b, payload, sizeof(payload), true);
	for (unsigned p = 0; p < PAGES; p++)
		assert_true(mig_ram_batch_add(&b, p, src[p], dst[p]));
	mig_ram_batch_finish(&b);
	assert_int_equal(b.unchanged_pages, PAGES);
	assert_int_equal(mig_ram_batch_pages(&b), PAGES);
	assert_int_equal(b.w.len, 4);
	mig_reader_init(&r, payload, b.w.len);
	assert_true(mig_ram_decode(&r, PAGES, sink, NULL, &with_deltas, err, sizeof(err)));
	assert_memory_equal(src, dst, sizeof(src));
}

/*
 * A hostile delta: beyond the guest (its base never looked up), its
 * segments as a sparse page's are checked, and nothing is written unless
 * all of it is whole.
 */
static void test_delta_pages_hostile(void **state)
{
	struct mig_writer wr;
	struct mig_reader r;

	(void)state;
	base_have = 0xff;
	base_asked_beyond = 0;
	memset(dst, 0xee, sizeof(dst));
	mig_writer_init(&wr, payload, sizeof(payload));
	mig_put_u32(&wr, 1);
	mig_put_u64(&wr, (uint64_t)PAGES << 2 | MIG_RAM_DELTA);
	mig_put_u16(&wr, 1);
	mig_put_u16(&wr, 0);
	mig_put_u16(&wr, 1);
	mig_put_u64(&wr, 5);
	mig_reader_init(&r, payload, wr.len);
	assert_false(mig_ram_decode(&r, PAGES, sink, NULL, &with_deltas, err, sizeof(err)));
	assert_string_equal(err, "RAM record: page 8 beyond the guest's 8 pages");
	assert_int_equal(base_asked_beyond, 0);
	/* no segment, a segment past the page's end */
	mig_writer_init(&wr, payload, sizeof(payload));
	mig_put_u32(&wr, 1);
	mig_put_u64(&wr, 1u << 2 | MIG_RAM_DELTA);
	mig_put_u16(&wr, 0);
	mig_reader_init(&r, payload, wr.len);
	assert_false(mig_ram_decode(&r, PAGES, sink, NULL, &with_deltas, err, sizeof(err)));
	assert_string_equal(err, "RAM record: delta page 0 malformed");
	mig_writer_init(&wr, payload, sizeof(payload));
	mig_put_u32(&wr, 1);
	mig_put_u64(&wr, 1u << 2 | MIG_RAM_DELTA);
	mig_put_u16(&wr, 1);
	mig_put_u16(&wr, MIG_PAGE_WORDS - 1);
	mig_put_u16(&wr, 2);
	mig_put_u64(&wr, 5);
	mig_put_u64(&wr, 5);
	mig_reader_init(&r, payload, wr.len);
	assert_false(mig_ram_decode(&r, PAGES, sink, NULL, &with_deltas, err, sizeof(err)));
	for (unsigned p = 0; p < PAGES; p++)
		assert_int_equal(dst[p][0], 0xee);
}

static uint64_t zero_sink_pages;

static void count_zero(void *ctx, uint64_t page, const void *data)
{
	(void)ctx;
	(void)page;
	assert_null(data);
	zero_sink_pages++;
}

/* Consecutive zero pages are one run; a run must stay inside the guest. */
static void test_zero_runs(void **state)
{
	struct mig_ram_batch b;
	struct mig_reader r;
	static const uint8_t zero[MIG_PAGE_SIZE] __attribute__((aligned(8)));
	const uint64_t guest_pages = 131072; /* 512 MiB */
	uint64_t p = 0, records = 0, bytes = 0;

	(void)state;
	zero_sink_pages = 0;
	while (p < guest_pages) {
		mig_ram_batch_init(&b, payload, sizeof(payload), false);
		while (p < guest_pages && mig_ram_batch_add(&b, p, zero, NULL))
			p++;
		mig_ram_batch_finish(&b);
		assert_int_equal(b.w.len, 4 + 12); /* one entry a batch */
		assert_int_equal(mig_ram_batch_pages(&b), MIG_RAM_PAGES_MAX);
		mig_reader_init(&r, payload, b.w.len);
		assert_true(
			mig_ram_decode(&r, guest_pages, count_zero, NULL, NULL, err, sizeof(err)));
		records++;
		bytes += b.w.len;
	}
	assert_int_equal(zero_sink_pages, guest_pages);
	assert_int_equal(records, guest_pages / MIG_RAM_PAGES_MAX);
	assert_true(bytes < 256); /* the whole all-zero guest */
	/* the last run, one page too many for a smaller guest */
	mig_reader_init(&r, payload, b.w.len);
	assert_false(mig_ram_decode(&r, guest_pages - 1, sink, NULL, NULL, err, sizeof(err)));
	assert_string_equal(err, "RAM record: page 131071 beyond the guest's 131071 pages");
	/* an empty run, a delta where none was agreed (every kind has a meaning) */
	payload[12] = payload[13] = payload[14] = payload[15] = 0;
	mig_reader_init(&r, payload, b.w.len);
	assert_false(mig_ram_decode(&r, guest_pages, sink, NULL, NULL, err, sizeof(err)));
	assert_string_equal(err, "RAM record: zero run 0 malformed");
	payload[4] = 3;
	mig_reader_init(&r, payload, b.w.len);
	assert_false(mig_ram_decode(&r, guest_pages, sink, NULL, NULL, err, sizeof(err)));
	assert_string_equal(err, "RAM record: entry 0 is a delta page, not agreed");
}

/** A payload of zero runs, each (first page, pages). */
static size_t runs(const uint64_t (*entries)[2], uint32_t count)
{
	struct mig_writer w;

	mig_writer_init(&w, payload, sizeof(payload));
	mig_put_u32(&w, count);
	for (uint32_t i = 0; i < count; i++) {
		mig_put_u64(&w, entries[i][0] << 2 | MIG_RAM_ZERO_RUN);
		mig_put_u32(&w, (uint32_t)entries[i][1]);
	}
	return w.len;
}

/*
 * What one record may make the destination write is bounded: entries
 * ascend without overlapping and cover at most MIG_RAM_PAGES_MAX pages
 * (else a few KiB of runs over the whole guest would ask for terabytes of
 * writes).
 */
static void test_runs_ascend_and_are_capped(void **state)
{
	static const uint64_t overlap[][2] = { { 0, 100 }, { 50, 10 } };
	static const uint64_t again[][2] = { { 10, 1 }, { 10, 1 } };
	static const uint64_t back[][2] = { { 100, 1 }, { 99, 1 } };
	static const uint64_t too_many[][2] = { { 0, MIG_RAM_PAGES_MAX },
						{ MIG_RAM_PAGES_MAX, 1 } };
	static const uint64_t just_fits[][2] = { { 0, MIG_RAM_PAGES_MAX - 1 },
						 { MIG_RAM_PAGES_MAX, 1 } };
	const uint64_t guest_pages = 1u << 20;
	struct mig_reader r;
	size_t len;

	(void)state;
	len = runs(overlap, 2);
	mig_reader_init(&r, payload, len);
	zero_sink_pages = 0;
	assert_false(mig_ram_decode(&r, guest_pages, count_zero, NULL, NULL, err, sizeof(err)));
	assert_string_equal(err, "RAM record: entry 1 names page 50, below page 100 (entries "
				 "ascend and never overlap)");
	assert_int_equal(zero_sink_pages, 0); /* nothing written */
	mig_reader_init(&r, payload, runs(again, 2));
	assert_false(mig_ram_decode(&r, guest_pages, count_zero, NULL, NULL, err, sizeof(err)));
	mig_reader_init(&r, payload, runs(back, 2));
	assert_false(mig_ram_decode(&r, guest_pages, count_zero, NULL, NULL, err, sizeof(err)));
	mig_reader_init(&r, payload, runs(too_many, 2));
	assert_false(mig_ram_decode(&r, guest_pages, count_zero, NULL, NULL, err, sizeof(err)));
	assert_string_equal(err, "RAM record: more than 16384 pages in one record");
	assert_int_equal(zero_sink_pages, 0);
	mig_reader_init(&r, payload, runs(just_fits, 2));
	assert_true(mig_ram_decode(&r, guest_pages, count_zero, NULL, NULL, err, sizeof(err)));
	assert_int_equal(zero_sink_pages, MIG_RAM_PAGES_MAX);
}

static const struct mig_precopy_params params = {
	.downtime_limit_ns = 50000000, /* 50 ms */
	.max_rounds = 30,
	.max_total_ns = 0,
	.device_bytes = 64 * 1024,
	.on_no_convergence = MIG_NC_GIVE_UP,
};

static void test_switches_when_the_rest_fits(void **state)
{
	struct mig_precopy_state s = { 0 };
	/* 100 MB/s measured; 10000 dirty pages = 41 MB: 410 ms, too long */
	struct mig_round r = { .bytes = 100000000, .ns = 1000000000, .dirty_pages = 10000 };

	(void)state;
	assert_int_equal(mig_precopy_decide(&s, &params, &r), MIG_NEXT_ROUND);
	assert_int_equal(s.bandwidth, 100000000);
	assert_true(s.expected_downtime_ns > 400000000);
	/* next round: 500 pages left, 2 MB + 64 KiB: 21 ms */
	r = (struct mig_round){ .bytes = 41000000, .ns = 410000000, .dirty_pages = 500 };
	assert_int_equal(mig_precopy_decide(&s, &params, &r), MIG_SWITCH_OVER);
	assert_true(s.expected_downtime_ns < 50000000);
	assert_int_equal(s.rounds, 2);
}

/*
 * Pages written again are priced as the round before paid for them (its
 * bytes over its pages), not as whole pages: 20000 pages that went as 200
 * bytes each fit where whole ones would not. The first round's pages (all
 * of RAM, zero runs mostly) say nothing of that; a round too small to fill
 * the link keeps the bandwidth measured before.
 */
static void test_prices_pages_by_their_changes(void **state)
{
	struct mig_precopy_state s = { 0 };
	/* all of RAM, cheap zero pages mostly: 100 MB/s, 20000 pages written (82 MB whole) */
	struct mig_round r = {
		.bytes = 100000000, .ns = 1000000000, .dirty_pages = 20000, .pages = 131072
	};

	(void)state;
	assert_int_equal(mig_precopy_decide(&s, &params, &r), MIG_NEXT_ROUND);
	assert_int_equal(s.page_bytes, MIG_PAGE_WIRE_BYTES);
	/* they went as 200 bytes each (4 MB, 40 ms), as many written again: 40 ms + 0.7 ms */
	r = (struct mig_round){
		.bytes = 4000000, .ns = 40000000, .dirty_pages = 20000, .pages = 20000
	};
	assert_int_equal(mig_precopy_decide(&s, &params, &r), MIG_SWITCH_OVER);
	assert_int_equal(s.page_bytes, 200);
	assert_true(s.expected_downtime_ns > 40000000 && s.expected_downtime_ns < 41000000);
	/* unchanged pages cost nothing, priced at the least a page can cost */
	r = (struct mig_round){
		.bytes = 300000, .ns = 3000000, .dirty_pages = 10, .pages = 100000
	};
	mig_precopy_decide(&s, &params, &r);
	assert_int_equal(s.page_bytes, MIG_PAGE_WIRE_BYTES_MIN);
	assert_int_equal(s.bandwidth, 100000000);
	/* 100 KB in 10 ms (10 MB/s): mostly the link's latency; 100 MB/s stands */
	r = (struct mig_round){ .bytes = 100000, .ns = 10000000, .dirty_pages = 10, .pages = 25 };
	mig_precopy_decide(&s, &params, &r);
	assert_int_equal(s.bandwidth, 100000000);
	assert_int_equal(s.page_bytes, 4000);
}

static void test_no_convergence_outcomes(void **state)
{
	struct mig_precopy_params p = params;
	struct mig_round r = { .bytes = 10000000, .ns = 100000000, .dirty_pages = 100000 };
	struct mig_precopy_state s = { 0 };
	enum mig_precopy_decision d = MIG_NEXT_ROUND;

	(void)state;
	for (unsigned i = 0; i < 30; i++)
		d = mig_precopy_decide(&s, &p, &r);
	assert_int_equal(d, MIG_GIVE_UP);
	assert_true(s.not_converging);
	p.on_no_convergence = MIG_NC_SWITCH;
	s = (struct mig_precopy_state){ 0 };
	for (unsigned i = 0; i < 30; i++)
		d = mig_precopy_decide(&s, &p, &r);
	assert_int_equal(d, MIG_SWITCH_OVER);
	p.on_no_convergence = MIG_NC_KEEP_GOING;
	assert_int_equal(mig_precopy_decide(&s, &p, &r), MIG_NEXT_ROUND);
	/* a round too short to time never divides by zero */
	s = (struct mig_precopy_state){ 0 };
	r.ns = 0;
	assert_int_equal(mig_precopy_decide(&s, &p, &r), MIG_NEXT_ROUND);
	assert_int_equal(s.expected_downtime_ns, UINT64_MAX);
}

/* A leftover that stops shrinking ends precopy long before the round cap. */
static void test_stalled_rounds_go_postcopy(void **state)
{
	struct mig_precopy_params p = params;
	struct mig_round r = { .bytes = 10000000, .ns = 100000000, .dirty_pages = 100000 };
	struct mig_precopy_state s = { 0 };

	(void)state;
	p.stall_rounds = 3;
	p.on_no_convergence = MIG_NC_POSTCOPY;
	assert_int_equal(mig_precopy_decide(&s, &p, &r), MIG_NEXT_ROUND);
	r.dirty_pages = 80000; /* shrinking by a fifth: keep going */
	assert_int_equal(mig_precopy_decide(&s, &p, &r), MIG_NEXT_ROUND);
	r.dirty_pages = 95000;
	assert_int_equal(mig_precopy_decide(&s, &p, &r), MIG_NEXT_ROUND);
	/* A new low, but by less than an eighth: it only wanders, as stalled as before. */
	r.dirty_pages = 79000;
	assert_int_equal(mig_precopy_decide(&s, &p, &r), MIG_NEXT_ROUND);
	r.dirty_pages = 95000;
	assert_int_equal(mig_precopy_decide(&s, &p, &r), MIG_GO_POSTCOPY);
	assert_true(s.not_converging);
	assert_int_equal(s.rounds, 5);
}

/*
 * A guest dirtying faster than the link: throttled to a quarter of the
 * link's pages per second, the limit halved after each round whose leftover
 * did not halve, kept while it does; switched over once the leftover fits.
 */
static void test_throttle_starts_tightens_and_converges(void **state)
{
	struct mig_precopy_params p = params;
	/* 10 MB/s measured (2436 pages/s); 100000 pages dirtied in 100 ms */
	struct mig_round r = { .bytes = 1000000, .ns = 100000000, .dirty_pages = 100000 };
	struct mig_precopy_state s = { 0 };
	uint64_t link_pages = 10000000 / MIG_PAGE_WIRE_BYTES;

	(void)state;
	p.on_no_convergence = MIG_NC_THROTTLE;
	assert_int_equal(mig_precopy_decide(&s, &p, &r), MIG_NEXT_ROUND);
	assert_int_equal(s.throttle_pages_per_s, link_pages / 4);
	r.dirty_pages = 60000; /* did not halve: tighter */
	assert_int_equal(mig_precopy_decide(&s, &p, &r), MIG_NEXT_ROUND);
	assert_int_equal(s.throttle_pages_per_s, link_pages / 8);
	r.dirty_pages = 20000; /* halved: the limit holds */
	assert_int_equal(mig_precopy_decide(&s, &p, &r), MIG_NEXT_ROUND);
	assert_int_equal(s.throttle_pages_per_s, link_pages / 8);
	/* the floor is one page per second */
	for (unsigned i = 0; i < 20; i++)
		mig_precopy_decide(&s, &p, &r);
	assert_int_equal(s.throttle_pages_per_s, 1);
	assert_int_equal(s.rounds, 23);
	r.dirty_pages = 5; /* 20 KiB + 64 KiB at 10 MB/s: 8.6 ms, fits 50 ms */
	assert_int_equal(mig_precopy_decide(&s, &p, &r), MIG_SWITCH_OVER);
	assert_false(s.not_converging);
}

/* A guest the link keeps up with is never throttled; a throttle that cannot win gives up. */
static void test_throttle_only_when_needed_and_capped(void **state)
{
	struct mig_precopy_params p = params;
	/* 100 MB/s; 1000 pages (4 MB) dirtied in a 1 s round: 4 % of the link */
	struct mig_round r = { .bytes = 100000000, .ns = 1000000000, .dirty_pages = 1000 };
	struct mig_precopy_state s = { 0 };
	enum mig_precopy_decision d = MIG_NEXT_ROUND;

	(void)state;
	p.on_no_convergence = MIG_NC_THROTTLE;
	p.downtime_limit_ns = 1000000; /* the package fits, 1000 pages never: to the cap */
	for (unsigned i = 0; i < 29; i++)
		assert_int_equal(mig_precopy_decide(&s, &p, &r), MIG_NEXT_ROUND);
	assert_int_equal(s.throttle_pages_per_s, 0);
	d = mig_precopy_decide(&s, &p, &r);
	assert_int_equal(d, MIG_GIVE_UP);
	assert_true(s.not_converging);
	/* a leftover that stopped shrinking is throttled too, whatever the rate */
	s = (struct mig_precopy_state){ 0 };
	p.stall_rounds = 2;
	assert_int_equal(mig_precopy_decide(&s, &p, &r), MIG_NEXT_ROUND);
	assert_int_equal(mig_precopy_decide(&s, &p, &r), MIG_NEXT_ROUND);
	assert_int_equal(s.throttle_pages_per_s, 0);
	assert_int_equal(mig_precopy_decide(&s, &p, &r), MIG_NEXT_ROUND);
	assert_int_equal(s.throttle_pages_per_s, (100000000 / MIG_PAGE_WIRE_BYTES) / 4);
}

/*
 * A limit below the switchover's own measured cost: `fail` gives up at once,
 * the others admit on the pages left alone (and say so); no throttle acts
 * unmeasured; the fixed cost counts in every prediction.
 */
static void test_limit_below_the_fixed_cost(void **state)
{
	struct mig_precopy_params p = params;
	struct mig_round r = { .bytes = 1000000, .ns = 100000000, .dirty_pages = 100000 };
	struct mig_precopy_state s = { 0 };

	(void)state;
	p.on_no_convergence = MIG_NC_THROTTLE;
	/* a round too short to time: no bandwidth, no throttle yet */
	r.ns = 0;
	assert_int_equal(mig_precopy_decide(&s, &p, &r), MIG_NEXT_ROUND);
	assert_int_equal(s.throttle_pages_per_s, 0);
	/* 64 KiB at 10 MB/s is 6.5 ms; with 44 ms measured beside it, 50 ms cannot be met */
	r.ns = 100000000;
	p.fixed_ns = 44000000;
	p.on_no_convergence = MIG_NC_GIVE_UP;
	assert_int_equal(mig_precopy_decide(&s, &p, &r), MIG_GIVE_UP);
	assert_true(s.fixed_cost_too_high);
	/* throttling: admitted once the pages left and the package alone fit */
	s = (struct mig_precopy_state){ 0 };
	p.on_no_convergence = MIG_NC_THROTTLE;
	assert_int_equal(mig_precopy_decide(&s, &p, &r), MIG_NEXT_ROUND);
	assert_true(s.throttle_pages_per_s > 0);
	r.dirty_pages = 10; /* 41 KB + 64 KiB: 10.6 ms without the 44 ms */
	assert_int_equal(mig_precopy_decide(&s, &p, &r), MIG_SWITCH_OVER);
	assert_true(s.fixed_cost_too_high);
	assert_true(s.expected_downtime_ns > 50000000); /* the prediction still has it */
	/* the fixed cost counts in every prediction */
	s = (struct mig_precopy_state){ 0 };
	p.fixed_ns = 40000000;
	r.dirty_pages = 10; /* 41 KB + 64 KiB: 10.6 ms, + 40 ms: over 50 */
	assert_int_equal(mig_precopy_decide(&s, &p, &r), MIG_NEXT_ROUND);
	assert_true(s.expected_downtime_ns > 50000000);
	p.fixed_ns = 30000000;
	assert_int_equal(mig_precopy_decide(&s, &p, &r), MIG_SWITCH_OVER);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bitmap_count),
		cmocka_unit_test(test_pages_and_zero_pages),
		cmocka_unit_test(test_hostile_payloads_touch_nothing),
		cmocka_unit_test(test_sparse_pages),
		cmocka_unit_test(test_sparse_pages_hostile),
		cmocka_unit_test(test_delta_pages),
		cmocka_unit_test(test_unchanged_pages_only),
		cmocka_unit_test(test_delta_pages_hostile),
		cmocka_unit_test(test_zero_runs),
		cmocka_unit_test(test_runs_ascend_and_are_capped),
		cmocka_unit_test(test_switches_when_the_rest_fits),
		cmocka_unit_test(test_prices_pages_by_their_changes),
		cmocka_unit_test(test_no_convergence_outcomes),
		cmocka_unit_test(test_stalled_rounds_go_postcopy),
		cmocka_unit_test(test_throttle_starts_tightens_and_converges),
		cmocka_unit_test(test_throttle_only_when_needed_and_capped),
		cmocka_unit_test(test_limit_below_the_fixed_cost),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
