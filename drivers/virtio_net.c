/* SPDX-License-Identifier: Apache-2.0 */
/** virtio-net on virtio-mmio version 2, see virtio_net.h. */
#include "drivers/virtio_net.h"

#include <string.h>

#include "drivers/mmio.h"
#include "drivers/virtqueue.h"
#include "hyp/format.h"

/* virtio-mmio registers (Virtio 1.1 section 4.2.2) */
#define VMMIO_MAGIC	       0x000
#define VMMIO_VERSION	       0x004
#define VMMIO_DEVICE_ID	       0x008
#define VMMIO_DEVICE_FEATURES  0x010
#define VMMIO_DEVICE_FEAT_SEL  0x014
#define VMMIO_DRIVER_FEATURES  0x020
#define VMMIO_DRIVER_FEAT_SEL  0x024
#define VMMIO_QUEUE_SEL	       0x030
#define VMMIO_QUEUE_NUM_MAX    0x034
#define VMMIO_QUEUE_NUM	       0x038
#define VMMIO_QUEUE_READY      0x044
#define VMMIO_QUEUE_NOTIFY     0x050
#define VMMIO_INTERRUPT_STATUS 0x060
#define VMMIO_INTERRUPT_ACK    0x064
#define VMMIO_STATUS	       0x070
#define VMMIO_QUEUE_DESC       0x080
#define VMMIO_QUEUE_DRIVER     0x090
#define VMMIO_QUEUE_DEVICE     0x0a0
#define VMMIO_CONFIG	       0x100

#define VIRTIO_MAGIC	   0x74726976u /* "virt" */
#define VIRTIO_ID_NET	   1u
#define STATUS_ACK	   1u
#define STATUS_DRIVER	   2u
#define STATUS_DRIVER_OK   4u
#define STATUS_FEATURES_OK 8u
#define STATUS_FAILED	   128u

#define VIRTIO_NET_F_MAC	(1ull << 5)
#define VIRTIO_RING_F_EVENT_IDX (1ull << 29)
#define VIRTIO_F_VERSION_1	(1ull << 32)

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
	uintptr_t base;
	virtio_net_rx_fn rx;
	void *ctx;
	uint8_t mac[6];
	struct virtio_net_stats stats;
} dev;

static uint32_t rd(uint32_t off) { return mmio_read32(dev.base + off); }
static void wr(uint32_t off, uint32_t v) { mmio_write32(dev.base + off, v); }

static void notify(uint32_t queue, struct virtq *q)
{
	if (virtq_need_notify(q)) {
		/* The ring index is in memory before the doorbell rings. */
		__asm__ volatile("dsb st" ::: "memory");
		wr(VMMIO_QUEUE_NOTIFY, queue);
		dev.stats.notifies++;
	}
}

static bool setup_queue(uint32_t index, struct virtq *q, char *err, size_t n)
{
	uint64_t desc = (uintptr_t)q->desc, avail = (uintptr_t)&q->avail,
		 used = (uintptr_t)&q->used;

	wr(VMMIO_QUEUE_SEL, index);
	if (rd(VMMIO_QUEUE_READY) || rd(VMMIO_QUEUE_NUM_MAX) < VIRTQ_SIZE) {
		format_snprintf(err, n, "virtio-net queue %u: not free or smaller than %u", index,
				VIRTQ_SIZE);
		return false;
	}
	memset(q, 0, sizeof(*q));
	wr(VMMIO_QUEUE_NUM, VIRTQ_SIZE);
	wr(VMMIO_QUEUE_DESC, (uint32_t)desc);
	wr(VMMIO_QUEUE_DESC + 4, (uint32_t)(desc >> 32));
	wr(VMMIO_QUEUE_DRIVER, (uint32_t)avail);
	wr(VMMIO_QUEUE_DRIVER + 4, (uint32_t)(avail >> 32));
	wr(VMMIO_QUEUE_DEVICE, (uint32_t)used);
	wr(VMMIO_QUEUE_DEVICE + 4, (uint32_t)(used >> 32));
	wr(VMMIO_QUEUE_READY, 1);
	return true;
}

static uint64_t device_features(void)
{
	wr(VMMIO_DEVICE_FEAT_SEL, 0);
	uint64_t lo = rd(VMMIO_DEVICE_FEATURES);
	wr(VMMIO_DEVICE_FEAT_SEL, 1);
	return lo | (uint64_t)rd(VMMIO_DEVICE_FEATURES) << 32;
}

static bool fail(const char *why, char *err, size_t n)
{
	wr(VMMIO_STATUS, rd(VMMIO_STATUS) | STATUS_FAILED);
	format_snprintf(err, n, "virtio-net: %s", why);
	return false;
}

bool virtio_net_init(uintptr_t base, virtio_net_rx_fn rx, void *ctx, char *err, size_t n)
{
	uint64_t want = VIRTIO_F_VERSION_1 | VIRTIO_NET_F_MAC, have;

	dev.base = base;
	dev.rx = rx;
	dev.ctx = ctx;
	if (rd(VMMIO_MAGIC) != VIRTIO_MAGIC || rd(VMMIO_DEVICE_ID) != VIRTIO_ID_NET) {
		format_snprintf(err, n, "no virtio-net device at 0x%lx", (unsigned long)base);
		return false;
	}
	if (rd(VMMIO_VERSION) != 2) {
		format_snprintf(err, n,
				"virtio-net at 0x%lx is a legacy device (QEMU needs "
				"-global virtio-mmio.force-legacy=false)",
				(unsigned long)base);
		return false;
	}
	/* Initialization sequence, Virtio 1.1 section 3.1.1. */
	wr(VMMIO_STATUS, 0);
	wr(VMMIO_STATUS, STATUS_ACK);
	wr(VMMIO_STATUS, STATUS_ACK | STATUS_DRIVER);
	have = device_features();
	if ((have & want) != want)
		return fail("the device lacks VERSION_1 or MAC", err, n);
	/* Fewer doorbells and interrupts where the device offers it. */
	want |= have & VIRTIO_RING_F_EVENT_IDX;
	wr(VMMIO_DRIVER_FEAT_SEL, 0);
	wr(VMMIO_DRIVER_FEATURES, (uint32_t)want);
	wr(VMMIO_DRIVER_FEAT_SEL, 1);
	wr(VMMIO_DRIVER_FEATURES, (uint32_t)(want >> 32));
	wr(VMMIO_STATUS, STATUS_ACK | STATUS_DRIVER | STATUS_FEATURES_OK);
	if (!(rd(VMMIO_STATUS) & STATUS_FEATURES_OK))
		return fail("the device refused the features", err, n);
	if (!setup_queue(RXQ, &rxq, err, n) || !setup_queue(TXQ, &txq, err, n))
		return fail("queue set-up failed", err, n);
	rxq.event_idx = txq.event_idx = want & VIRTIO_RING_F_EVENT_IDX;
	virtq_interrupts(&txq, false); /* finished transmissions are reaped by polling */
	for (unsigned i = 0; i < 6; i++)
		dev.mac[i] = mmio_read8(base + VMMIO_CONFIG + i);
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
	wr(VMMIO_STATUS, STATUS_ACK | STATUS_DRIVER | STATUS_FEATURES_OK | STATUS_DRIVER_OK);
	wr(VMMIO_QUEUE_NOTIFY, RXQ); /* the receive buffers are there */
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
	wr(VMMIO_INTERRUPT_ACK, rd(VMMIO_INTERRUPT_STATUS));
	dev.stats.irqs++;
}

void virtio_net_stats(struct virtio_net_stats *s) { *s = dev.stats; }
