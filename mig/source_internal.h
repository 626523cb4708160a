/* SPDX-License-Identifier: Apache-2.0 */
/** The source end's state, shared by its files (source*.c). */
#ifndef MIG_SOURCE_INTERNAL_H
#define MIG_SOURCE_INTERNAL_H

#include "mig/engine.h"
#include "mig/lease.h"
#include "mig/page_cache.h"

/** The cancel/commit race is decided once, atomically: whichever comes first wins. */
enum mig_control { MIG_CTL_OPEN, MIG_CTL_CANCEL, MIG_CTL_COMMITTED };

/** A RAM record laid out, not yet sent (mig_source_lay_out_batch). */
struct mig_laid_out {
	size_t bytes; /**< header and payload */
	uint32_t pages, zero_pages, delta_pages, unchanged_pages;
};

/*
 * Protection: the frames' marks of this many checkpoints in flight (a lease
 * of up to 62 epochs and two more); beyond, the newest mark stands for the
 * newest checkpoints together, released with the last of them: later,
 * never sooner.
 */
#define MIG_FRAME_MARKS 64u

struct mig_source {
	struct mig_vm *vm;
	const struct mig_vm_ops *ops;
	struct mig_source_config cfg;
	struct mig_channel *ch;
	struct mig_report rep;
	uint64_t pages;
	uint64_t *bitmap;   /**< precopy: this round's pages; postcopy: not yet sent */
	uint64_t cursor;    /**< next page the background scan looks at */
	uint64_t armed_end; /**< bitmap words armed for their copy in this pass: up to here */
	struct mig_laid_out
		held;  /**< switchover: the last RAM record at s->buf, sent with the package */
	uint8_t *buf;  /**< records built here (MIG_RECORD_MAX) */
	uint8_t *rbuf; /**< records received here (MIG_RECORD_MAX) */
	/**
	 * Pages go as deltas of their last copy (MIG_CAP_DELTA_PAGES agreed):
	 * from the second precopy round to the stop. The first round sends all
	 * of RAM once, which no cache holds; postcopy places whole pages.
	 */
	bool deltas;
	struct mig_page_cache cache;
	uint8_t *snap; /**< a page copied once from the running guest (MIG_PAGE_SIZE) */
	/* protection (source_protect.c) */
	struct lease_primary lease;
	uint8_t *ckpt; /**< a checkpoint laid out while the VM stands (MIG_CKPT_BUF_BYTES) */
	/**
	 * The console lines of the checkpoints sent and not yet acknowledged
	 * (and the last acknowledged one's), each as u64 epoch, u16 length, the
	 * lines (unacked_size bytes): shown here should the standby be lost.
	 */
	uint8_t *unacked;
	size_t unacked_len, unacked_size;
	/**
	 * The guest's frames kept at each checkpoint's cut (cfg.frames->cut):
	 * they leave once the standby acknowledges that checkpoint.
	 */
	struct {
		uint64_t epoch, mark;
	} frame_marks[MIG_FRAME_MARKS];
	unsigned marks_head, marks_tail; /**< frame_marks[marks_tail % N] the oldest in flight */
	uint64_t pace_pps;     /**< what the guest may write while protected (protect_pace) */
	uint64_t pace_cut_seq; /**< the last message sent when the pace was last halved */
	uint64_t send_rate;    /**< bytes a second checkpoints left at lately (bound_checkpoints) */
	/**
	 * Protection's hot pages (heat): left writable and in every checkpoint;
	 * the last collection's pages; the pages to arm now; how many are hot.
	 */
	uint64_t *hot, *prev, *arm;
	uint64_t hot_count;
	uint64_t timed_seq; /**< the newest message whose acknowledgement was timed */
	bool released;	    /**< the standby said it dropped its copy (RELEASED) */
	/**
	 * A message saying the lease is held went out: from then on the
	 * standby may take over, and fencing is owed. Before, a primary that
	 * holds a lease may still go on alone (the standby cannot run the VM).
	 */
	bool told_leased;
	uint64_t leased_seq; /**< the first message that told the standby of the lease */
	bool announced;	     /**< protection held, and said so (a progress report) */
	uint32_t caps;	     /**< agreed in HELLO/ACCEPT */
	bool switchover_acked;
	bool peer_error; /**< the destination said ERROR since the stop */
	/** MIG_FRAMES_WAIT_NS after the first FRAMES, then after VM_STARTED: they end by then */
	uint64_t frames_until;
	bool frames_begun; /**< the first FRAMES went (frames_until is set) */
	bool runs_there;   /**< PONG came after RUN (one flight): the VM runs there */
	bool frames_done;  /**< the last FRAMES went out */
	int control;	   /**< enum mig_control, atomic */
	uint64_t t_start, t_stop;
	struct mig_precopy_state pre;
	uint64_t dirty_rate;
	uint64_t collected_at;	 /**< when the dirty pages were last collected (now_ns) */
	uint64_t collect_ns;	 /**< how long the drain's collection of what was written took */
	uint64_t paced_until_ns; /**< the bandwidth cap's clock: when what was sent is paid for */
	uint64_t progress_ns;	 /**< when progress was last reported */
	unsigned current_round;	 /**< the precopy round being sent */
	/* Where the round being sent began: progress measures it as it goes. */
	uint64_t round_start_ns, round_start_marks, round_start_bytes, round_start_pages;
	bool clock_known;      /**< the offset to the destination's clock was measured */
	uint64_t clock_rtt_ns; /**< the round trip of the exchange that measured it */
};

