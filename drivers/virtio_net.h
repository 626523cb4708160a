/* SPDX-License-Identifier: Apache-2.0 */
/**
 * virtio-net over the virtio-mmio transport, version 2 (Virtio 1.1
 * sections 4.2 and 5.1): the board's network devices, the board-to-board
 * link's and the guests' LAN port. Frames go out and come in whole (no
 * offloads, no merged buffers); every receive buffer stays posted so the
 * device never waits for the driver. The buffers' number and size are the
 * user's (the link carries jumbo frames, the guests' LAN Ethernet's).
 */
#ifndef DRIVERS_VIRTIO_NET_H
#define DRIVERS_VIRTIO_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drivers/virtio_mmio.h"

#define VIRTIO_NET_FRAME_MAX 1518u /* with an 802.1Q tag, without the FCS */
/* struct virtio_net_hdr with VIRTIO_F_VERSION_1 (Virtio 1.1 section 5.1.6) */
#define VIRTIO_NET_HDR_BYTES 12u
/** One buffer for frames up to frame_max, in whole cache lines. */
#define VIRTIO_NET_BUF_BYTES(frame_max) (((frame_max) + VIRTIO_NET_HDR_BYTES + 63u) & ~63u)
/** The storage of `count` receive and as many transmit buffers. */
#define VIRTIO_NET_STORAGE_BYTES(frame_max, count) (2u * (count)*VIRTIO_NET_BUF_BYTES(frame_max))

/**
 * A device's buffers, kept by its user: `count` (at most VIRTQ_SIZE)
 * receive and as many transmit ones, each for a frame of up to frame_max
 * bytes, in VIRTIO_NET_STORAGE_BYTES(frame_max, count) bytes at `mem`
 * (64-byte aligned). A frame larger than its buffers is refused whole.
 */
struct virtio_net_bufs {
	uint8_t *mem;
	uint32_t frame_max;
	uint16_t count;
};

/** Where received frames go (called from virtio_net_poll). */
typedef void (*virtio_net_rx_fn)(void *ctx, const uint8_t *frame, size_t len);

/** Counters for the link benchmark. */
struct virtio_net_stats {
	uint64_t rx_frames, tx_frames, tx_full, notifies, irqs;
};

/** One device (its rings take some 20 KiB: keep it in static storage). */
struct virtio_net {
	struct virtq rxq, txq;
	uint8_t *rx_mem, *tx_mem;
	uint32_t buf_bytes, frame_max;
	uint16_t buf_count;
	uint16_t tx_free[VIRTQ_SIZE], tx_free_count;
	/* The transmit buffers the device holds: one it returns twice is freed once. */
	bool tx_busy[VIRTQ_SIZE];
	struct virtio_mmio mmio;
	virtio_net_rx_fn rx;
	void *ctx;
	uint8_t mac[6];
	struct virtio_net_stats stats;
};

/**
 * Starts the virtio-net device at `base` (one virtio-mmio slot); false
 * with the reason when there is none or it refuses what Ferry needs.
 */
bool virtio_net_init(struct virtio_net *d, uintptr_t base, const struct virtio_net_bufs *bufs,
		     virtio_net_rx_fn rx, void *ctx, char *err, size_t err_size);

/** The device's MAC address. */
void virtio_net_mac(const struct virtio_net *d, uint8_t mac[6]);

/**
 * Queues one frame (gathered from `parts`); false when every transmit
 * buffer is in flight (poll, then try again) or it is too long.
 */
bool virtio_net_send(struct virtio_net *d, const void *const *parts, const size_t *lens,
		     unsigned count);

/** Hands received frames to rx and recycles finished transmit buffers; frames delivered. */
unsigned virtio_net_poll(struct virtio_net *d);

/**
 * As virtio_net_poll, at most max frames: the rest stay in the device's
 * ring, and while it is full the device keeps what comes (QEMU stops
 * reading its network), so a receiver that cannot take more loses nothing.
 */
unsigned virtio_net_poll_max(struct virtio_net *d, unsigned max);

/**
 * Before the CPU sleeps: asks for an interrupt on the next received frame;
 * false when one is already there (do not sleep). virtio_net_wait_done
 * after waking: back to polling without interrupts.
 */
bool virtio_net_wait_arm(struct virtio_net *d);
void virtio_net_wait_done(struct virtio_net *d);

/** Acknowledges the device's interrupt (from its handler). */
void virtio_net_irq_ack(struct virtio_net *d);

void virtio_net_stats(const struct virtio_net *d, struct virtio_net_stats *s);

/**
 * True when the device has used every frame handed to it. A transmit
 * buffer is used once the frame left for the wire (or its back end took it
 * to send later), so frames sent before this is true survive the board
 * powering off (Virtio 1.1 section 2.6.8: the device returns a buffer when
 * it is done with it).
 */
bool virtio_net_tx_idle(struct virtio_net *d);

#endif
