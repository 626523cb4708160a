/* SPDX-License-Identifier: Apache-2.0 */
/**
 * A split virtqueue (Virtio 1.1 section 2.6): descriptor table, driver
 * (available) ring and device (used) ring, in memory the device reads and
 * writes. One descriptor a buffer: Ferry's buffers are whole frames.
 */
#ifndef DRIVERS_VIRTQUEUE_H
#define DRIVERS_VIRTQUEUE_H

#include <stdbool.h>
#include <stdint.h>

#define VIRTQ_SIZE		   256u
#define VIRTQ_DESC_F_WRITE	   2u /**< the device writes the buffer */
#define VIRTQ_USED_F_NO_NOTIFY	   1u
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1u

struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct virtq_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[VIRTQ_SIZE];
	uint16_t used_event;
};

struct virtq_used_elem {
	uint32_t id;
	uint32_t len;
};

struct virtq_used {
	uint16_t flags;
	uint16_t idx;
	struct virtq_used_elem ring[VIRTQ_SIZE];
	uint16_t avail_event;
};

struct virtq {
	struct virtq_desc desc[VIRTQ_SIZE] __attribute__((aligned(4096)));
	struct virtq_avail avail __attribute__((aligned(64)));
	struct virtq_used used __attribute__((aligned(4096)));
	uint16_t last_used; /**< next used entry the driver looks at */
	uint16_t in_flight;
	uint16_t notified_idx; /**< avail.idx when the device was last notified */
	bool event_idx;	       /**< VIRTIO_RING_F_EVENT_IDX negotiated */
};

/** Offers descriptor `id` (already filled) to the device. */
void virtq_offer(struct virtq *q, uint16_t id);

/** Takes the next used buffer: true with its descriptor id and written length. */
bool virtq_take_used(struct virtq *q, uint16_t *id, uint32_t *len);

/**
 * True when the device must be notified of the buffers offered since the
 * last notification (its avail_event with EVENT_IDX, Virtio 1.1 section
 * 2.6.7.2; else its NO_NOTIFY flag); the caller then rings the doorbell.
 */
bool virtq_need_notify(struct virtq *q);

/**
 * Asks for an interrupt on the next used buffer (on) or for none while the
 * driver polls (off). With on, check for used buffers again afterwards:
 * one may have come before the device saw the request.
 */
void virtq_interrupts(struct virtq *q, bool on);

#endif
