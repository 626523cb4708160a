/* SPDX-License-Identifier: Apache-2.0 */
/** Page lists and bitmap chunks, see page_sets.h. */
#include "mig/page_sets.h"

#include "lib/format.h"

uint64_t mig_bitmap_count(const uint64_t *bm, uint64_t pages)
{
	uint64_t n = 0;

	/*
	 * Whole words first: the bitmaps counted in a switchover are nearly
	 * all ones (pages here) or zeros (pages dirty), and a population count
	 * is a vector sequence on AArch64, slow to emulate (a 64 MiB guest's
	 * 256 words took 50 us on an emulated board, in the downtime).
	 */
	for (uint64_t i = 0; i < mig_bitmap_words(pages); i++) {
		uint64_t w = bm[i];

		n += w == ~0ull ? 64u : w ? (uint64_t)__builtin_popcountll(w) : 0u;
	}
	return n;
}

uint64_t mig_bitmap_chunk_put(struct mig_writer *w, const uint64_t *bm, uint64_t words,
			      uint64_t first_word)
{
	uint64_t n = words - first_word;

	if (n > MIG_BITMAP_CHUNK_WORDS)
		n = MIG_BITMAP_CHUNK_WORDS;
	mig_put_u64(w, first_word * 64);
	mig_put_u32(w, (uint32_t)n);
	for (uint64_t i = 0; i < n; i++)
		mig_put_u64(w, bm[first_word + i]);
	return first_word + n;
}

bool mig_bitmap_chunk_get(struct mig_reader *r, uint64_t *bm, uint64_t pages, char *err,
			  size_t err_size)
{
	uint64_t first = mig_get_u64(r), words = mig_bitmap_words(pages);
	uint32_t n = mig_get_u32(r);

	if (r->error || first % 64 || n > MIG_BITMAP_CHUNK_WORDS || first / 64 > words ||
	    n > words - first / 64 || mig_remaining(r) != (size_t)n * 8) {
		format_snprintf(err, err_size, "page bitmap: malformed chunk");
		return false;
	}
	/* No bit beyond the guest's last page; checked before any bit is set. */
	if (n && first / 64 + n == words && pages % 64) {
		struct mig_reader last = *r;

		last.pos += (size_t)(n - 1) * 8;
		if (mig_get_u64(&last) >> (pages % 64)) {
			format_snprintf(err, err_size, "page bitmap: a page beyond the guest");
			return false;
		}
	}
	for (uint32_t i = 0; i < n; i++)
		bm[first / 64 + i] |= mig_get_u64(r);
	return true;
}

int mig_page_list_get(struct mig_reader *r, uint64_t *pages, uint64_t page_count, char *err,
		      size_t err_size)
{
	uint32_t n = mig_get_u32(r);

	if (r->error || n > MIG_PAGE_LIST_MAX || mig_remaining(r) != (size_t)n * 8) {
		format_snprintf(err, err_size, "page list: malformed");
		return -1;
	}
	for (uint32_t i = 0; i < n; i++) {
		pages[i] = mig_get_u64(r);
		if (pages[i] >= page_count) {
			format_snprintf(err, err_size, "page list: page %llu beyond the guest",
					(unsigned long long)pages[i]);
			return -1;
		}
	}
	return (int)n;
}