/** Within a round, progress is reported this often. */
#define MIG_PROGRESS_EVERY_NS 250000000ull

#define MIG_NS_PER_S 1000000000ull

enum mig_state mig_source_fail(struct mig_source *s, const char *why);

/** The migration completed: the report's total time, no error, a last progress report. */
enum mig_state mig_source_completed(struct mig_source *s);

/** True once mig_source_cancel won (before the commit). */
bool mig_source_cancel_requested(struct mig_source *s);

/**
 * The destination's four timestamps (VM_STARTED, STATUS) into the report,
 * and the downtime from them: the stop to the destination's last vCPU in
 * the guest, on this clock (the ledger); without a measured offset, to
 * now (an upper bound).
 */
void mig_source_take_stamps(struct mig_source *s, struct mig_reader *r);
void mig_source_progress(struct mig_source *s);

/** A pass over the bitmap from its start: the scan's cursor and what it armed start over. */
void mig_source_rewind(struct mig_source *s);

/** A batch as large as the record allows. */
#define MIG_BATCH_FULL UINT32_MAX
/** Pages sent with a requested one: its neighbours, likely next. */
#define MIG_REQUEST_PREFETCH 4u
/**
 * Data pages in one record of postcopy's background push. A page a vCPU
 * waits for is sent between two such records, so it queues behind one at
 * most: 64 KiB is a few ms over the board's TLS, where a 1 MiB record was
 * tens of ms; the record overhead (a 16-byte header) stays negligible.
 */
#define MIG_POSTCOPY_PUSH_PAGES 16u

/**
 * Sends the pages set in the bitmap from the cursor on (clearing them), up
 * to max_data_pages that are not all zero (zero pages cost a run entry
 * each and do not count); bytes sent, 0 when none is left, -1 when the
 * link broke.
 */
int64_t mig_source_send_batch(struct mig_source *s, unsigned max_data_pages);

/**
 * As mig_source_send_batch, but the RAM record (header and payload) is
 * only laid out at `at` (room for MIG_RECORD_HEADER_SIZE +
 * MIG_RAM_BATCH_BYTES), for a send that takes more records with it: its
 * length, 0 when no page is left; what it holds in *l, counted in the
 * report once sent (mig_source_count_sent).
 */
size_t mig_source_lay_out_batch(struct mig_source *s, uint8_t *at, unsigned max_data_pages,
				struct mig_laid_out *l);

/** A laid-out RAM record went: its pages and bytes into the report. */
void mig_source_count_sent(struct mig_source *s, const struct mig_laid_out *l);

/**
 * Handles what waits on the return path (SWITCHOVER_ACK, REQ_PAGES,
 * ERROR); 0, or -1 when the link broke or the destination gave up.
 */
int mig_source_serve_return_path(struct mig_source *s);

/** Waits for a return-path record of type want, serving others meanwhile; 0 or < 0. */
int mig_source_expect(struct mig_source *s, uint16_t want, struct mig_record *rec);

/**
 * The same, after RUN: meanwhile the guest's frames kept here pass on as
 * soon as the VM is known to run there (mig_source_pass_frames_early).
 */
int mig_source_expect_passing(struct mig_source *s, uint16_t want, struct mig_record *rec);

/** Protection from the end of precopy on: checkpoints every epoch (source_protect.c). */
enum mig_state mig_source_protect(struct mig_source *s);

/** EPOCH_ACK or RELEASED on the return path; 0, or -1 for a malformed one. */
int mig_source_protect_reply(struct mig_source *s, struct mig_record *rec);

/**
 * A fenced primary (MIG_FENCED), on the supervisor's word that the standby
 * is gone and never ran the VM: the lines it held shown, the deadline
 * lifted, the VM on here, unprotected (MIG_FAILED).
 */
bool mig_source_unfence(struct mig_source *s);

/** Stops the VM and hands it over (precopy or postcopy), see source_switchover.c. */
enum mig_state mig_source_switchover(struct mig_source *s);

/**
 * The switchover's own code (stop, the last pages, the package laid out
 * and sent, the commit, the wait for PONG) run once on a copy of this
 * session, against a VM that never stops and a link that goes nowhere:
 * on an emulated board the first run of code pays for its translation,
 * and that first run is then not in the downtime. Before the drain that
 * precedes the stop.
 */
void mig_source_rehearse_switchover(struct mig_source *s);

/** Cancels before RUN: the VM runs on here. */
enum mig_state mig_source_cancelled(struct mig_source *s, bool stopped);

/** Postcopy: pushes what the destination lacks, its requests first, then ends. */
enum mig_state mig_source_postcopy_push(struct mig_source *s);

/**
 * Passes on the guest's frames kept since the stop (cfg.frames); with
 * wait, until no more can come. 0, or -1 when the link is lost.
 */
int mig_source_pass_frames(struct mig_source *s, bool wait);

/**
 * After RUN, while the source waits for PONG or VM_STARTED: the frames kept
 * so far pass on once the VM is known to run there (PONG after RUN, or its
 * announce heard here: it announces once it runs), the last with them when
 * no more can come. Before, they stay here: a destination that refuses
 * after RUN, or that RUN never reached, would not have them, and the VM
 * runs on here. 0, or -1 when the link is lost.
 */
int mig_source_pass_frames_early(struct mig_source *s);

#endif
