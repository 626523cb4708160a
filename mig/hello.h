/* SPDX-License-Identifier: Apache-2.0 */
/**
 * HELLO: what the source is and what it will send, checked by the
 * destination before any data moves (docs/migration-protocol.md, "HELLO").
 * The destination answers ACCEPT with the capabilities both have, or
 * REFUSE with the reason.
 */
#ifndef MIG_HELLO_H
#define MIG_HELLO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mig/id_compat.h"
#include "mig/wire.h"

#define MIG_MAGIC	 "FERRYMIG"
#define MIG_PRODUCER_MAX 32

/*
 * The stream format this build writes, and the oldest it reads and writes
 * (docs/migration-protocol.md, "Versions"): a release reads its own and
 * the one before it, and writes the one before for a peer that reads no
 * newer. Format 2 is the first with this window. FERRY_FORMAT_NEXT builds
 * the next release's format as a test of the window: one section at a new
 * version, one new optional subsection (hyp/state_sections.c).
 */
#ifdef FERRY_FORMAT_NEXT
#define MIG_FORMAT_VERSION 3
#define MIG_FORMAT_OLDEST  2
#else
#define MIG_FORMAT_VERSION 2
#define MIG_FORMAT_OLDEST  2
#endif

/** Capabilities, a bit each. */
enum mig_capability {
	MIG_CAP_ZERO_PAGES = 1u << 0,	  /**< zero pages travel as a flag */
	MIG_CAP_POSTCOPY = 1u << 1,	  /**< the destination can run before all RAM arrived */
	MIG_CAP_SWITCHOVER_ACK = 1u << 2, /**< the destination approves the switchover */
	MIG_CAP_VM_STARTED = 1u << 3,	  /**< VM_STARTED on the return path (always required) */
	MIG_CAP_DRY_RUN = 1u << 4,	  /**< the destination times a dry run of its switchover */
	/** HELLO: the source can also write the format before its own. */
	MIG_CAP_FORMAT_WINDOW = 1u << 5,
	/** ACCEPT: write the format before your own (this board reads no newer). */
	MIG_CAP_FORMAT_OLDER = 1u << 6,
	/** Pages mostly of zeroes may travel as their nonzero words (mig/ram_codec.h). */
	MIG_CAP_SPARSE_PAGES = 1u << 7,
	/** DRY_RUN_DONE also says when the stand-in was entered (MIG_DRY_RUN_DONE_ENTRY_BYTES). */
	MIG_CAP_DRY_RUN_ENTRY = 1u << 8,
	/** A page sent before may travel as the words that changed since (mig/ram_codec.h). */
	MIG_CAP_DELTA_PAGES = 1u << 9,
	/** HELLO: protection (a standby's copy, checkpoints); ACCEPT: this board can be one. */
	MIG_CAP_PROTECT = 1u << 10,
	/**
	 * EPOCH also carries the epoch and may ask the standby to protect the
	 * VM in turn after a takeover (MIG_EPOCH_BYTES; without: MIG_EPOCH_V1_BYTES).
	 */
	MIG_CAP_PROTECT_AGAIN = 1u << 11,
};

struct mig_hello {
	uint16_t format_version;
	char producer[MIG_PRODUCER_MAX]; /**< Ferry version of the source */
	/**
	 * Random, chosen by the source for this migration: RECONNECT and
	 * STATUS speak of it, so a destination that restarted (or another
	 * migration) is never taken for the one that holds the VM.
	 */
	uint64_t migration_id;
	/* board and CPU identity: what the guest can see */
	uint64_t midr;
	uint64_t id_regs[MIG_ID_REG_COUNT]; /**< enum mig_id_reg */
	uint32_t cntfrq;
	uint32_t gic_iidr;
	uint16_t gic_intid_count;
	uint16_t vcpu_count;
	uint64_t ram_base, ram_size;
	uint32_t page_size;
	uint32_t capabilities;
};

/** Encodes a HELLO payload. */
void mig_hello_put(struct mig_writer *w, const struct mig_hello *h);

/** Decodes a HELLO payload; false (with the reason) when malformed or not Ferry's. */
bool mig_hello_get(struct mig_reader *r, struct mig_hello *h, char *err, size_t err_size);

/**
 * The stream format a destination reading [MIG_FORMAT_OLDEST,
 * MIG_FORMAT_VERSION] agrees on with this source: the source's own when it
 * reads it, one older when the source can write that (MIG_CAP_FORMAT_WINDOW);
 * 0 when none.
 */
unsigned mig_hello_format(const struct mig_hello *remote);

/**
 * The destination's verdict on a source: false with the reason (one line,
 * naming both values) when the VM cannot run here unchanged: no common
 * format (mig_hello_format), page size, counter frequency, CPU or vGIC, a guest feature this
 * board lacks, another number of vCPUs or RAM of another size or place.
 */
bool mig_hello_compatible(const struct mig_hello *local, const struct mig_hello *remote, char *err,
			  size_t err_size);

#endif
