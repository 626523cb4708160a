/* SPDX-License-Identifier: Apache-2.0 */
/** The migration channel over TLS, see mig_channel.h. */
#include "link/mig_channel.h"

/* A send that makes no progress this long means the peer stopped reading. */
#define SEND_STALL_MS 5000u

static int chan_send(void *ctx, const void *buf, size_t len)
{
	return link_tls_send(ctx, buf, len, SEND_STALL_MS) ? MIG_CHAN_BROKEN : MIG_CHAN_OK;
}

static int chan_send_within(void *ctx, const void *buf, size_t len, unsigned stall_ms)
{
	return link_tls_send(ctx, buf, len, stall_ms) ? MIG_CHAN_BROKEN : MIG_CHAN_OK;
}

static int chan_recv(void *ctx, void *buf, size_t len, unsigned timeout_ms)
{
	int err = link_tls_recv(ctx, buf, len, timeout_ms);

	return err == 0 ? MIG_CHAN_OK : err == -2 ? MIG_CHAN_TIMEOUT : MIG_CHAN_BROKEN;
}

static int chan_wait(void *ctx, unsigned timeout_ms) { return link_tls_wait(ctx, timeout_ms); }

const struct mig_channel_ops link_mig_channel_ops = { chan_send, chan_recv, chan_wait,
						      chan_send_within };
