/* SPDX-License-Identifier: Apache-2.0 */
/** Record framing, see record.h. */
#include "mig/record.h"

#include <stddef.h>

void mig_record_put(struct mig_writer *w, uint16_t type, uint16_t flags, const void *payload,
		    uint32_t length)
{
	mig_put_u16(w, type);
	mig_put_u16(w, flags);
	mig_put_u32(w, length);
	mig_put_bytes(w, payload, length);
}

bool mig_record_get(struct mig_reader *r, struct mig_record *rec, bool *bad)
{
	struct mig_reader peek = *r;

	*bad = false;
	if (mig_remaining(r) < MIG_RECORD_HEADER_SIZE)
		return false;
	rec->type = mig_get_u16(&peek);
	rec->flags = mig_get_u16(&peek);
	rec->length = mig_get_u32(&peek);
	if (rec->length > MIG_RECORD_MAX) {
		*bad = true;
		return false;
	}
	if (mig_remaining(&peek) < rec->length)
		return false;
	mig_get_sub(&peek, rec->length, &rec->payload);
	*r = peek;
	return true;
}

size_t mig_record_find(const void *buf, size_t len, uint16_t type)
{
	struct mig_reader r;
	struct mig_record rec;
	size_t found = len;
	bool bad;

	mig_reader_init(&r, buf, len);
	while (mig_remaining(&r)) {
		size_t at = len - mig_remaining(&r);

		if (!mig_record_get(&r, &rec, &bad))
			return len; /* not whole records (a payload sent apart, say) */
		if (rec.type == type && found == len)
			found = at;
	}
	return found;
}

const char *mig_record_name(uint16_t type)
{
	static const struct {
		uint16_t type;
		const char *name;
	} names[] = {
		{ MIG_REC_HELLO, "HELLO" },
		{ MIG_REC_RAM, "RAM" },
		{ MIG_REC_ROUND_END, "ROUND_END" },
		{ MIG_REC_CLOCK, "CLOCK" },
		{ MIG_REC_CLOCK_REPLY, "CLOCK_REPLY" },
		{ MIG_REC_DEVICE_PACKAGE, "DEVICE_PACKAGE" },
		{ MIG_REC_DRY_RUN, "DRY_RUN" },
		{ MIG_REC_DRY_RUN_DONE, "DRY_RUN_DONE" },
		{ MIG_REC_PING, "PING" },
		{ MIG_REC_RUN, "RUN" },
		{ MIG_REC_CANCEL, "CANCEL" },
		{ MIG_REC_END, "END" },
		{ MIG_REC_FRAMES, "FRAMES" },
		{ MIG_REC_EPOCH, "EPOCH" },
		{ MIG_REC_EPOCH_END, "EPOCH_END" },
		{ MIG_REC_HEARTBEAT, "HEARTBEAT" },
		{ MIG_REC_OUTPUT, "OUTPUT" },
		{ MIG_REC_EPOCH_ACK, "EPOCH_ACK" },
		{ MIG_REC_RELEASED, "RELEASED" },
		{ MIG_REC_POSTCOPY_DISCARD, "POSTCOPY_DISCARD" },
		{ MIG_REC_RECONNECT, "RECONNECT" },
		{ MIG_REC_STATUS, "STATUS" },
		{ MIG_REC_ACCEPT, "ACCEPT" },
		{ MIG_REC_REFUSE, "REFUSE" },
		{ MIG_REC_PONG, "PONG" },
		{ MIG_REC_VM_STARTED, "VM_STARTED" },
		{ MIG_REC_SWITCHOVER_ACK, "SWITCHOVER_ACK" },
		{ MIG_REC_REQ_PAGES, "REQ_PAGES" },
		{ MIG_REC_RECV_BITMAP, "RECV_BITMAP" },
		{ MIG_REC_ERROR, "ERROR" },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].type == type)
			return names[i].name;
	return "unknown";
}
