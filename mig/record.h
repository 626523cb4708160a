/* SPDX-License-Identifier: Apache-2.0 */
/**
 * Records of the migration stream and of its return path
 * (docs/migration-protocol.md): self-delimiting, little-endian
 *
 *     u16 type, u16 flags, u32 length, length bytes of payload
 *
 * The length is checked against MIG_RECORD_MAX and what was received
 * before a single payload byte is read.
 */
#ifndef MIG_RECORD_H
#define MIG_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mig/wire.h"

#define MIG_RECORD_HEADER_SIZE 8
/**
 * EPOCH: u64 session, u64 message number, u64 epoch, u64 lease ns, u64
 * fencing ns, u64 epoch ns, u8 flags (MIG_EPOCH_LEASED, MIG_EPOCH_MANUAL,
 * MIG_EPOCH_REPROTECT). Without MIG_CAP_PROTECT_AGAIN agreed, the first
 * form: no epoch ns, and no MIG_EPOCH_REPROTECT.
 */
#define MIG_EPOCH_BYTES	    49u
#define MIG_EPOCH_V1_BYTES  41u
#define MIG_EPOCH_LEASED    1u /**< the primary held a lease when it sent it */
#define MIG_EPOCH_MANUAL    2u /**< takeover=manual: the standby runs it only when told */
#define MIG_EPOCH_REPROTECT 4u /**< after a takeover the standby protects the VM back */
/** EPOCH_ACK: u64 session, u64 message number, u64 epoch committed (0: none by it). */
#define MIG_EPOCH_ACK_BYTES 24u
/** HEARTBEAT: u64 session, u64 message number, u8 leased. */
#define MIG_HEARTBEAT_BYTES 17u
/**
 * OUTPUT: the guest's console lines of one checkpoint, each a u8 length
 * and its bytes; at most this many bytes in all (1 at least).
 */
#define MIG_OUTPUT_MAX 4096u
/** Largest payload: a RAM batch of 256 pages with their addresses, or a device package. */
#define MIG_RECORD_MAX (2u << 20)

enum mig_record_type {
	/* main stream, source to destination */
	MIG_REC_HELLO = 0x0001,
	MIG_REC_RAM = 0x0010,	    /**< a batch of pages */
	MIG_REC_ROUND_END = 0x0011, /**< end of a precopy round */
	MIG_REC_CLOCK = 0x0012,	    /**< u64 the source's clock: how far apart the clocks are */
	MIG_REC_DEVICE_PACKAGE = 0x0020,
	MIG_REC_DRY_RUN = 0x0021, /**< u64 the source's clock, filler: the package's size */
	MIG_REC_PING = 0x0030,
	MIG_REC_RUN = 0x0031,
	MIG_REC_CANCEL = 0x0032,
	MIG_REC_POSTCOPY_DISCARD = 0x0040, /**< pages the destination must fetch (chunks) */
	MIG_REC_RECONNECT = 0x0050,	   /**< a new link to the same destination */
	MIG_REC_FRAMES =
		0x0060, /**< the guest's network frames that reached the source (engine.h) */
	MIG_REC_END = 0x003f,
	/* protection (docs/protection.md), primary to standby */
	MIG_REC_EPOCH = 0x0070,	    /**< a checkpoint begins (MIG_EPOCH_BYTES) */
	MIG_REC_EPOCH_END = 0x0071, /**< u64 the checkpoint's epoch: it is whole */
	MIG_REC_HEARTBEAT = 0x0072, /**< u64 session, u64 message number, u8 leased */
	MIG_REC_OUTPUT = 0x0073,    /**< the checkpoint's console lines (MIG_OUTPUT_MAX) */
	/* return path, destination to source */
	MIG_REC_ACCEPT = 0x8001,
	MIG_REC_REFUSE = 0x8002,
	MIG_REC_PONG = 0x8030,
	MIG_REC_VM_STARTED = 0x8031,
	MIG_REC_SWITCHOVER_ACK = 0x8032,
	MIG_REC_CLOCK_REPLY = 0x8012,  /**< u64 the CLOCK's value, u64 the destination's clock */
	MIG_REC_DRY_RUN_DONE = 0x8021, /**< u64 the DRY_RUN's value, u64 the destination's ns */
	MIG_REC_REQ_PAGES = 0x8040,
	MIG_REC_RECV_BITMAP = 0x8041,
	MIG_REC_STATUS = 0x8050, /**< answer to RECONNECT: the destination's state */
	/** u64 session, u64 message number, u64 epoch committed (0: a heartbeat's) */
	MIG_REC_EPOCH_ACK = 0x8070,
	MIG_REC_RELEASED = 0x8071, /**< u64 session: the standby dropped its copy, never runs it */
	MIG_REC_ERROR = 0x80ff,
};

struct mig_record {
	uint16_t type;
	uint16_t flags;
	uint32_t length;
	struct mig_reader payload;
};

/** Appends a record (header and payload). */
void mig_record_put(struct mig_writer *w, uint16_t type, uint16_t flags, const void *payload,
		    uint32_t length);

/**
 * Reads the next record from r. Returns false when r does not yet hold a
 * whole record (more bytes needed) or the record is malformed; *bad is
 * set in the second case (a length over MIG_RECORD_MAX).
 */
bool mig_record_get(struct mig_reader *r, struct mig_record *rec, bool *bad);

/**
 * Where the first record of type begins among whole records laid out back
 * to back in buf (one send of several); len when none is, or when buf is
 * not whole records from end to end (a long payload sent apart).
 */
size_t mig_record_find(const void *buf, size_t len, uint16_t type);

/** The record type's name, for messages ("HELLO", ...), or "unknown". */
const char *mig_record_name(uint16_t type);

#endif
