/* SPDX-License-Identifier: Apache-2.0 */
/** RAM record payloads, see ram_codec.h. */
#include "mig/ram_codec.h"

#include <string.h>

#include "lib/format.h"

bool mig_page_holds(const void *page, const void *data)
{
	return data ? memcmp(page, data, MIG_PAGE_SIZE) == 0 : mig_page_is_zero(page);
}

bool mig_page_is_zero(const void *page)
{
	const uint64_t *w = page;
	uint64_t acc = 0;

	for (unsigned i = 0; i < MIG_PAGE_SIZE / 8; i++)
		acc |= w[i];
	return acc == 0;
}

void mig_ram_batch_init(struct mig_ram_batch *b, void *buf, size_t size, bool sparse)
{
	memset(b, 0, sizeof(*b));
	mig_writer_init(&b->w, buf, size);
	mig_put_u32(&b->w, 0);
	b->sparse = sparse;
}

/* The most segments a sparse form holds: each takes at least 12 bytes. */
#define SPARSE_SEGMENTS_MAX (MIG_RAM_SPARSE_BYTES_MAX / 12u + 1u)

/** Where a page's words differ from its base's, as runs (first word, words). */
struct sparse_layout {
	unsigned count;
	size_t bytes; /**< the form's size after its entry word */
	uint16_t seg[SPARSE_SEGMENTS_MAX][2];
};

enum page_form { PAGE_SAME, PAGE_SEGMENTS, PAGE_WHOLE };

static inline bool word_differs(const uint64_t *w, const uint64_t *base, unsigned i)
{
	return __atomic_load_n(&w[i], __ATOMIC_RELAXED) != (base ? base[i] : 0);
}

/*
 * Eight words at a time, one branch for all: most of a page written again
 * is as before (or zero), and under emulation each branch of a word-by-word
 * scan costs (the stop's pages are scanned in the downtime). The words are
 * then looked at one by one only where this found a difference (a word
 * changed between the two reads is sent again anyway).
 */
#define BLOCK_WORDS 8u

static inline bool block_same(const uint64_t *w, const uint64_t *base, unsigned i)
{
	uint64_t acc = 0;

	for (unsigned k = 0; k < BLOCK_WORDS; k++)
		acc |= __atomic_load_n(&w[i + k], __ATOMIC_RELAXED) ^ (base ? base[i + k] : 0);
	return acc == 0;
}

/*
 * The words of page `w` that differ from `base` (a zero page's when NULL),
 * in one pass, stopped as soon as the form would take more than its bound.
 * Each word is read once: in precopy the guest runs on and may change the
 * page meanwhile (it is then sent again), and a word read twice could end a
 * segment before it began (an empty segment, refused by the destination,
 * and segments cheaper than the bound counts on). PAGE_SAME: no word
 * differs.
 */
static enum page_form lay_out(const uint64_t *w, const uint64_t *base, struct sparse_layout *l)
{
	l->count = 0;
	l->bytes = 2;
	for (unsigned i = 0; i < MIG_PAGE_WORDS;) {
		unsigned first;

		if (i % BLOCK_WORDS == 0 && block_same(w, base, i)) {
			i += BLOCK_WORDS;
			continue;
		}
		if (!word_differs(w, base, i)) {
			i++;
			continue;
		}
		for (first = i++; i < MIG_PAGE_WORDS && word_differs(w, base, i); i++)
			;
		l->bytes += 4u + 8u * (i - first);
		if (l->bytes > MIG_RAM_SPARSE_BYTES_MAX || l->count == SPARSE_SEGMENTS_MAX)
			return PAGE_WHOLE;
		l->seg[l->count][0] = (uint16_t)first;
		l->seg[l->count][1] = (uint16_t)(i - first);
		l->count++;
	}
	return l->count ? PAGE_SEGMENTS : PAGE_SAME;
}

static void patch_u32(struct mig_ram_batch *b, size_t at, uint32_t v)
{
	for (unsigned i = 0; i < 4; i++)
		b->w.buf[at + i] = (uint8_t)(v >> (8 * i));
}

static void close_run(struct mig_ram_batch *b)
{
	if (b->run_len)
		patch_u32(b, b->run_at, b->run_len);
	b->run_len = 0;
}

static void put_segments(struct mig_ram_batch *b, uint64_t entry, const struct sparse_layout *l,
			 const uint8_t *page)
{
	mig_put_u64(&b->w, entry);
	mig_put_u16(&b->w, (uint16_t)l->count);
	for (unsigned i = 0; i < l->count; i++) {
		mig_put_u16(&b->w, l->seg[i][0]);
		mig_put_u16(&b->w, l->seg[i][1]);
		mig_put_bytes(&b->w, page + 8u * l->seg[i][0], 8u * l->seg[i][1]);
	}
}

