/* SPDX-License-Identifier: Apache-2.0 */
/**
 * Fuzzes record framing and the payload decoders: HELLO, RAM, page lists,
 * page bitmaps, a peer's text.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mig/hello.h"
#include "mig/page_sets.h"
#include "mig/ram_codec.h"
#include "mig/record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t guest_ram[64][MIG_PAGE_SIZE];
static uint64_t next_page;	       /* pages of one record ascend */
static uint8_t scratch[MIG_PAGE_SIZE]; /* where a sparse or delta page is rebuilt */
static uint64_t have;		       /* pages a record wrote: a delta's base */

/* A delta's base: a page some record wrote, none before (as the destination's). */
static const uint8_t *base(void *ctx, uint64_t page)
{
	(void)ctx;
	if (page >= 64)
		__builtin_trap(); /* a base asked for beyond the guest */
	return have >> page & 1 ? guest_ram[page] : NULL;
}

/* A delta written in place, as the destination does. */
static void patch(void *ctx, uint64_t page, unsigned first, unsigned words, const uint8_t *data)
{
	(void)ctx;
	if (page >= 64 || !(have >> page & 1) || first >= MIG_PAGE_SIZE / 8 ||
	    words > MIG_PAGE_SIZE / 8 - first)
		__builtin_trap(); /* written beyond its page, or where no base was */
	memcpy(guest_ram[page] + 8u * first, data, 8u * words);
}

static const struct mig_ram_forms forms = { .scratch = scratch, .base = base };
static const struct mig_ram_forms in_place = { .scratch = scratch, .base = base, .patch = patch };

static void page_sink(void *ctx, uint64_t page, const void *data)
{
	(void)ctx;
	if (page >= 64)
		__builtin_trap(); /* the decoder let a page beyond the guest through */
	if (page < next_page)
		__builtin_trap(); /* a page written twice by one record, or out of order */
	next_page = page + 1;
	have |= 1ull << page;
	if (data)
		memcpy(guest_ram[page], data, MIG_PAGE_SIZE);
	else
		memset(guest_ram[page], 0, MIG_PAGE_SIZE);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mig_reader r;
	struct mig_record rec;
	struct mig_hello local = { .format_version = MIG_FORMAT_VERSION,
				   .page_size = 4096,
				   .vcpu_count = 2,
				   .ram_size = 1ull << 30,
				   .gic_intid_count = 96 };
	bool bad;

	have = 0;
	mig_reader_init(&r, data, size);
	while (mig_record_get(&r, &rec, &bad)) {
		char err[160];
		struct mig_hello remote;

		if (rec.length > MIG_RECORD_MAX || mig_remaining(&rec.payload) != rec.length)
			__builtin_trap();
		if (rec.type == MIG_REC_HELLO &&
		    mig_hello_get(&rec.payload, &remote, err, sizeof(err)))
			mig_hello_compatible(&local, &remote, err, sizeof(err));
		if (rec.type == MIG_REC_RAM) {
			next_page = 0;
			mig_ram_decode(&rec.payload, 64, page_sink, NULL,
				       rec.flags & 1 ? &in_place : &forms, err, sizeof(err));
		}
		if (rec.type == MIG_REC_ERROR || rec.type == MIG_REC_REFUSE) {
			char text[128];

			mig_get_text(&rec.payload, text, sizeof(text));
			for (const char *c = text; *c; c++)
				if (*c < 0x20 || *c > 0x7e)
					__builtin_trap(); /* a control character reached the console
							   */
		}
		if (rec.type == MIG_REC_REQ_PAGES) {
			uint64_t pages[MIG_PAGE_LIST_MAX];
			int n = mig_page_list_get(&rec.payload, pages, 70, err, sizeof(err));

			for (int i = 0; i < n; i++)
				if (pages[i] >= 70)
					__builtin_trap();
		}
		if (rec.type == MIG_REC_RECV_BITMAP || rec.type == MIG_REC_POSTCOPY_DISCARD) {
			uint64_t bm[2] = { 0, 0 }; /* 70 pages */

			if (mig_bitmap_chunk_get(&rec.payload, bm, 70, err, sizeof(err)) &&
			    bm[1] >> 6)
				__builtin_trap(); /* a page beyond the guest got in */
		}
		(void)mig_record_name(rec.type);
	}
	return 0;
}
