/* SPDX-License-Identifier: Apache-2.0 */
/** HELLO encoding and the compatibility check, see hello.h. */
#include "mig/hello.h"

#include <string.h>

#include "lib/format.h"

void mig_hello_put(struct mig_writer *w, const struct mig_hello *h)
{
	size_t n = strnlen(h->producer, MIG_PRODUCER_MAX - 1);

	mig_put_bytes(w, MIG_MAGIC, 8);
	mig_put_u16(w, h->format_version);
	mig_put_u8(w, (uint8_t)n);
	mig_put_bytes(w, h->producer, n);
	mig_put_u64(w, h->migration_id);
	mig_put_u64(w, h->midr);
	for (unsigned i = 0; i < MIG_ID_REG_COUNT; i++)
		mig_put_u64(w, h->id_regs[i]);
	mig_put_u32(w, h->cntfrq);
	mig_put_u32(w, h->gic_iidr);
	mig_put_u16(w, h->gic_intid_count);
	mig_put_u16(w, h->vcpu_count);
	mig_put_u64(w, h->ram_base);
	mig_put_u64(w, h->ram_size);
	mig_put_u32(w, h->page_size);
	mig_put_u32(w, h->capabilities);
}

bool mig_hello_get(struct mig_reader *r, struct mig_hello *h, char *err, size_t err_size)
{
	char magic[8];
	uint8_t n;

	memset(h, 0, sizeof(*h));
	if (!mig_get_bytes(r, magic, 8) || memcmp(magic, MIG_MAGIC, 8) != 0) {
		format_snprintf(err, err_size, "not a Ferry migration stream (bad magic)");
		return false;
	}
	h->format_version = mig_get_u16(r);
	n = mig_get_u8(r);
	if (n >= MIG_PRODUCER_MAX || !mig_get_bytes(r, h->producer, n)) {
		format_snprintf(err, err_size, "HELLO: malformed producer version");
		return false;
	}
	for (uint8_t i = 0; i < n; i++)
		if (h->producer[i] < 0x20 || h->producer[i] > 0x7e) {
			format_snprintf(err, err_size,
					"HELLO: producer version with a control "
					"character");
			return false;
		}
	h->migration_id = mig_get_u64(r);
	h->midr = mig_get_u64(r);
	for (unsigned i = 0; i < MIG_ID_REG_COUNT; i++)
		h->id_regs[i] = mig_get_u64(r);
	h->cntfrq = mig_get_u32(r);
	h->gic_iidr = mig_get_u32(r);
	h->gic_intid_count = mig_get_u16(r);
	h->vcpu_count = mig_get_u16(r);
	h->ram_base = mig_get_u64(r);
	h->ram_size = mig_get_u64(r);
	h->page_size = mig_get_u32(r);
	h->capabilities = mig_get_u32(r);
	/* A later format may append fields; those this build reads end here. */
	if (r->error || (h->format_version <= MIG_FORMAT_VERSION && mig_remaining(r))) {
		format_snprintf(err, err_size, "HELLO: truncated or too long for format version %u",
				h->format_version);
		return false;
	}
	return true;
}

#define REFUSE(...)                                                                                \
	do {                                                                                       \
		format_snprintf(err, err_size, __VA_ARGS__);                                       \
		return false;                                                                      \
	} while (0)

unsigned mig_hello_format(const struct mig_hello *r)
{
	if (r->format_version >= MIG_FORMAT_OLDEST && r->format_version <= MIG_FORMAT_VERSION)
		return r->format_version;
	if (r->format_version == MIG_FORMAT_VERSION + 1 &&
	    (r->capabilities & MIG_CAP_FORMAT_WINDOW))
		return MIG_FORMAT_VERSION; /* it writes ours too */
	return 0;
}

bool mig_hello_compatible(const struct mig_hello *l, const struct mig_hello *r, char *err,
			  size_t err_size)
{
	if (!mig_hello_format(r)) {
		char also[32] = "", reads[32];

		if ((r->capabilities & MIG_CAP_FORMAT_WINDOW) && r->format_version)
			format_snprintf(also, sizeof(also), " (it also writes %u)",
					r->format_version - 1u);
		if (MIG_FORMAT_OLDEST < MIG_FORMAT_VERSION)
			format_snprintf(reads, sizeof(reads), "versions %u to %u",
					MIG_FORMAT_OLDEST, MIG_FORMAT_VERSION);
		else
			format_snprintf(reads, sizeof(reads), "version %u", MIG_FORMAT_VERSION);
		REFUSE("stream format version %u%s, this board reads %s", r->format_version, also,
		       reads);
	}
	if (!r->migration_id)
		REFUSE("HELLO without a migration id");
	if (r->page_size != l->page_size)
		REFUSE("page size %u, this board uses %u", r->page_size, l->page_size);
	if (r->cntfrq != l->cntfrq)
		REFUSE("counter frequency %u Hz, this board's is %u Hz (the guest's time would "
		       "change speed)",
		       r->cntfrq, l->cntfrq);
	if (r->midr != l->midr)
		REFUSE("CPU MIDR 0x%llx, this board's is 0x%llx", (unsigned long long)r->midr,
		       (unsigned long long)l->midr);
	/* Every feature the guest may have seen must exist here, field by field. */
	for (unsigned i = 0; i < MIG_ID_REG_COUNT; i++)
		if (!mig_id_reg_fits((enum mig_id_reg)i, r->id_regs[i], l->id_regs[i], err,
				     err_size))
			return false;
	if (r->gic_iidr != l->gic_iidr)
		REFUSE("virtual GIC IIDR 0x%x, this board emulates 0x%x", r->gic_iidr, l->gic_iidr);
	if (r->gic_intid_count != l->gic_intid_count)
		REFUSE("virtual GIC with %u interrupt IDs, this board emulates %u",
		       r->gic_intid_count, l->gic_intid_count);
	if (r->vcpu_count == 0 || r->vcpu_count != l->vcpu_count)
		REFUSE("%u vCPUs, this board prepared a VM of %u", r->vcpu_count, l->vcpu_count);
	if (r->ram_base != l->ram_base)
		REFUSE("guest RAM at 0x%llx, this board places it at 0x%llx",
		       (unsigned long long)r->ram_base, (unsigned long long)l->ram_base);
	/* Equal: with less, pages would be missing; with more, postcopy would never end. */
	if (r->ram_size != l->ram_size)
		REFUSE("%llu KiB of guest RAM, this board prepared %llu KiB",
		       (unsigned long long)(r->ram_size >> 10),
		       (unsigned long long)(l->ram_size >> 10));
	if (!(r->capabilities & MIG_CAP_VM_STARTED))
		REFUSE("the source does not wait for VM_STARTED (needed to end its downtime "
		       "clock)");
	return true;
}