bool mig_ram_batch_add(struct mig_ram_batch *b, uint64_t page_number, const void *page,
		       const void *base)
{
	struct sparse_layout l, d;
	enum page_form form, delta = PAGE_WHOLE;

	l.count = 0;
	if (mig_ram_batch_pages(b) == MIG_RAM_PAGES_MAX || page_number < b->next_page)
		return false;
	b->next_page = page_number + 1;
	if (base) {
		delta = memcmp(page, base, MIG_PAGE_SIZE) ? lay_out(page, base, &d) : PAGE_SAME;
		if (delta == PAGE_SAME) { /* the destination holds it as it is */
			b->unchanged_pages++;
			return true;
		}
	}
	if (delta == PAGE_SEGMENTS && d.bytes <= MIG_RAM_DELTA_SMALL)
		form = PAGE_WHOLE; /* no sparse form could save much: not looked for */
	else if (b->sparse)
		form = lay_out(page, NULL, &l);
	else
		form = mig_page_is_zero(page) ? PAGE_SAME : PAGE_WHOLE;
	if (form == PAGE_SAME) {
		if (b->run_len && b->run_next == page_number) {
			b->run_len++;
			b->run_next++;
			b->zero_pages++;
			return true;
		}
		if (b->entries == MIG_RAM_ENTRIES_MAX || b->w.size - b->w.len < 12) {
			b->next_page = page_number;
			return false;
		}
		close_run(b);
		mig_put_u64(&b->w, page_number << 2 | MIG_RAM_ZERO_RUN);
		b->run_at = b->w.len;
		mig_put_u32(&b->w, 0);
		b->run_len = 1;
		b->run_next = page_number + 1;
		b->zero_pages++;
		b->entries++;
		return true;
	}
	if (b->data_pages == MIG_RAM_BATCH_MAX || b->entries == MIG_RAM_ENTRIES_MAX ||
	    b->w.size - b->w.len < 8 + MIG_PAGE_SIZE) {
		b->next_page = page_number;
		return false;
	}
	close_run(b);
	b->data_pages++;
	b->entries++;
	if (delta == PAGE_SEGMENTS && (form == PAGE_WHOLE || d.bytes < l.bytes)) {
		put_segments(b, page_number << 2 | MIG_RAM_DELTA, &d, page);
		b->delta_pages++;
		return true;
	}
	if (form == PAGE_SEGMENTS) {
		put_segments(b, page_number << 2 | MIG_RAM_SPARSE, &l, page);
		b->sparse_pages++;
		return true;
	}
	mig_put_u64(&b->w, page_number << 2 | MIG_RAM_DATA);
	mig_put_bytes(&b->w, page, MIG_PAGE_SIZE);
	return true;
}

void mig_ram_batch_finish(struct mig_ram_batch *b)
{
	close_run(b);
	patch_u32(b, 0, b->entries);
}

/*
 * A sparse or delta page's segments: at least one, each of at least one
 * word, in ascending order without overlap, within the page, their words
 * all there. With `page`, the page rebuilt there: `base` (zeroes when NULL)
 * with the segments' words in place of its own. With `patch` instead, each
 * segment written into the page where it lies (a delta applied in place).
 */
static bool segments(struct mig_reader *r, uint8_t *page, const uint8_t *base,
		     const struct mig_ram_forms *patch, void *ctx, uint64_t page_number)
{
	uint16_t count = mig_get_u16(r);
	unsigned next = 0;

	if (r->error || !count)
		return false;
	if (page && base)
		memcpy(page, base, MIG_PAGE_SIZE);
	else if (page)
		memset(page, 0, MIG_PAGE_SIZE);
	for (unsigned i = 0; i < count; i++) {
		unsigned first = mig_get_u16(r), words = mig_get_u16(r);

		if (r->error || !words || first < next || first >= MIG_PAGE_WORDS ||
		    words > MIG_PAGE_WORDS - first || mig_remaining(r) < 8u * words)
			return false;
		if (page)
			memcpy(page + 8u * first, r->buf + r->pos, 8u * words);
		if (patch)
			patch->patch(ctx, page_number, first, words, r->buf + r->pos);
		r->pos += 8u * words;
		next = first + words;
	}
	return true;
}

