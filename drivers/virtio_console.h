/* SPDX-License-Identifier: Apache-2.0 */
/**
 * virtio-console over virtio-mmio (Virtio 1.1 section 5.3), one port
 * (no MULTIPORT): the board's management channel, a byte stream of its own
 * beside the console the guest writes to. Polled; the device drops what
 * is written while nobody listens on the host side.
 */
#ifndef DRIVERS_VIRTIO_CONSOLE_H
#define DRIVERS_VIRTIO_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Starts the console device at `base`; false with the reason. */
bool virtio_console_init(uintptr_t base, char *err, size_t err_size);

/** Copies up to `size` received bytes to buf; how many (0: none yet). */
size_t virtio_console_read(void *buf, size_t size);

/** Queues `len` bytes for the host; false when the device took none of it for a while. */
bool virtio_console_write(const void *buf, size_t len);

#endif
