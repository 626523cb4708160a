/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The virtio-mmio transport, version 2 (Virtio 1.1 section 4.2): finding a
 * device of a given type among a board's slots, the initialization sequence
 * with feature negotiation (section 3.1.1), queue set-up and doorbells.
 * Each device driver (virtio_net.c, virtio_console.c) holds one of these.
 */
#ifndef DRIVERS_VIRTIO_MMIO_H
#define DRIVERS_VIRTIO_MMIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drivers/virtqueue.h"

#define VIRTIO_ID_NET	  1u
#define VIRTIO_ID_CONSOLE 3u

#define VIRTIO_RING_F_EVENT_IDX (1ull << 29)
#define VIRTIO_F_VERSION_1	(1ull << 32)

struct virtio_mmio {
	uintptr_t base;
	const char *what; /**< the device's name in messages, like "virtio-net" */
};

/**
 * The slot among `count` (from `base`, `stride` apart) that holds a device
 * of type `device_id`, scanning from the last (QEMU fills slots from the
 * top); -1 when none does.
 */
int virtio_mmio_find(uintptr_t base, uintptr_t stride, unsigned count, uint32_t device_id);

/**
 * Resets the device at d->base and negotiates: `need` must all be offered,
 * `want` are taken where offered. The features agreed, or 0 with the
 * reason in err (the device is then marked FAILED).
 */
uint64_t virtio_mmio_begin(struct virtio_mmio *d, uint32_t device_id, uint64_t need, uint64_t want,
			   char *err, size_t err_size);

/** Gives queue `index` (empty, VIRTQ_SIZE entries) to the device. */
bool virtio_mmio_queue(struct virtio_mmio *d, uint32_t index, struct virtq *q, char *err,
		       size_t err_size);

/** DRIVER_OK: the device may use its queues. */
void virtio_mmio_ready(struct virtio_mmio *d);

/** Rings queue `index`'s doorbell if the device asked for it (virtq_need_notify). */
bool virtio_mmio_notify(struct virtio_mmio *d, uint32_t index, struct virtq *q);

/** Rings the doorbell unconditionally. */
void virtio_mmio_kick(struct virtio_mmio *d, uint32_t index);

/** A byte of the device-specific configuration space. */
uint8_t virtio_mmio_config8(struct virtio_mmio *d, uint32_t offset);

/** Acknowledges every pending interrupt cause. */
void virtio_mmio_irq_ack(struct virtio_mmio *d);

#endif
