/* SPDX-License-Identifier: Apache-2.0 */
/** The guest's virtio-net registers, see vnet.h; register map from Virtio 1.1 section 4.2.2. */
#include "hyp/vnet.h"

#include <string.h>

#define MAGIC_VALUE	    0x000
#define VERSION		    0x004
#define DEVICE_ID	    0x008
#define VENDOR_ID	    0x00c
#define DEVICE_FEATURES	    0x010
#define DEVICE_FEATURES_SEL 0x014
#define DRIVER_FEATURES	    0x020
#define DRIVER_FEATURES_SEL 0x024
#define QUEUE_SEL	    0x030
#define QUEUE_NUM_MAX	    0x034
#define QUEUE_NUM	    0x038
#define QUEUE_READY	    0x044
#define QUEUE_NOTIFY	    0x050
#define INTERRUPT_STATUS    0x060
#define INTERRUPT_ACK	    0x064
#define STATUS		    0x070
#define QUEUE_DESC_LOW	    0x080
#define QUEUE_DESC_HIGH	    0x084
#define QUEUE_DRIVER_LOW    0x090
#define QUEUE_DRIVER_HIGH   0x094
#define QUEUE_DEVICE_LOW    0x0a0
#define QUEUE_DEVICE_HIGH   0x0a4
#define CONFIG_GENERATION   0x0fc
#define CONFIG		    0x100

#define MAGIC	     0x74726976u /* "virt" */
#define ID_NET	     1u
#define VENDOR	     0x46455259u /* "FERY" */
#define CONFIG_BYTES 6u		 /* struct virtio_net_config up to mac (section 5.1.4) */
#define REGION_BYTES 0x200u

void vnet_init(struct vnet *n, const uint8_t mac[6])
{
	memset(n, 0, sizeof(*n));
	memcpy(n->mac, mac, 6);
}

void vnet_reset(struct vnet *n)
{
	uint8_t mac[6];
	struct vnet_stats stats = n->stats;

	memcpy(mac, n->mac, 6);
	vnet_init(n, mac);
	n->stats = stats;
}

bool vnet_live(const struct vnet *n)
{
	uint32_t need = VNET_S_FEATURES_OK | VNET_S_DRIVER_OK;

	return (n->status & need) == need && !(n->status & (VNET_S_NEEDS_RESET | VNET_S_FAILED));
}

static struct vnet_queue *selected(struct vnet *n)
{
	return n->queue_sel < 2 ? &n->q[n->queue_sel] : NULL;
}

static uint32_t reg_read(struct vnet *n, uint64_t off)
{
	struct vnet_queue *q = selected(n);

	switch (off) {
	case MAGIC_VALUE:
		return MAGIC;
	case VERSION:
		return 2;
	case DEVICE_ID:
		return ID_NET;
	case VENDOR_ID:
		return VENDOR;
	case DEVICE_FEATURES:
		return n->device_features_sel < 2
			       ? (uint32_t)(VNET_FEATURES >> (32 * n->device_features_sel))
			       : 0;
	case QUEUE_NUM_MAX:
		return q ? VNET_QUEUE_MAX : 0; /* 0: no such queue */
	case QUEUE_READY:
		return q && q->ready;
	case INTERRUPT_STATUS:
		return n->isr;
	case STATUS:
		return n->status;
	case CONFIG_GENERATION:
		return 0; /* the configuration never changes */
	default:
		return 0; /* write-only and reserved registers read as zero */
	}
}

/* Queue set-up is taken only while the queue is off (section 4.2.3.2). */
static void queue_write(struct vnet_queue *q, uint64_t off, uint32_t v)
{
	uint64_t *addr;

	if (!q || q->ready)
		return;
	switch (off & ~4ull) {
	case QUEUE_DESC_LOW:
		addr = &q->desc;
		break;
	case QUEUE_DRIVER_LOW:
		addr = &q->avail;
		break;
	case QUEUE_DEVICE_LOW:
		addr = &q->used;
		break;
	default:
		/* More than the device offers is not taken (the driver must not, 4.2.3.2). */
		if (off == QUEUE_NUM && v <= VNET_QUEUE_MAX)
			q->num = v;
		return;
	}
	if (off & 4)
		*addr = (*addr & 0xffffffffull) | (uint64_t)v << 32;
	else
		*addr = (*addr & ~0xffffffffull) | v;
}

