/* SPDX-License-Identifier: Apache-2.0 */
/**
 * A byte stream under the TLS layer: lwIP TCP on a board, a socket on the
 * host. Non-blocking; `pump` moves the stream along (on a board it polls
 * the network device and runs lwIP's timers) and waits up to timeout_ms
 * for something to happen.
 */
#ifndef LINK_LINK_IO_H
#define LINK_LINK_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct link_io_ops {
	/** Bytes taken (> 0), 0 when it would block, -1 when the stream is gone. */
	int (*send)(void *ctx, const uint8_t *buf, size_t len);
	/** Bytes read (> 0), 0 when none are there yet, -1 when the stream is gone. */
	int (*recv)(void *ctx, uint8_t *buf, size_t len);
	/** Moves the stream along; waits up to timeout_ms for room (writing) or bytes. */
	void (*pump)(void *ctx, unsigned timeout_ms, bool writing);
	/** A monotonic clock in milliseconds. */
	uint64_t (*now_ms)(void *ctx);
};

struct link_io {
	const struct link_io_ops *ops;
	void *ctx;
};

#endif
