/* SPDX-License-Identifier: Apache-2.0 */
/** Records over a byte channel, see channel.h. */
#include "mig/channel.h"

#include <string.h>

/* Records up to this size go out in one send: one TLS record, one segment. */
#define SMALL_RECORD 2048u

void mig_chan_header(uint8_t *buf, uint16_t type, uint16_t flags, uint32_t length)
{
	struct mig_writer w;

	mig_writer_init(&w, buf, MIG_RECORD_HEADER_SIZE);
	mig_put_u16(&w, type);
	mig_put_u16(&w, flags);
	mig_put_u32(&w, length);
}

int mig_chan_send_laid_out(struct mig_channel *c, const void *records, size_t len)
{
	return c->ops->send(c->ctx, records, len) ? MIG_CHAN_BROKEN : MIG_CHAN_OK;
}

int mig_chan_send_laid_out_within(struct mig_channel *c, const void *records, size_t len,
				  unsigned stall_ms)
{
	if (!c->ops->send_within)
		return mig_chan_send_laid_out(c, records, len);
	return c->ops->send_within(c->ctx, records, len, stall_ms) ? MIG_CHAN_BROKEN : MIG_CHAN_OK;
}

int mig_chan_send(struct mig_channel *c, uint16_t type, uint16_t flags, const void *payload,
		  uint32_t length)
{
	uint8_t small[MIG_RECORD_HEADER_SIZE + SMALL_RECORD];
	uint8_t *header = small;

	mig_chan_header(header, type, flags, length);
	if (length <= SMALL_RECORD) {
		if (length)
			memcpy(small + MIG_RECORD_HEADER_SIZE, payload, length);
		return c->ops->send(c->ctx, small, MIG_RECORD_HEADER_SIZE + length)
			       ? MIG_CHAN_BROKEN
			       : MIG_CHAN_OK;
	}
	if (c->ops->send(c->ctx, header, MIG_RECORD_HEADER_SIZE) ||
	    (length && c->ops->send(c->ctx, payload, length)))
		return MIG_CHAN_BROKEN;
	return MIG_CHAN_OK;
}

int mig_chan_recv(struct mig_channel *c, void *buf, struct mig_record *rec, unsigned timeout_ms)
{
	uint8_t header[MIG_RECORD_HEADER_SIZE];
	struct mig_reader r;
	int err = c->ops->recv(c->ctx, header, sizeof(header), timeout_ms);

	if (err)
		return err;
	mig_reader_init(&r, header, sizeof(header));
	rec->type = mig_get_u16(&r);
	rec->flags = mig_get_u16(&r);
	rec->length = mig_get_u32(&r);
	if (rec->length > MIG_RECORD_MAX)
		return MIG_CHAN_BAD;
	if (rec->length && (err = c->ops->recv(c->ctx, buf, rec->length, timeout_ms)))
		return err;
	mig_reader_init(&rec->payload, buf, rec->length);
	return MIG_CHAN_OK;
}

int mig_chan_ready(struct mig_channel *c, unsigned timeout_ms)
{
	int n = c->ops->wait(c->ctx, timeout_ms);

	return n < 0 ? MIG_CHAN_BROKEN : n;
}

/* The rehearsals' link: sends go nowhere, reads find it lost, waits answer *ctx. */
static int rehearsal_send(void *ctx, const void *buf, size_t len)
{
	(void)ctx, (void)buf, (void)len;
	return 0;
}

static int rehearsal_recv(void *ctx, void *buf, size_t len, unsigned timeout_ms)
{
	(void)ctx, (void)buf, (void)len, (void)timeout_ms;
	return MIG_CHAN_BROKEN;
}

static int rehearsal_wait(void *ctx, unsigned timeout_ms)
{
	(void)timeout_ms;
	return *(const int *)ctx;
}

const struct mig_channel_ops mig_rehearsal_link = { rehearsal_send, rehearsal_recv, rehearsal_wait,
						    NULL };
