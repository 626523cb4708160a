/* SPDX-License-Identifier: Apache-2.0 */
/** The destination end's state, shared by its files (dest*.c). */
#ifndef MIG_DEST_INTERNAL_H
#define MIG_DEST_INTERNAL_H

#include "mig/checkpoint.h"
#include "mig/engine.h"
#include "mig/lease.h"
#include "mig/ram_codec.h"

/**
 * Requests whose wait is timed at once: each waiting vCPU has one in
 * flight, so all of them in practice; more would still go out, untimed.
 */
#define MIG_FAULTS_TIMED 64u

/**
 * Where the destination is in a migration; each record type is legal in
 * some phases only (dest.c, docs/migration-protocol.md "Records in order").
 */
enum mig_dest_phase {
	MIG_PHASE_IDLE,	       /**< no copy here: a link begins with HELLO or RECONNECT */
	MIG_PHASE_RECEIVING,   /**< accepted: precopy rounds of RAM */
	MIG_PHASE_DISCARDING,  /**< postcopy: POSTCOPY_DISCARD chunks until the last */
	MIG_PHASE_DEVICE_NEXT, /**< postcopy: the device package is next */
	MIG_PHASE_LOADED,      /**< the package is in shadow state: PING(PACKAGE_LOADED) next */
	MIG_PHASE_SYNCED,      /**< synchronized and acknowledged (PONG): RUN next */
	MIG_PHASE_RUNNING,     /**< the VM runs here with all its memory: END closes */
	MIG_PHASE_POSTCOPY,    /**< the VM runs here, pages still coming */
	MIG_PHASE_STANDBY,     /**< protection: checkpoints, the VM runs at the primary */
	MIG_PHASE_COUNT
};

struct mig_dest {
	struct mig_vm *vm;
	const struct mig_vm_ops *ops;
	struct mig_hello local;
	unsigned timeout_ms;
	struct mig_channel *ch;
	struct mig_report rep;
	uint64_t pages;
	uint64_t *have;	     /**< pages that arrived (and were not discarded since) */
	uint64_t *requested; /**< postcopy: asked for, not yet arrived */
	uint64_t *scratch;   /**< a decoded bitmap chunk */
	uint8_t *buf;	     /**< MIG_RECORD_MAX */
	uint8_t *page;	     /**< MIG_PAGE_SIZE: a sparse page rebuilt before it is placed */
	struct {
		uint64_t page, since_ns;
	} timed[MIG_FAULTS_TIMED]; /**< postcopy: requests in flight, when each went out */
	unsigned timed_count;
	uint64_t waiting;		     /**< postcopy: pages requested, not yet in place */
	uint64_t stall_from_ns;		     /**< when the stall going on (or the last one) began */
	uint64_t stall_end_ns;		     /**< when the last one ended (0: none yet) */
	uint64_t blocked_from_ns;	     /**< when waiting last left 0 */
	const struct mig_frames_ops *frames; /**< NULL: the VM has no network device */
	bool frames_drained;		     /**< the source's last FRAMES came */
	uint32_t caps;
	/* protection (dest_standby.c) */
	uint32_t drift_ppm;	     /**< this board's clock against real time, at most */
	struct mig_ckpt_stage stage; /**< checkpoints kept aside until whole */
	struct lease_standby lease;  /**< when this standby may run the VM */
	uint64_t epoch_seq;	     /**< the open checkpoint's message number */
	uint64_t epoch_began_ns;     /**< when it began (now_ns), for the report's gaps */
	uint64_t committed_began_ns; /**< when the last committed checkpoint began */
	uint64_t last_word_ns;	     /**< when the primary's last record of protection came */
	bool manual; /**< takeover=manual: runs only on the supervisor's word (mig_dest_supervise)
		      */
	enum mig_dest_phase phase;
	uint64_t id;	   /**< the migration's, from HELLO; 0 before any */
	bool postcopy;	   /**< the source announced postcopy (its last POSTCOPY_DISCARD) */
	bool approved;	   /**< SWITCHOVER_ACK sent */
	bool in_doubt;	   /**< see mig_dest_in_doubt */
	bool ping_pending; /**< PING(PACKAGE_LOADED) heard with a record behind it: RUN or not
			      decides */
	bool pong_owed;	   /**< PONG(PACKAGE_LOADED) waits for the start it precedes on the wire */
	bool vm_ended;	   /**< the VM stopped here: see mig_dest_vm_ended */
	bool end_heard;	   /**< the source said END: it knows how the migration ended */
};

/**
 * The page forms this board takes beyond whole pages and zero runs: what
 * the source and it agreed; postcopy places whole pages (its missing pages
 * have no base here).
 */
void mig_dest_forms(struct mig_dest *d, bool postcopy, struct mig_ram_forms *forms);

/** Answers the source with a short text record (REFUSE, ERROR). */
void mig_dest_reply_text(struct mig_dest *d, uint16_t type, const char *text);

/** Postcopy: asks for the pages the vCPUs fault on; 0 or -1 (link). */
int mig_dest_request_faults(struct mig_dest *d);

/** Postcopy: places the pages of a RAM record, dropping those already here. */
bool mig_dest_place_postcopy(struct mig_dest *d, struct mig_record *rec);

/** Postcopy recovery over a new link: RECV_BITMAP, then the pending requests again. */
int mig_dest_send_recv_bitmap(struct mig_dest *d);

/** Protection's records on the standby (dest_standby.c); false ends the link (with why). */
bool mig_dest_epoch(struct mig_dest *d, struct mig_record *rec);
bool mig_dest_epoch_ram(struct mig_dest *d, struct mig_record *rec);
bool mig_dest_epoch_package(struct mig_dest *d, struct mig_record *rec);
bool mig_dest_epoch_end(struct mig_dest *d, struct mig_record *rec);
bool mig_dest_heartbeat(struct mig_dest *d, struct mig_record *rec);
/** CANCEL on a standby: its copy dropped, RELEASED said. */
void mig_dest_release(struct mig_dest *d);
/** The standby runs the VM from its last committed checkpoint: the state it ends in. */
enum mig_state mig_dest_take_over(struct mig_dest *d);
/** The standby's link is gone: it waits out the lease and takes over, or gives up at once. */
enum mig_state mig_dest_standby_alone(struct mig_dest *d);

/** FRAMES: the guest's frames the source passed on, to the VM's device; false on a malformed one.
 */
bool mig_dest_frames(struct mig_dest *d, struct mig_record *rec);

#endif
