/* SPDX-License-Identifier: Apache-2.0 */
/** RAM record payloads, see ram_codec.h. */
#include "mig/ram_codec.h"

#include <string.h>

#include "hyp/format.h"

bool mig_page_is_zero(const void *page)
{
	const uint64_t *w = page;
	uint64_t acc = 0;

	for (unsigned i = 0; i < MIG_PAGE_SIZE / 8; i++)
		acc |= w[i];
	return acc == 0;
}

void mig_ram_batch_init(struct mig_ram_batch *b, void *buf, size_t size)
{
	mig_writer_init(&b->w, buf, size);
	b->count_at = 0;
	b->count = 0;
	b->zero_count = 0;
	mig_put_u32(&b->w, 0);
}

bool mig_ram_batch_add(struct mig_ram_batch *b, uint64_t page_number, const void *page)
{
	bool zero = mig_page_is_zero(page);

	if (b->count == MIG_RAM_BATCH_MAX || b->w.size - b->w.len < 8 + MIG_PAGE_SIZE)
		return false;
	mig_put_u64(&b->w, page_number << 1 | (zero ? MIG_RAM_ENTRY_ZERO : 0));
	if (zero)
		b->zero_count++;
	else
		mig_put_bytes(&b->w, page, MIG_PAGE_SIZE);
	b->count++;
	return true;
}

void mig_ram_batch_finish(struct mig_ram_batch *b)
{
	for (unsigned i = 0; i < 4; i++)
		b->w.buf[b->count_at + i] = (uint8_t)(b->count >> (8 * i));
}

/** One pass over the entries; with sink == NULL it only checks them. */
static bool walk(struct mig_reader r, uint32_t count, uint64_t page_count, mig_page_sink_fn sink,
		 void *ctx, char *err, size_t err_size)
{
	for (uint32_t i = 0; i < count; i++) {
		uint64_t entry = mig_get_u64(&r), page = entry >> 1;
		const uint8_t *data = NULL;

		if (r.error) {
			format_snprintf(err, err_size, "RAM record: entry %u truncated", i);
			return false;
		}
		if (page >= page_count) {
			format_snprintf(err, err_size,
					"RAM record: page %llu beyond the guest's %llu pages",
					(unsigned long long)page, (unsigned long long)page_count);
			return false;
		}
		if (!(entry & MIG_RAM_ENTRY_ZERO)) {
			if (mig_remaining(&r) < MIG_PAGE_SIZE) {
				format_snprintf(err, err_size, "RAM record: page %u truncated", i);
				return false;
			}
			data = r.buf + r.pos;
			r.pos += MIG_PAGE_SIZE;
		}
		if (sink)
			sink(ctx, page, data);
	}
	if (mig_remaining(&r)) {
		format_snprintf(err, err_size, "RAM record: %zu bytes after its %u pages",
				mig_remaining(&r), count);
		return false;
	}
	return true;
}

bool mig_ram_decode(struct mig_reader *payload, uint64_t page_count, mig_page_sink_fn sink,
		    void *ctx, char *err, size_t err_size)
{
	uint32_t count = mig_get_u32(payload);

	if (payload->error || count > MIG_RAM_BATCH_MAX) {
		format_snprintf(err, err_size, "RAM record: bad page count");
		return false;
	}
	/* Validate the whole record before guest memory sees any of it. */
	return walk(*payload, count, page_count, NULL, NULL, err, err_size) &&
	       walk(*payload, count, page_count, sink, ctx, err, err_size);
}
