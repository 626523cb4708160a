/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The two ends of a migration (docs/migration-protocol.md, "The
 * switchover", "Postcopy", "Reconnecting"). Each runs on its board's
 * migration CPU and talks to the other over a channel; both are plain C,
 * the same in the hypervisor and in host tests. A migration is an object
 * that outlives one link: after a cut it is resolved, or its postcopy
 * recovered, over a new link to the same peer.
 */
#ifndef MIG_ENGINE_H
#define MIG_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "mig/backend.h"
#include "mig/channel.h"
#include "mig/hello.h"
#include "mig/precopy_policy.h"

enum mig_state {
	MIG_SETUP,
	MIG_ACTIVE,	      /**< precopy rounds, the VM runs on the source */
	MIG_DEVICE,	      /**< stopped: the last pages and the device package */
	MIG_POSTCOPY_DEVICE,  /**< stopped: what is missing, and the device package */
	MIG_POSTCOPY_ACTIVE,  /**< runs on the destination, pages still coming */
	MIG_POSTCOPY_PAUSED,  /**< link lost in postcopy: waiting for a new one */
	MIG_POSTCOPY_RECOVER, /**< new link: agreeing on the pages still missing */
	MIG_UNRESOLVED,	      /**< RUN sent, VM_STARTED not seen: stay stopped */
	MIG_COMPLETED,
	MIG_FAILED, /**< before RUN: the VM runs on at the source */
	MIG_CANCELLING,
	MIG_CANCELLED,
	/**
	 * Postcopy: one board died, or was declared gone by the operator, while
	 * neither had all of the VM; it runs nowhere and cannot be restarted.
	 */
	MIG_LOST,
	/** Protection: the VM runs here, checkpointed to the standby every epoch. */
	MIG_PROTECTED,
	/** Protection: this primary's lease ended; its VM is stopped for good, here. */
	MIG_FENCED,
	/** Protection: the standby holds a committed checkpoint and waits (docs/protection.md). */
	MIG_STANDBY,
};

const char *mig_state_name(enum mig_state s);

/** True when the destination runs the VM in this state. */
bool mig_state_runs_on_destination(enum mig_state s);

enum mig_mode {
	MIG_MODE_PRECOPY,
	MIG_MODE_POSTCOPY,
	/** The VM stays here; a standby keeps its checkpoints (docs/protection.md). */
	MIG_MODE_PROTECT,
};

/** Protection's timing (docs/protection.md); the primary's, told to the standby. */
struct mig_protect_params {
	uint64_t epoch_ns; /**< a checkpoint this often */
	uint64_t lease_ns; /**< what an acknowledgement renews */
	uint64_t fence_ns; /**< the primary's fencing at most: its lease's end to its vCPUs stopped
			    */
	/**
	 * takeover=manual: the standby runs the VM only on a supervisor's word
	 * (mig_dest_supervise), never by the lease; the primary then holds no
	 * lease, never fences, and goes on unprotected when it loses the standby.
	 */
	bool manual;
	/**
	 * After a takeover the standby protects the VM in turn, with these
	 * times, to its own peer (the old primary, once it is back, empty).
	 */
	bool reprotect;
};

/** The lease and the fencing bound a standby accepts (beyond: refused). */
#define MIG_LEASE_MIN_NS 1000000ull
#define MIG_LEASE_MAX_NS 10000000000ull
#define MIG_FENCE_MAX_NS 1000000000ull
/** The shortest epoch either end accepts (and the longest: half the lease). */
#define MIG_EPOCH_MIN_NS 1000000ull
/** RAM a standby keeps aside for one checkpoint; the primary bounds its epochs by it. */
#define MIG_CKPT_STAGE_BYTES (8u << 20)
/**
 * How far a board's clock may run from real time, as a standby counts it
 * (parts per million): boards' crystals hold 50 or better; the margin
 * allows twenty times that.
 */
#define MIG_CLOCK_DRIFT_PPM 1000u
/** A standby looks at its lease this often while the primary is silent. */
#define MIG_STANDBY_POLL_MS 1u

/**
 * The downtime step by step, each in ns from the source's stop and on the
 * source's clock; the destination's moved there by the measured offset
 * (0 when the offset is not known). In the order they happen in the
 * one-flight switchover; the confirmed one has PONG before RUN.
 */
struct mig_downtime_steps {
	uint64_t pages_sent;	  /**< the last pages (postcopy: the discard bitmap) sent */
	uint64_t package_encoded; /**< the device package saved from the stopped VM */
	uint64_t package_sent;	  /**< it and PING(PACKAGE_LOADED) handed to the link */
	uint64_t run_sent;
	uint64_t dest_received; /**< destination: the package arrived whole */
	uint64_t dest_loaded;	/**< destination: loaded and validated */
	uint64_t dest_synced;	/**< destination: in the context its vCPUs run from */
	uint64_t pong;		/**< PONG arrived here */
	uint64_t dest_running;	/**< destination: its last vCPU in the guest (the downtime) */
	uint64_t vm_started;	/**< VM_STARTED arrived here */
};

struct mig_report {
	enum mig_state state;
	enum mig_mode mode;
	unsigned rounds;
	uint64_t pages_sent, zero_pages, bytes_sent;
	/** Pages sent as the words that changed since their last copy, and left out as unchanged.
	 */
	uint64_t delta_pages, unchanged_pages;
	uint64_t pages_requested;    /**< postcopy: served on the destination's request */
	uint64_t duplicates_dropped; /**< destination: pages that had arrived already */
	/**
	 * Destination, postcopy: vCPU faults whose page arrived, and how long
	 * each waited from its request to its placement (sum and longest; the
	 * sum counts overlapping waits each).
	 */
	uint64_t faults_served, fault_wait_total_ns, fault_wait_max_ns;
	/**
	 * Postcopy: how long the guest stood still on missing pages after the
	 * start, all its waits together (QEMU's blocktime): the time during
	 * which a page a vCPU touched was missing. With several vCPUs, while
	 * any waited: what the most-waiting one stood still, or more. The
	 * guest's worst pause is the downtime plus this: a pause it felt
	 * longer than that was its own work, not the migration's.
	 */
	uint64_t blocked_ns;
	/**
	 * Postcopy: the longest single stall in it, a stretch during which a
	 * page the guest touched was missing, waits less than
	 * MIG_STALL_GAP_NS apart taken as one.
	 */
	uint64_t stall_max_ns;
	uint64_t pages_lost;	      /**< MIG_LOST: pages that only the lost board had */
	uint64_t frames_passed_bytes; /**< source: the guest's frames passed on after its stop */
	uint64_t migration_id;
	uint64_t total_ns, expected_downtime_ns;
	/**
	 * The downtime, from the source's stop to the destination's last vCPU
	 * in the guest, both on the source's clock (the destination's stamp
	 * moved by the measured offset), give or take downtime_uncertainty_ns.
	 */
	uint64_t downtime_ns, downtime_uncertainty_ns;
	int64_t clock_offset_ns; /**< destination clock - source clock, measured */
	uint64_t dest_loaded_ns, dest_synced_ns, dest_started_ns; /**< destination clock */
	uint64_t dest_load_ns; /**< how long the destination took to load the device package */
	struct mig_downtime_steps steps;
	unsigned reconnects;
	bool switched_to_postcopy; /**< precopy did not converge: postcopy finished it */
	unsigned stream_format;	   /**< agreed at HELLO/ACCEPT (docs/migration-protocol.md) */
	/**
	 * Throttling (on_no_convergence = throttle): the limit on the guest's
	 * dirtying when the VM stopped or the migration ended (pages per
	 * second; 0: none), and how many rounds ran under a limit.
	 */
	uint64_t throttle_pages_per_s;
	unsigned throttled_rounds;
	/**
	 * Admission (precopy): the downtime predicted right before the VM
	 * was stopped (0: none was, as in postcopy), from the pages the stop
	 * would find at the measured bandwidth and the switchover's measured
	 * fixed cost: each end's work and the link's carrying of the package,
	 * from the dry run right before the stop (dry_run), or else from the
	 * rehearsals before precopy and half the smallest clock round trip.
	 */
	uint64_t predicted_downtime_ns;
	uint64_t cost_source_ns, cost_link_ns, cost_dest_ns;
	bool fixed_cost_over_limit; /**< that cost alone exceeded the limit: admitted without it */
	bool dry_run; /**< that cost was measured by a dry run right before the stop (DRY_RUN) */
	/**
	 * Precopy: the passes of what the guest wrote, each after a drain,
	 * between the last round and the stop; the pages the stop found and
	 * sent inside the downtime.
	 */
	unsigned settle_passes;
	uint64_t stop_pages;
	/**
	 * Protection. Primary: checkpoints sent and acknowledged, the guest's
	 * pauses for them (longest, all together), their pages. Standby:
	 * checkpoints committed; at a takeover, the time from the last message
	 * heard to the takeover's decision, and from there to the VM running.
	 */
	uint64_t epochs_sent, epochs_acked, epoch_pause_max_ns, epoch_pause_total_ns;
	uint64_t epoch_pages, epoch_pages_max; /**< primary: in them all, and in the largest */
	uint64_t epoch_send_max_ns;	       /**< primary: the longest send of one checkpoint */
	uint64_t epoch_send_max_at;	       /**< primary: which checkpoint that was */
	uint64_t epoch_send_max_pages;	       /**< primary: and its pages */
	/**
	 * Standby: the longest commit of a checkpoint, and the longest time
	 * from one checkpoint's beginning to the next's (and which one that was).
	 */
	uint64_t epoch_commit_max_ns, epoch_gap_max_ns, epoch_gap_max_at;
	/**
	 * Primary: how long acknowledgements took after their checkpoint left
	 * (sum over epoch_acks of them, and the longest): the output each
	 * checkpoint covers is held that long past it.
	 */
	uint64_t ack_wait_total_ns, ack_wait_max_ns, epoch_acks;
	/**
	 * Standby, at a takeover: the guest time rolled back, at least: from
	 * the beginning of the checkpoint it runs to the primary's last record
	 * (its VM ran on meanwhile; what it did was never seen outside: output
	 * commit). A living primary begins a checkpoint every epoch: the time
	 * it ran unheard after that is less than an epoch, unless it stalled
	 * (a checkpoint sent in parts counts the time its VM stood for them).
	 */
	uint64_t takeover_rollback_ns;
	/** Standby: the protection as its primary asked for it (its first EPOCH). */
	struct mig_protect_params protection;
	uint64_t last_ack_ns;	    /**< primary: when the last acknowledgement came (now_ns) */
	uint64_t epoch_pace_pps;    /**< primary: pages a second the guest may write, as paced */
	uint64_t epoch_pages_bound; /**< primary: pages a checkpoint may carry, as bounded */
	uint64_t epoch_hot_max;	    /**< primary: the most pages left writable (hot) at once */
	uint64_t epochs_committed;
	bool took_over;
	uint64_t takeover_detect_ns, takeover_start_ns;
	char error[160];
};

/** What a running migration reports after each round and batch of postcopy pages. */
struct mig_progress {
	enum mig_state state;
	unsigned round;
	uint64_t ram_bytes_sent;
	uint64_t pages_total, pages_remaining;
	/** Pages/s: over the round being sent so far (the first included), else the last round. */
	uint64_t dirty_pages_per_s;
	uint64_t bandwidth; /**< bytes per second: as dirty_pages_per_s */
	uint64_t expected_downtime_ns;
	uint64_t elapsed_ns;
	uint64_t throttle_pages_per_s; /**< the guest's dirtying limit now; 0: none */
	/**
	 * Precopy: the time to the switchover as the rates stand: this round's
	 * pages left, then the rounds of what the guest writes meanwhile, each
	 * that much shorter (a geometric series). 0: not known (no rate yet, or
	 * the guest writes about as fast as the link sends: the throttle decides).
	 */
	uint64_t time_left_ns;
};

/** How the switchover hands the VM over (docs/migration-protocol.md, "The switchover"). */
enum mig_switchover {
	/** The package, PING and RUN back to back: one round trip less of downtime. */
	MIG_SWITCHOVER_ONE_FLIGHT,
	/** RUN only once PONG confirmed the package: every failure before it resumes here. */
	MIG_SWITCHOVER_CONFIRMED,
};

/**
 * The guest's network frames across the switchover (docs/migration-protocol.md,
 * "Frames"): what reaches the source for the VM from its stop on goes to
 * the destination in FRAMES records, delivered there in order before any
 * frame the destination's own network brings.
 */
struct mig_frames_ops {
	/**
	 * Source: frames kept for the VM since it stopped, laid out as u16
	 * length and bytes each, whole frames into buf (cap bytes); the bytes
	 * taken. *drained when no more can come (the destination's announce
	 * was heard here).
	 */
	size_t (*take)(void *ctx, uint8_t *buf, size_t cap, bool *drained);
	/** Destination: one frame the source passed on, in order. */
	void (*deliver)(void *ctx, const uint8_t *frame, size_t len);
	/** Destination: the source passes no more on. */
	void (*drained)(void *ctx);
	/**
	 * Source, optional: the destination announced the VM (it announces
	 * once the VM runs there), so the frames kept here may pass on before
	 * its PONG has come.
	 */
	bool (*gone)(void *ctx);
	/** Destination, optional: the VM runs here from now on (its announce goes at once). */
	void (*started)(void *ctx);
	/**
	 * Protection's primary, all three optional (output commit,
	 * docs/protection.md, "Output"). hold: the VM's frames out are kept
	 * from MIG_OUTPUT_HOLD on (its transmit queue waits while the keep is
	 * full), leave at once again from MIG_OUTPUT_SHOW (those kept first)
	 * or MIG_OUTPUT_DROP (those kept never leave). cut: while the VM
	 * stands, a mark after the last frame kept so far. release: the frames
	 * kept before a mark leave (the checkpoint laid out at its cut is
	 * committed on the standby).
	 */
	void (*hold)(void *ctx, enum mig_output what);
	uint64_t (*cut)(void *ctx);
	void (*release)(void *ctx, uint64_t mark);
	void *ctx;
};

/** Longest frame in a FRAMES record (Ethernet with an 802.1Q tag, no FCS). */
#define MIG_FRAME_MAX 1518u
/*
 * How long the source waits for the destination's announce after RUN (and
 * again after VM_STARTED) before it says it passes no more on: the
 * destination announces as its VM starts, heard here within a millisecond
 * or two (ferry lan, 10 runs).
 */
#define MIG_FRAMES_WAIT_NS 200000000ull

struct mig_source_config {
	struct mig_hello hello; /**< with a random, non-zero migration_id */
	struct mig_precopy_params precopy;
	unsigned reply_timeout_ms;
	enum mig_mode mode;
	enum mig_switchover switchover;
	/** Postcopy: precopy rounds before the switchover (0: none, every page comes later). */
	unsigned postcopy_after_rounds;
	/** Bytes per second at most while the VM runs (rounds, postcopy push); 0: no cap. */
	uint64_t max_bandwidth;
	void (*progress)(void *ctx, const struct mig_progress *p);
	void *progress_ctx;
	const struct mig_frames_ops *frames; /**< NULL: the VM has no network device */
	struct mig_protect_params protect;   /**< MIG_MODE_PROTECT */
};

struct mig_source;

/** A migration of vm out; NULL when out of memory. */
struct mig_source *mig_source_new(struct mig_vm *vm, const struct mig_source_config *cfg);

/** Runs the migration over ch until it ends, is unresolved, or its postcopy pauses. */
enum mig_state mig_source_run(struct mig_source *s, struct mig_channel *ch);

/**
 * After MIG_UNRESOLVED or MIG_POSTCOPY_PAUSED, over a new (authenticated)
 * link to the same destination: asks what the destination did and resolves
 * (completed, or the VM resumes here) or recovers the postcopy.
 */
enum mig_state mig_source_reconnect(struct mig_source *s, struct mig_channel *ch);

/**
 * Asks the migration to cancel (from any thread): true when it will, false
 * when RUN was already sent (the VM is the destination's from then on).
 */
bool mig_source_cancel(struct mig_source *s);

/**
 * QMP's migrate-set-parameters for a migration under way: the downtime
 * limit (ns, not 0) from the next round's verdict on, the bandwidth cap
 * (bytes/s, 0: none) from the next send. Only from the thread that runs
 * the source (the board's control CPU serves its management channel in
 * the engine's waits).
 */
void mig_source_set_limits(struct mig_source *s, uint64_t downtime_limit_ns,
			   uint64_t max_bandwidth);

/** Ends a migration that never began (no link): failed with why; the VM was never stopped. */
void mig_source_abandon(struct mig_source *s, const char *why);

/** Where the operator says the VM is, when the boards cannot agree by themselves. */
enum mig_verdict {
	/**
	 * Unresolved: the destination never ran it; resume here. Fenced
	 * (protection): the standby is gone and never ran it; go on here.
	 */
	MIG_VERDICT_SOURCE,
	MIG_VERDICT_DESTINATION, /**< unresolved: it runs on the destination; complete */
	MIG_VERDICT_LOST,	 /**< postcopy paused: the destination is gone with it */
};

/**
 * The operator's word on an unresolved or paused migration (the management
 * channel's `migrate-resolve` with `force`): the state it leads to, or
 * false (with why) when the verdict does not fit the state. Called between
 * reconnection attempts, never during one.
 */
bool mig_source_resolve(struct mig_source *s, enum mig_verdict v, char *err, size_t err_size);

const struct mig_report *mig_source_report(const struct mig_source *s);
void mig_source_free(struct mig_source *s);

struct mig_dest;

/** A board ready to receive a VM into vm; local says what this board can run. */
struct mig_dest *mig_dest_new(struct mig_vm *vm, const struct mig_hello *local,
			      unsigned timeout_ms);

/** The VM's network frames the source passes on go to frames (NULL: none). */
void mig_dest_set_frames(struct mig_dest *d, const struct mig_frames_ops *frames);

/**
 * Serves one link from the source: a new migration (HELLO) or a reconnection
 * (RECONNECT). Returns the destination's state when the link ends.
 */
enum mig_state mig_dest_serve(struct mig_dest *d, struct mig_channel *ch);

/**
 * The VM stopped on this board (it powered itself off) before its source
 * heard the migration's end: postcopy unfinished (the pages not yet here
 * are no longer needed, the migration is complete), or the link lost
 * after RUN. A source that reconnects is told so (STATUS `completed` with
 * MIG_FLAG_VM_ENDED) instead of waiting for pages nobody wants or staying
 * unresolved. True when a source may still be waiting.
 */
bool mig_dest_vm_ended(struct mig_dest *d);

/**
 * True while a source may be waiting to hear from this destination: it
 * acknowledged a device package (PONG), then discarded its copy without
 * the source having heard so. A board must then keep answering (a source
 * that reconnects is told), whatever else went wrong.
 */
bool mig_dest_in_doubt(const struct mig_dest *d);

/**
 * True once nothing of this migration can come back: the VM runs here with
 * all its memory, and the source has heard so (END, or a reconnection told
 * it). The board may then forget the migration and send the VM on.
 */
bool mig_dest_settled(const struct mig_dest *d);

/**
 * The operator says the source knows the VM runs here (its END was lost
 * after it completed: it will never ask): the migration is settled. False
 * when the VM does not run here with all its memory.
 */
bool mig_dest_settle(struct mig_dest *d);

/**
 * The operator says the source is gone while postcopy is paused: the pages
 * that never arrived are lost with it, and so is the VM (MIG_LOST). False
 * (with why) in any other state.
 */
bool mig_dest_declare_lost(struct mig_dest *d, char *err, size_t err_size);

/**
 * takeover=manual: a supervisor's word on a standby whose primary is gone
 * (MIG_STANDBY, no link): run the VM from the last committed checkpoint,
 * or drop the copy. False (with why) when no such standby waits here.
 * The supervisor says run only once it knows the primary is dead: the
 * primary of a manual protection never fences.
 */
bool mig_dest_supervise(struct mig_dest *d, bool run, char *err, size_t err_size);

const struct mig_report *mig_dest_report(const struct mig_dest *d);
void mig_dest_free(struct mig_dest *d);

/** STATUS flag: the VM ran on the destination and has ended there (mig_dest_vm_ended). */
#define MIG_FLAG_VM_ENDED 2u
/** STATUS flag: the destination does not know the migration id asked about. */
#define MIG_FLAG_UNKNOWN_MIGRATION 4u
/** STATUS payload: u64 migration id, u8 state, u64 x4 timestamps (as VM_STARTED). */
#define MIG_STATUS_BYTES (8u + 1u + 32u)
/** ACCEPT payload: u32 capabilities both have, u64 the destination's rehearsed switchover ns. */
#define MIG_ACCEPT_BYTES (4u + 8u)
/** DRY_RUN_DONE payload: u64 the DRY_RUN's clock value, u64 the destination's work (ns). */
#define MIG_DRY_RUN_DONE_BYTES (8u + 8u)
/**
 * With MIG_CAP_DRY_RUN_ENTRY: and u64 when the last vCPU entered the
 * stand-in, on the destination's clock (0: unknown).
 */
#define MIG_DRY_RUN_DONE_ENTRY_BYTES (MIG_DRY_RUN_DONE_BYTES + 8u)
/*
 * The dry runs right before the stop: two, their costs averaged. The first
 * meets the cold caches and translation tables of paths last run long
 * ago, and came out 0.2-0.5 ms above the downtime that followed; the
 * second, warmed by the first as the real switchover is by both, 0.3 ms
 * below it to 0.1 above, for it has no stop of the source's vCPUs to wait
 * for (4 runs of the guest of `tools/run.sh bench-converge`, each run's
 * trips side by side).
 */
#define MIG_DRY_RUNS 2u
/*
 * Pages one batch takes, zero or not. Zero pages cost no bytes, but looking
 * at them costs time (some 1.3 us a page on the emulated board): unbounded,
 * a batch over a mostly empty guest went 130 ms without a send, and the
 * board's control CPU, which also moves the guest's network frames between
 * sends, with it. 2048 pages is some 3 ms, and 64 records for an all-zero
 * 512 MiB guest.
 */
#define MIG_BATCH_PAGES_MAX 2048u
/** A switchover cost above this (ns) is no measurement: the ACCEPT (or DRY_RUN_DONE) is refused. */
#define MIG_SWITCHOVER_COST_MAX_NS 1000000000ull
/*
 * Waits for missing pages this close together are one stall: a guest that
 * runs less than this between two stood as good as still (the guest of
 * `tools/run.sh bench-converge`, reading its memory after a postcopy
 * switchover, went 2.56 s without a heartbeat through 864 waits of at most
 * 14 ms each).
 */
#define MIG_STALL_GAP_NS 1000000ull
/** VM_STARTED payload: u64 x4, the destination's loaded, synced, started, load time. */
#define MIG_VM_STARTED_BYTES 32u

/**
 * PONG(POSTCOPY_DONE) payload: u32 the id, then u64 x3 of the destination's
 * postcopy stalls: faults served, the longest stall (mig_report.stall_max_ns)
 * and the time the guest stood still in all (mig_report.blocked_ns, ns).
 */
#define MIG_PONG_POSTCOPY_DONE_BYTES (4u + 24u)

#define MIG_PING_PACKAGE_LOADED 1u
#define MIG_PING_POSTCOPY_DONE	2u

#endif
