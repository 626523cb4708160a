/* SPDX-License-Identifier: Apache-2.0 */
/**
 * virtio-console over virtio-mmio (Virtio 1.1 section 5.3), one port: the
 * board's management channel, a byte stream of its own beside the console
 * the guest writes to. Polled. With MULTIPORT (section 5.3.6.2), which
 * QEMU offers, the device says when a client connects or leaves on the host
 * side (PORT_OPEN): what is written while nobody listens is dropped there.
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

/** Reads the device's control messages: 1 a client connected, -1 it left, 0 no change. */
int virtio_console_poll_host(void);

/** Whether a client is connected on the host side (always, without MULTIPORT). */
bool virtio_console_host_open(void);
/** True when the device says whether a client is there (MULTIPORT): host_open means it. */
bool virtio_console_tells_host(void);

#endif
