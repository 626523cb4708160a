/* SPDX-License-Identifier: Apache-2.0 */
/** Fuzzes record framing and HELLO decoding: the first bytes a destination reads from a peer. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mig/hello.h"
#include "mig/ram_codec.h"
#include "mig/record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t guest_ram[64][MIG_PAGE_SIZE];

static void page_sink(void *ctx, uint64_t page, const void *data)
{
	(void)ctx;
	if (page >= 64)
		__builtin_trap(); /* the decoder let a page beyond the guest through */
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

	mig_reader_init(&r, data, size);
	while (mig_record_get(&r, &rec, &bad)) {
		char err[160];
		struct mig_hello remote;

		if (rec.length > MIG_RECORD_MAX || mig_remaining(&rec.payload) != rec.length)
			__builtin_trap();
		if (rec.type == MIG_REC_HELLO &&
		    mig_hello_get(&rec.payload, &remote, err, sizeof(err)))
			mig_hello_compatible(&local, &remote, err, sizeof(err));
		if (rec.type == MIG_REC_RAM)
			mig_ram_decode(&rec.payload, 64, page_sink, NULL, err, sizeof(err));
		(void)mig_record_name(rec.type);
	}
	return 0;
}
