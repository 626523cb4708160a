/* SPDX-License-Identifier: Apache-2.0 */
/** virtio-net on virtio-mmio version 2, see virtio_net.h. */
#include "drivers/virtio_net.h"

#include <string.h>

#include "drivers/virtio_mmio.h"
#include "lib/format.h"

#define VIRTIO_NET_F_MAC (1ull << 5)

#define RXQ 0u
#define TXQ 1u

#define NET_HDR_SIZE VIRTIO_NET_HDR_BYTES

static void notify(struct virtio_net *d, uint32_t queue, struct virtq *q)
{
	if (virtio_mmio_notify(&d->mmio, queue, q))
		d->stats.notifies++;
}

static uint8_t *rx_buf(const struct virtio_net *d, uint16_t id)
{
	return d->rx_mem + (size_t)id * d->buf_bytes;
}

static uint8_t *tx_buf(const struct virtio_net *d, uint16_t id)
{
	return d->tx_mem + (size_t)id * d->buf_bytes;
}

bool virtio_net_init(struct virtio_net *d, uintptr_t base, const struct virtio_net_bufs *bufs,
		     virtio_net_rx_fn rx, void *ctx, char *err, size_t n)
{
	uint64_t agreed;

	/* A frame and its header fit a descriptor's 16-bit reach, the buffers' offsets never wrap.
	 */
	if (!bufs->count || bufs->count > VIRTQ_SIZE || bufs->frame_max < 60u ||
	    bufs->frame_max > 0xffffu - VIRTIO_NET_HDR_BYTES - 63u) {
		format_snprintf(err, n, "virtio-net: %u buffers for %u-byte frames", bufs->count,
				bufs->frame_max);
		return false;
	}
	d->buf_bytes = VIRTIO_NET_BUF_BYTES(bufs->frame_max);
	d->frame_max = bufs->frame_max;
	d->buf_count = bufs->count;
	d->rx_mem = bufs->mem;
	d->tx_mem = bufs->mem + (size_t)bufs->count * d->buf_bytes;
	d->mmio = (struct virtio_mmio){ base, "virtio-net" };
	d->rx = rx;
	d->ctx = ctx;
	/* Fewer doorbells and interrupts where the device offers the event index. */
	agreed = virtio_mmio_begin(&d->mmio, VIRTIO_ID_NET, VIRTIO_F_VERSION_1 | VIRTIO_NET_F_MAC,
				   VIRTIO_RING_F_EVENT_IDX, err, n);
	if (!agreed || !virtio_mmio_queue(&d->mmio, RXQ, &d->rxq, err, n) ||
	    !virtio_mmio_queue(&d->mmio, TXQ, &d->txq, err, n))
		return false;
	d->rxq.event_idx = d->txq.event_idx = agreed & VIRTIO_RING_F_EVENT_IDX;
	virtq_interrupts(&d->txq, false); /* finished transmissions are reaped by polling */
	for (unsigned i = 0; i < 6; i++)
		d->mac[i] = virtio_mmio_config8(&d->mmio, i);
	/* Every receive buffer posted at once. */
	for (uint16_t i = 0; i < d->buf_count; i++) {
		/* Offered for the largest frame only: the device refuses a longer one. */
		d->rxq.desc[i] = (struct virtq_desc){ .addr = (uintptr_t)rx_buf(d, i),
						      .len = NET_HDR_SIZE + d->frame_max,
						      .flags = VIRTQ_DESC_F_WRITE };
		virtq_offer(&d->rxq, i);
		d->tx_free[i] = i;
		d->tx_busy[i] = false;
	}
	d->tx_free_count = d->buf_count;
	virtq_interrupts(&d->rxq, false); /* polled while busy: see virtio_net_wait_arm */
	virtio_mmio_ready(&d->mmio);
	virtio_mmio_kick(&d->mmio, RXQ); /* the receive buffers are there */
	return true;
}

void virtio_net_mac(const struct virtio_net *d, uint8_t mac[6]) { memcpy(mac, d->mac, 6); }

/* Transmit buffers the device is done with. */
static void reap_tx(struct virtio_net *d)
{
	uint16_t id;
	uint32_t len;

	while (virtq_take_used(&d->txq, &id, &len))
		if (id < d->buf_count && d->tx_busy[id] && d->tx_free_count < d->buf_count) {
			d->tx_busy[id] = false;
			d->tx_free[d->tx_free_count++] = id;
		}
}

bool virtio_net_send(struct virtio_net *d, const void *const *parts, const size_t *lens,
		     unsigned count)
{
	size_t total = 0;
	uint16_t id;
	uint8_t *p;

	for (unsigned i = 0; i < count; i++) {
		if (lens[i] > d->frame_max - total)
			return false; /* too long (and never a sum that wraps) */
		total += lens[i];
	}
	if (!d->tx_free_count) {
		reap_tx(d); /* only that: receiving here would re-enter the network stack */
		if (!d->tx_free_count) {
			d->stats.tx_full++;
			return false;
		}
	}
	id = d->tx_free[--d->tx_free_count];
	d->tx_busy[id] = true;
	p = tx_buf(d, id);
	memset(p, 0, NET_HDR_SIZE);
	p += NET_HDR_SIZE;
	for (unsigned i = 0; i < count; i++) {
		memcpy(p, parts[i], lens[i]);
		p += lens[i];
	}
	d->txq.desc[id] = (struct virtq_desc){ .addr = (uintptr_t)tx_buf(d, id),
					       .len = (uint32_t)(NET_HDR_SIZE + total) };
	virtq_offer(&d->txq, id);
	notify(d, TXQ, &d->txq);
	d->stats.tx_frames++;
	return true;
}

unsigned virtio_net_poll(struct virtio_net *d) { return virtio_net_poll_max(d, ~0u); }

unsigned virtio_net_poll_max(struct virtio_net *d, unsigned max)
{
	unsigned frames = 0;
	uint16_t id;
	uint32_t len;

	reap_tx(d);
	while (frames < max && virtq_take_used(&d->rxq, &id, &len)) {
		if (id >= d->buf_count)
			continue; /* a device bug: never touch a buffer it cannot own */
		if (len > NET_HDR_SIZE && len - NET_HDR_SIZE <= d->frame_max)
			d->rx(d->ctx, rx_buf(d, id) + NET_HDR_SIZE, len - NET_HDR_SIZE);
		virtq_offer(&d->rxq, id); /* recycled at once */
		frames++;
	}
	if (frames) {
		notify(d, RXQ, &d->rxq);
		d->stats.rx_frames += frames;
	}
	return frames;
}

bool virtio_net_wait_arm(struct virtio_net *d)
{
	virtq_interrupts(&d->rxq, true);
	/* A frame that came before the device saw the request raises nothing: look again. */
	if (*(volatile uint16_t *)&d->rxq.used.idx != d->rxq.last_used) {
		virtq_interrupts(&d->rxq, false);
		return false;
	}
	return true;
}

void virtio_net_wait_done(struct virtio_net *d) { virtq_interrupts(&d->rxq, false); }

void virtio_net_irq_ack(struct virtio_net *d)
{
	virtio_mmio_irq_ack(&d->mmio);
	d->stats.irqs++;
}

void virtio_net_stats(const struct virtio_net *d, struct virtio_net_stats *s) { *s = d->stats; }

bool virtio_net_tx_idle(struct virtio_net *d)
{
	reap_tx(d);
	return d->tx_free_count == d->buf_count;
}
