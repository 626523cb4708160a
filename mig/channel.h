/* SPDX-License-Identifier: Apache-2.0 */
/**
 * A byte channel between the two boards (the TLS link on a board, a
 * socketpair in host tests), and whole records over it.
 */
#ifndef MIG_CHANNEL_H
#define MIG_CHANNEL_H

#include <stddef.h>
#include <stdint.h>

#include "mig/record.h"

struct mig_channel_ops {
	/** Sends all of buf; 0, or -1 when the channel is broken. */
	int (*send)(void *ctx, const void *buf, size_t len);
	/** Receives exactly len bytes; 0, -1 broken, -2 timed out. */
	int (*recv)(void *ctx, void *buf, size_t len, unsigned timeout_ms);
	/** Waits up to timeout_ms for bytes to read: 1 there are, 0 none yet, -1 broken. */
	int (*wait)(void *ctx, unsigned timeout_ms);
	/**
	 * Optional: send, broken once nothing moved for stall_ms (send's own
	 * bound is the link's). Protection bounds it by its lease.
	 */
	int (*send_within)(void *ctx, const void *buf, size_t len, unsigned stall_ms);
};

struct mig_channel {
	const struct mig_channel_ops *ops;
	void *ctx;
};

enum mig_chan_status {
	MIG_CHAN_OK = 0,
	MIG_CHAN_BROKEN = -1,
	MIG_CHAN_TIMEOUT = -2,
	MIG_CHAN_BAD = -3
};

/** Lays out a record's header (MIG_RECORD_HEADER_SIZE bytes) at buf. */
void mig_chan_header(uint8_t *buf, uint16_t type, uint16_t flags, uint32_t length);

/** Sends records laid out back to back (mig_chan_header) in one send: one push. */
int mig_chan_send_laid_out(struct mig_channel *c, const void *records, size_t len);

/** As mig_chan_send_laid_out, broken once nothing moved for stall_ms where the link can say. */
int mig_chan_send_laid_out_within(struct mig_channel *c, const void *records, size_t len,
				  unsigned stall_ms);

/** Sends one record. */
int mig_chan_send(struct mig_channel *c, uint16_t type, uint16_t flags, const void *payload,
		  uint32_t length);

/** 1 when a record (or part of one) waits to be received, 0 not yet, MIG_CHAN_BROKEN. */
int mig_chan_ready(struct mig_channel *c, unsigned timeout_ms);

/** Receives one record into buf (at least MIG_RECORD_MAX bytes); rec->payload points into buf. */
int mig_chan_recv(struct mig_channel *c, void *buf, struct mig_record *rec, unsigned timeout_ms);

/**
 * A link for rehearsing a switchover's code (mig/dest.c, mig/source_switchover.c):
 * it takes every send, is lost at the first read, and a wait answers the
 * int its ctx points to (1: bytes wait; MIG_CHAN_BROKEN).
 */
extern const struct mig_channel_ops mig_rehearsal_link;

#endif
