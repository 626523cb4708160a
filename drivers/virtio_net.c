/* SPDX-License-Identifier: Apache-2.0 */
/** virtio-net on virtio-mmio version 2, see virtio_net.h. */
#include "drivers/virtio_net.h"

#include <string.h>

#include "drivers/virtio_mmio.h"
#include "lib/format.h"

#define VIRTIO_NET_F_MAC (1ull << 5)

#define RXQ 0u
#define TXQ 1u

/* struct virtio_net_hdr with VIRTIO_F_VERSION_1 (Virtio 1.1 section 5.1.6) */
#define NET_HDR_SIZE 12u
#define BUF_SIZE     2048u

static struct virtq rxq, txq;
static uint8_t rx_buf[VIRTQ_SIZE][BUF_SIZE] __attribute__((aligned(64)));
static uint8_t tx_buf[VIRTQ_SIZE][BUF_SIZE] __attribute__((aligned(64)));
static uint16_t tx_free[VIRTQ_SIZE], tx_free_count;

static struct {
	struct virtio_mmio mmio;
	virtio_net_rx_fn rx;
	void *ctx;
	uint8_t mac[6];
	struct virtio_net_stats stats;
} dev;

static void notify(uint32_t queue, struct virtq *q)
{
	if (virtio_mmio_notify(&dev.mmio, queue, q))
		dev.stats.notifies++;
}

bool virtio_net_init(uintptr_t base, virtio_net_rx_fn rx, void *ctx, char *err, size_t n)
{
	uint64_t agreed;

	dev.mmio = (struct virtio_mmio){ base, "virtio-net" };
	dev.rx = rx;
	dev.ctx = ctx;
	/* Fewer doorbells and interrupts where the device offers the event index. */
	agreed = virtio_mmio_begin(&dev.mmio, VIRTIO_ID_NET, VIRTIO_F_VERSION_1 | VIRTIO_NET_F_MAC,
				   VIRTIO_RING_F_EVENT_IDX, err, n);
	if (!agreed || !virtio_mmio_queue(&dev.mmio, RXQ, &rxq, err, n) ||
	    !virtio_mmio_queue(&dev.mmio, TXQ, &txq, err, n))
		return false;
	rxq.event_idx = txq.event_idx = agreed & VIRTIO_RING_F_EVENT_IDX;
	virtq_interrupts(&txq, false); /* finished transmissions are reaped by polling */
	for (unsigned i = 0; i < 6; i++)
		dev.mac[i] = virtio_mmio_config8(&dev.mmio, i);
	/* Every receive buffer posted at once. */
	for (uint16_t i = 0; i < VIRTQ_SIZE; i++) {
		rxq.desc[i] = (struct virtq_desc){ .addr = (uintptr_t)rx_buf[i],
						   .len = BUF_SIZE,
						   .flags = VIRTQ_DESC_F_WRITE };
		virtq_offer(&rxq, i);
		tx_free[i] = i;
	}
	tx_free_count = VIRTQ_SIZE;
	virtq_interrupts(&rxq, false); /* polled while busy: see virtio_net_wait_arm */
	virtio_mmio_ready(&dev.mmio);
	virtio_mmio_kick(&dev.mmio, RXQ); /* the receive buffers are there */
	return true;
}

void virtio_net_mac(uint8_t mac[6]) { memcpy(mac, dev.mac, 6); }

/* Transmit buffers the device is done with. */
static void reap_tx(void)
{
	uint16_t id;
	uint32_t len;

	while (virtq_take_used(&txq, &id, &len))
		if (id < VIRTQ_SIZE && tx_free_count < VIRTQ_SIZE)
			tx_free[tx_free_count++] = id;
}

bool virtio_net_send(const void *const *parts, const size_t *lens, unsigned count)
{
	size_t total = 0;
	uint16_t id;
	uint8_t *p;

	for (unsigned i = 0; i < count; i++)
		total += lens[i];
	if (total > VIRTIO_NET_FRAME_MAX)
		return false;
	if (!tx_free_count) {
		reap_tx(); /* only that: receiving here would re-enter the network stack */
		if (!tx_free_count) {
			dev.stats.tx_full++;
			return false;
		}
	}
	id = tx_free[--tx_free_count];
	p = tx_buf[id];
	memset(p, 0, NET_HDR_SIZE);
	p += NET_HDR_SIZE;
	for (unsigned i = 0; i < count; i++) {
		memcpy(p, parts[i], lens[i]);
		p += lens[i];
	}
	txq.desc[id] = (struct virtq_desc){ .addr = (uintptr_t)tx_buf[id],
					    .len = (uint32_t)(NET_HDR_SIZE + total) };
	virtq_offer(&txq, id);
	notify(TXQ, &txq);
	dev.stats.tx_frames++;
	return true;
}

unsigned virtio_net_poll(void)
{
	unsigned frames = 0;
	uint16_t id;
	uint32_t len;

	reap_tx();
	while (virtq_take_used(&rxq, &id, &len)) {
		if (id >= VIRTQ_SIZE)
			continue; /* a device bug: never touch a buffer it cannot own */
		if (len > NET_HDR_SIZE && len <= BUF_SIZE)
			dev.rx(dev.ctx, rx_buf[id] + NET_HDR_SIZE, len - NET_HDR_SIZE);
		virtq_offer(&rxq, id); /* recycled at once */
		frames++;
	}
	if (frames) {
		notify(RXQ, &rxq);
		dev.stats.rx_frames += frames;
	}
	return frames;
}

bool virtio_net_wait_arm(void)
{
	virtq_interrupts(&rxq, true);
	/* A frame that came before the device saw the request raises nothing: look again. */
	if (*(volatile uint16_t *)&rxq.used.idx != rxq.last_used) {
		virtq_interrupts(&rxq, false);
		return false;
	}
	return true;
}

void virtio_net_wait_done(void) { virtq_interrupts(&rxq, false); }

void virtio_net_irq_ack(void)
{
	virtio_mmio_irq_ack(&dev.mmio);
	dev.stats.irqs++;
}

void virtio_net_stats(struct virtio_net_stats *s) { *s = dev.stats; }

bool virtio_net_tx_idle(void)
{
	reap_tx();
	return tx_free_count == VIRTQ_SIZE;
}