/** One entry's form, checked (and with `apply`, its page rebuilt); false with why in err. */
static bool entry_form(struct mig_reader *r, uint32_t i, uint64_t entry, bool apply,
		       const struct mig_ram_forms *forms, void *ctx, const uint8_t **data,
		       uint64_t *run, bool *patched, char *err, size_t err_size)
{
	uint8_t *scratch = forms ? forms->scratch : NULL;
	const uint8_t *base = NULL;

	switch (entry & 3) {
	case MIG_RAM_DATA:
		if (mig_remaining(r) < MIG_PAGE_SIZE) {
			format_snprintf(err, err_size, "RAM record: page %u truncated", i);
			return false;
		}
		*data = r->buf + r->pos;
		r->pos += MIG_PAGE_SIZE;
		return true;
	case MIG_RAM_ZERO_RUN:
		*run = mig_get_u32(r);
		if (r->error || *run == 0) {
			format_snprintf(err, err_size, "RAM record: zero run %u malformed", i);
			return false;
		}
		return true;
	case MIG_RAM_SPARSE:
		if (!scratch) {
			format_snprintf(err, err_size,
					"RAM record: entry %u is a sparse page, not agreed", i);
			return false;
		}
		break;
	default: /* MIG_RAM_DELTA */
		if (!scratch || !forms->base) {
			format_snprintf(err, err_size,
					"RAM record: entry %u is a delta page, not agreed", i);
			return false;
		}
		base = forms->base(ctx, entry >> 2);
		if (!base) {
			format_snprintf(err, err_size,
					"RAM record: entry %u is a delta of page %llu, which this "
					"migration has not sent",
					i, (unsigned long long)(entry >> 2));
			return false;
		}
		break;
	}
	if (apply && base && forms->patch) { /* checked whole before: written where it lies */
		segments(r, NULL, NULL, forms, ctx, entry >> 2);
		*patched = true;
		return true;
	}
	if (!segments(r, apply ? scratch : NULL, base, NULL, ctx, entry >> 2)) {
		format_snprintf(err, err_size, "RAM record: %s page %u malformed",
				base ? "delta" : "sparse", i);
		return false;
	}
	*data = scratch;
	return true;
}

/** One pass over the entries; without `apply` it only checks them. */
static bool walk(struct mig_reader r, uint32_t count, uint64_t page_count, bool apply,
		 mig_page_sink_fn sink, void *ctx, const struct mig_ram_forms *forms, char *err,
		 size_t err_size)
{
	uint64_t next = 0, covered = 0; /* the lowest page the next entry may name */

	for (uint32_t i = 0; i < count; i++) {
		uint64_t entry = mig_get_u64(&r), page = entry >> 2, run = 1;
		const uint8_t *data = NULL;
		bool patched = false;

		if (r.error) {
			format_snprintf(err, err_size, "RAM record: entry %u truncated", i);
			return false;
		}
		/* Before a delta's base is looked up: only pages of the guest have one. */
		if (page >= page_count ||
		    !entry_form(&r, i, entry, apply, forms, ctx, &data, &run, &patched, err,
				err_size) ||
		    run > page_count - page) {
			if (page >= page_count || run > page_count - page)
				format_snprintf(
					err, err_size,
					"RAM record: page %llu beyond the guest's %llu pages",
					(unsigned long long)(page >= page_count ? page
										: page + run - 1),
					(unsigned long long)page_count);
			return false;
		}
		if (page < next) {
			format_snprintf(err, err_size,
					"RAM record: entry %u names page %llu, below page %llu "
					"(entries ascend and never overlap)",
					i, (unsigned long long)page, (unsigned long long)next);
			return false;
		}
		covered += run;
		if (covered > MIG_RAM_PAGES_MAX) {
			format_snprintf(err, err_size,
					"RAM record: more than %u pages in one record",
					MIG_RAM_PAGES_MAX);
			return false;
		}
		next = page + run;
		for (uint64_t p = page; apply && !patched && p < page + run; p++)
			sink(ctx, p, data);
	}
	if (mig_remaining(&r)) {
		format_snprintf(err, err_size, "RAM record: %zu bytes after its %u entries",
				mig_remaining(&r), count);
		return false;
	}
	return true;
}

bool mig_ram_check(const struct mig_reader *payload, uint64_t page_count, void *ctx,
		   const struct mig_ram_forms *forms, char *err, size_t err_size)
{
	struct mig_reader r = *payload;
	uint32_t count = mig_get_u32(&r);

	if (r.error || count > MIG_RAM_ENTRIES_MAX) {
		format_snprintf(err, err_size, "RAM record: bad entry count");
		return false;
	}
	return walk(r, count, page_count, false, NULL, ctx, forms, err, err_size);
}

bool mig_ram_decode(struct mig_reader *payload, uint64_t page_count, mig_page_sink_fn sink,
		    void *ctx, const struct mig_ram_forms *forms, char *err, size_t err_size)
{
	uint32_t count = mig_get_u32(payload);

	if (payload->error || count > MIG_RAM_ENTRIES_MAX) {
		format_snprintf(err, err_size, "RAM record: bad entry count");
		return false;
	}
	/* Validate the whole record before guest memory sees any of it. */
	return walk(*payload, count, page_count, false, sink, ctx, forms, err, err_size) &&
	       walk(*payload, count, page_count, true, sink, ctx, forms, err, err_size);
}
