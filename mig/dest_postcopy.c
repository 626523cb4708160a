/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The destination in postcopy (docs/migration-protocol.md, "Postcopy"):
 * the VM runs with missing pages; a vCPU that touches one stalls and the
 * page is requested; arriving pages are placed once, duplicates dropped
 * (a page placed may have been written by the guest since). After a cut,
 * RECV_BITMAP tells the source what is here.
 */
#include <string.h>

#include "lib/format.h"
#include "mig/dest_internal.h"
#include "mig/page_sets.h"
#include "mig/ram_codec.h"

static int send_page_list(struct mig_dest *d, const uint64_t *pages, uint32_t n)
{
	uint8_t buf[4 + MIG_PAGE_LIST_MAX * 8];
	struct mig_writer w;

	mig_writer_init(&w, buf, sizeof(buf));
	mig_put_u32(&w, n);
	for (uint32_t i = 0; i < n; i++)
		mig_put_u64(&w, pages[i]);
	return mig_chan_send(d->ch, MIG_REC_REQ_PAGES, 0, buf, (uint32_t)w.len) ? -1 : 0;
}

int mig_dest_request_faults(struct mig_dest *d)
{
	uint64_t pages[MIG_PAGE_LIST_MAX], page, now;
	uint32_t n = 0;

	while (n < MIG_PAGE_LIST_MAX && d->ops->postcopy_fault(d->vm->ctx, &page)) {
		if (page >= d->pages || mig_bit_test(d->have, page) ||
		    mig_bit_test(d->requested, page))
			continue;
		mig_bit_set(d->requested, page);
		pages[n++] = page;
	}
	now = n ? d->ops->now_ns(d->vm->ctx) : 0;
	for (uint32_t i = 0; i < n && d->timed_count < MIG_FAULTS_TIMED; i++)
		d->timed[d->timed_count].page = pages[i], d->timed[d->timed_count++].since_ns = now;
	if (!n)
		return 0;
	/* A stall begins, or the last goes on: the guest ran too little in between. */
	if (!d->waiting && (!d->stall_end_ns || now - d->stall_end_ns >= MIG_STALL_GAP_NS))
		d->stall_from_ns = now;
	if (!d->waiting)
		d->blocked_from_ns = now;
	d->waiting += n;
	d->rep.pages_requested += n;
	return send_page_list(d, pages, n);
}

/** A requested page is in place: its vCPU runs again; how long it waited. */
static void fault_served(struct mig_dest *d, uint64_t page, uint64_t now)
{
	for (unsigned i = 0; i < d->timed_count; i++) {
		uint64_t waited;

		if (d->timed[i].page != page)
			continue;
		waited = now - d->timed[i].since_ns;
		d->rep.faults_served++;
		d->rep.fault_wait_total_ns += waited;
		if (waited > d->rep.fault_wait_max_ns)
			d->rep.fault_wait_max_ns = waited;
		d->timed[i] = d->timed[--d->timed_count];
		return;
	}
}

/*
 * No page the guest touched is missing any more: the stall that began
 * with the first of them (or before, see mig_dest_request_faults) ends.
 * A guest with several vCPUs is taken as stalled while any waits: the
 * report may say more than one vCPU felt, never less.
 */
static void stall_ends(struct mig_dest *d, uint64_t now)
{
	d->stall_end_ns = now;
	d->rep.blocked_ns += d->stall_end_ns - d->blocked_from_ns;
	if (d->stall_end_ns - d->stall_from_ns > d->rep.stall_max_ns)
		d->rep.stall_max_ns = d->stall_end_ns - d->stall_from_ns;
}

static void place(void *ctx, uint64_t page, const void *data)
{
	struct mig_dest *d = ctx;

	if (mig_bit_test(d->have, page)) {
		d->rep.duplicates_dropped++;
		return;
	}
	d->ops->postcopy_place(d->vm->ctx, page, data);
	mig_bit_set(d->have, page);
	if (mig_bit_test(d->requested, page)) {
		uint64_t now = d->ops->now_ns(d->vm->ctx);

		mig_bit_clear(d->requested, page);
		fault_served(d, page, now);
		if (d->waiting && !--d->waiting)
			stall_ends(d, now);
	}
}

bool mig_dest_place_postcopy(struct mig_dest *d, struct mig_record *rec)
{
	struct mig_ram_forms forms;

	mig_dest_forms(d, true, &forms);
	return mig_ram_decode(&rec->payload, d->pages, place, d, &forms, d->rep.error,
			      sizeof(d->rep.error));
}

int mig_dest_send_recv_bitmap(struct mig_dest *d)
{
	uint64_t words = mig_bitmap_words(d->pages), next = 0;
	uint64_t pages[MIG_PAGE_LIST_MAX];
	uint32_t n = 0;

	do {
		struct mig_writer w;

		mig_writer_init(&w, d->buf, MIG_RECORD_MAX);
		next = mig_bitmap_chunk_put(&w, d->have, words, next);
		if (mig_chan_send(d->ch, MIG_REC_RECV_BITMAP, next == words ? MIG_FLAG_LAST : 0,
				  w.buf, (uint32_t)w.len))
			return -1;
	} while (next < words);
	/* The vCPUs still waiting: ask again, their pages first. */
	for (uint64_t p = 0; p < d->pages; p++) {
		if (!mig_bit_test(d->requested, p))
			continue;
		pages[n++] = p;
		if (n == MIG_PAGE_LIST_MAX) {
			if (send_page_list(d, pages, n))
				return -1;
			n = 0;
		}
	}
	return n ? send_page_list(d, pages, n) : 0;
}
