/* SPDX-License-Identifier: Apache-2.0 */
/**
 * virtio-net over the virtio-mmio transport, version 2 (Virtio 1.1
 * sections 4.2 and 5.1): the board-to-board link's network device. Frames
 * go out and come in whole (no offloads, no merged buffers); 256 receive
 * buffers stay posted so the device never waits for the driver.
 */
#ifndef DRIVERS_VIRTIO_NET_H
#define DRIVERS_VIRTIO_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VIRTIO_NET_FRAME_MAX 1514u

/** Where received frames go (called from virtio_net_poll). */
typedef void (*virtio_net_rx_fn)(void *ctx, const uint8_t *frame, size_t len);

/**
 * Finds and starts the virtio-net device at `base` (one virtio-mmio slot);
 * false with the reason when there is none or it refuses what Ferry needs.
 */
bool virtio_net_init(uintptr_t base, virtio_net_rx_fn rx, void *ctx, char *err, size_t err_size);

/** The device's MAC address. */
void virtio_net_mac(uint8_t mac[6]);

/**
 * Queues one frame (gathered from `parts`); false when every transmit
 * buffer is in flight (poll, then try again) or it is too long.
 */
bool virtio_net_send(const void *const *parts, const size_t *lens, unsigned count);

/** Hands received frames to rx and recycles finished transmit buffers; frames delivered. */
unsigned virtio_net_poll(void);

/**
 * Before the CPU sleeps: asks for an interrupt on the next received frame;
 * false when one is already there (do not sleep). virtio_net_wait_done
 * after waking: back to polling without interrupts.
 */
bool virtio_net_wait_arm(void);
void virtio_net_wait_done(void);

/** Acknowledges the device's interrupt (from its handler). */
void virtio_net_irq_ack(void);

/** Counters for the link benchmark. */
struct virtio_net_stats {
	uint64_t rx_frames, tx_frames, tx_full, notifies, irqs;
};
void virtio_net_stats(struct virtio_net_stats *s);

/**
 * True when the device has used every frame handed to it. A transmit
 * buffer is used once the frame left for the wire (or its back end took it
 * to send later), so frames sent before this is true survive the board
 * powering off (Virtio 1.1 section 2.6.8: the device returns a buffer when
 * it is done with it).
 */
bool virtio_net_tx_idle(void);

#endif