/*
 * QueueReady = 1 is refused (the queue stays off) unless its size is a
 * power of two the device offers and its parts are aligned as section
 * 2.6 requires; whether they lie in RAM is checked on every use.
 */
static void queue_ready(struct vnet_queue *q, uint32_t v)
{
	if (!v) {
		q->ready = false;
		return;
	}
	if (!q->num || q->num > VNET_QUEUE_MAX || (q->num & (q->num - 1)) || (q->desc & 15) ||
	    (q->avail & 1) || (q->used & 3))
		return;
	q->ready = true;
	q->last_avail = q->used_idx = 0;
}

/*
 * FEATURES_OK holds only for features the device offered, VERSION_1 among
 * them (section 3.1.1: the driver reads it back to learn the answer).
 */
static void status_write(struct vnet *n, uint32_t v)
{
	if (!v) {
		vnet_reset(n);
		return;
	}
	if ((v & VNET_S_FEATURES_OK) && !(n->status & VNET_S_FEATURES_OK) &&
	    ((n->driver_features & ~VNET_FEATURES) || !(n->driver_features & VNET_F_VERSION_1)))
		v &= ~VNET_S_FEATURES_OK;
	/* The driver only sets bits (section 2.1); NEEDS_RESET is the device's. */
	n->status |= v & (VNET_S_ACKNOWLEDGE | VNET_S_DRIVER | VNET_S_DRIVER_OK |
			  VNET_S_FEATURES_OK | VNET_S_FAILED);
}

static void reg_write(struct vnet *n, uint64_t off, uint32_t v)
{
	switch (off) {
	case DEVICE_FEATURES_SEL:
		n->device_features_sel = v;
		return;
	case DRIVER_FEATURES:
		if (n->driver_features_sel < 2 && !(n->status & VNET_S_FEATURES_OK)) {
			unsigned shift = 32 * n->driver_features_sel;

			n->driver_features = (n->driver_features & ~(0xffffffffull << shift)) |
					     (uint64_t)v << shift;
		}
		return;
	case DRIVER_FEATURES_SEL:
		n->driver_features_sel = v;
		return;
	case QUEUE_SEL:
		n->queue_sel = v;
		return;
	case QUEUE_READY:
		if (selected(n))
			queue_ready(selected(n), v);
		return;
	case QUEUE_NOTIFY:
		if (v < 2)
			n->kicked[v] = true;
		return;
	case INTERRUPT_ACK:
		n->isr &= ~v;
		return;
	case STATUS:
		status_write(n, v);
		return;
	default:
		queue_write(selected(n), off, v);
		return;
	}
}

bool vnet_mmio(void *device, struct mmio_access *a)
{
	struct vnet *n = device;

	if (a->offset >= REGION_BYTES || (a->offset & (a->size - 1)))
		return false;
	/* The configuration space: any width within it (section 4.2.2.2), read-only here. */
	if (a->offset >= CONFIG) {
		uint64_t at = a->offset - CONFIG;

		if (a->write)
			return true; /* nothing in it is the driver's to write */
		if (a->size > 4)
			return false;
		a->value = 0;
		for (unsigned i = 0; i < a->size; i++)
			if (at + i < CONFIG_BYTES)
				a->value |= (uint64_t)n->mac[at + i] << (8 * i);
		return true;
	}
	/* The registers: 32-bit accesses only (section 4.2.2.2). */
	if (a->size != 4)
		return false;
	if (a->write)
		reg_write(n, a->offset, (uint32_t)a->value);
	else
		a->value = reg_read(n, a->offset);
	return true;
}
