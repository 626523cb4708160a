/* SPDX-License-Identifier: Apache-2.0 */
/** The virtio-mmio transport, see virtio_mmio.h. */
#include "drivers/virtio_mmio.h"

#include <string.h>

#include "drivers/mmio.h"
#include "lib/format.h"

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
#define STATUS_ACK	   1u
#define STATUS_DRIVER	   2u
#define STATUS_DRIVER_OK   4u
#define STATUS_FEATURES_OK 8u
#define STATUS_FAILED	   128u

static uint32_t rd(const struct virtio_mmio *d, uint32_t off) { return mmio_read32(d->base + off); }

static void wr(const struct virtio_mmio *d, uint32_t off, uint32_t v)
{
	mmio_write32(d->base + off, v);
}

int virtio_mmio_find(uintptr_t base, uintptr_t stride, unsigned count, uint32_t device_id)
{
	for (int slot = (int)count - 1; slot >= 0; slot--) {
		uintptr_t at = base + (uintptr_t)slot * stride;

		if (mmio_read32(at + VMMIO_MAGIC) == VIRTIO_MAGIC &&
		    mmio_read32(at + VMMIO_DEVICE_ID) == device_id)
			return slot;
	}
	return -1;
}

static uint64_t fail(struct virtio_mmio *d, const char *why, char *err, size_t n)
{
	wr(d, VMMIO_STATUS, rd(d, VMMIO_STATUS) | STATUS_FAILED);
	format_snprintf(err, n, "%s: %s", d->what, why);
	return 0;
}

uint64_t virtio_mmio_begin(struct virtio_mmio *d, uint32_t device_id, uint64_t need, uint64_t want,
			   char *err, size_t n)
{
	uint64_t have;

	if (rd(d, VMMIO_MAGIC) != VIRTIO_MAGIC || rd(d, VMMIO_DEVICE_ID) != device_id) {
		format_snprintf(err, n, "no %s device at 0x%lx", d->what, (unsigned long)d->base);
		return 0;
	}
	if (rd(d, VMMIO_VERSION) != 2) {
		format_snprintf(err, n,
				"%s at 0x%lx is a legacy device (QEMU needs "
				"-global virtio-mmio.force-legacy=false)",
				d->what, (unsigned long)d->base);
		return 0;
	}
	/* Initialization sequence, Virtio 1.1 section 3.1.1. */
	wr(d, VMMIO_STATUS, 0);
	wr(d, VMMIO_STATUS, STATUS_ACK);
	wr(d, VMMIO_STATUS, STATUS_ACK | STATUS_DRIVER);
	wr(d, VMMIO_DEVICE_FEAT_SEL, 0);
	have = rd(d, VMMIO_DEVICE_FEATURES);
	wr(d, VMMIO_DEVICE_FEAT_SEL, 1);
	have |= (uint64_t)rd(d, VMMIO_DEVICE_FEATURES) << 32;
	if ((have & need) != need)
		return fail(d, "the device lacks a feature Ferry needs", err, n);
	need |= have & want;
	wr(d, VMMIO_DRIVER_FEAT_SEL, 0);
	wr(d, VMMIO_DRIVER_FEATURES, (uint32_t)need);
	wr(d, VMMIO_DRIVER_FEAT_SEL, 1);
	wr(d, VMMIO_DRIVER_FEATURES, (uint32_t)(need >> 32));
	wr(d, VMMIO_STATUS, STATUS_ACK | STATUS_DRIVER | STATUS_FEATURES_OK);
	if (!(rd(d, VMMIO_STATUS) & STATUS_FEATURES_OK))
		return fail(d, "the device refused the features", err, n);
	return need;
}

bool virtio_mmio_queue(struct virtio_mmio *d, uint32_t index, struct virtq *q, char *err, size_t n)
{
	uint64_t desc = (uintptr_t)q->desc, avail = (uintptr_t)&q->avail,
		 used = (uintptr_t)&q->used;

	wr(d, VMMIO_QUEUE_SEL, index);
	if (rd(d, VMMIO_QUEUE_READY) || rd(d, VMMIO_QUEUE_NUM_MAX) < VIRTQ_SIZE) {
		fail(d, "a queue is not free or is too small", err, n);
		return false;
	}
	memset(q, 0, sizeof(*q));
	wr(d, VMMIO_QUEUE_NUM, VIRTQ_SIZE);
	wr(d, VMMIO_QUEUE_DESC, (uint32_t)desc);
	wr(d, VMMIO_QUEUE_DESC + 4, (uint32_t)(desc >> 32));
	wr(d, VMMIO_QUEUE_DRIVER, (uint32_t)avail);
	wr(d, VMMIO_QUEUE_DRIVER + 4, (uint32_t)(avail >> 32));
	wr(d, VMMIO_QUEUE_DEVICE, (uint32_t)used);
	wr(d, VMMIO_QUEUE_DEVICE + 4, (uint32_t)(used >> 32));
	wr(d, VMMIO_QUEUE_READY, 1);
	return true;
}

void virtio_mmio_ready(struct virtio_mmio *d)
{
	wr(d, VMMIO_STATUS, STATUS_ACK | STATUS_DRIVER | STATUS_FEATURES_OK | STATUS_DRIVER_OK);
}

void virtio_mmio_kick(struct virtio_mmio *d, uint32_t index)
{
	/* The ring index is in memory before the doorbell rings. */
	__asm__ volatile("dsb st" ::: "memory");
	wr(d, VMMIO_QUEUE_NOTIFY, index);
}

bool virtio_mmio_notify(struct virtio_mmio *d, uint32_t index, struct virtq *q)
{
	if (!virtq_need_notify(q))
		return false;
	virtio_mmio_kick(d, index);
	return true;
}

uint8_t virtio_mmio_config8(struct virtio_mmio *d, uint32_t offset)
{
	return mmio_read8(d->base + VMMIO_CONFIG + offset);
}

void virtio_mmio_irq_ack(struct virtio_mmio *d)
{
	wr(d, VMMIO_INTERRUPT_ACK, rd(d, VMMIO_INTERRUPT_STATUS));
}
