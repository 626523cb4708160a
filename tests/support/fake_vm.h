/* SPDX-License-Identifier: Apache-2.0 */
/**
 * A fake VM for the migration engine on the host: a RAM array with dirty
 * tracking and postcopy's missing pages, real vCPU and vGIC state saved
 * through the real sections, a workload thread that writes memory while
 * the VM runs on the source (or touches pages, faulting on missing ones,
 * on the destination); channels over a socketpair that fail on request;
 * and one helper that runs a whole migration, with a fault and its
 * resolution. Shared by the engine tests and the engine benchmark.
 */
#ifndef TESTS_SUPPORT_FAKE_VM_H
#define TESTS_SUPPORT_FAKE_VM_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "hyp/vcpu_regs.h"
#include "hyp/vgic.h"
#include "mig/engine.h"
#include "mig/record.h"

#define FAKE_FAULT_RING 64
/* What the fake VMs' rehearsals say their switchover work costs. */
#define FAKE_SOURCE_SWITCHOVER_NS 30000u
#define FAKE_DEST_SWITCHOVER_NS	  70000u

#define FAKE_LINE_EVERY	 8u
#define FAKE_FRAME_EVERY 4u
#define FAKE_FRAMES_KEPT 256u
#define FAKE_SHOWN_MAX	 16384u

struct fake_vm {
	uint8_t *ram;
	uint64_t pages;
	uint64_t *dirty;
	uint64_t *readonly; /**< pages a write to which is logged (armed for their copy) */
	uint64_t marks;	    /**< writes logged since tracking began (dirty_marks) */
	pthread_mutex_t lock;
	pthread_cond_t placed;
	bool tracking, running, ending;
	bool toucher; /**< the workload reads pages instead of writing them */
	struct vcpu_regs regs, shadow_regs;
	struct vgic_dist vgic, shadow_vgic;
	bool fail_load, fail_sync, fail_postcopy_begin;
	unsigned synced_with_start; /**< synchronizations that also started it (RUN in hand) */
	unsigned discards;	    /**< destination: copies thrown away */
	unsigned stops;		    /**< source: mig_vm_ops.stop */
	unsigned saves;		    /**< source: packages saved (mig_vm_ops.save_devices) */
	unsigned rehearsals;	    /**< the switchover's code run early (mig_vm_ops.rehearse) */
	unsigned dry_runs;	    /**< of it once more, right before the switchover (DRY_RUN) */
	uint64_t armed_pages;	    /**< source: pages armed for their copy (arm_for_copy) */
	uint64_t armed_stopped;	  /**< of those, armed while the VM was stopped (none should be) */
	uint64_t dry_run_ns;	  /**< what a dry run measures (0: as the rehearsal) */
	uint64_t clock_offset_ns; /**< this board's clock runs this far ahead of the host's */
	uint64_t writes;
	/* Pages marked written at each collection while running (halved after each when asked). */
	uint64_t burst_pages;
	bool burst_halves;
	/* throttle (mig_vm_ops.throttle): pages the workload may dirty per ms, 0: any */
	uint64_t quota_per_ms, quota_used, quota_ms, throttle_waits;
	uint64_t throttle_last; /**< the last limit asked for (pages/s) */
	/* throttle_collection: pages the workload may newly dirty between two collections */
	uint64_t collection_quota, collection_dirtied, collection_waits;
	uint64_t collection_quota_set; /**< the last limit asked for (0 lifts it: not kept here) */
	/* postcopy, destination */
	bool postcopy;
	uint64_t *present, *faulted;
	uint64_t ring[FAKE_FAULT_RING];
	unsigned ring_head, ring_tail;
	uint64_t touches, stalls, placed_twice;
	/* protection */
	uint64_t lease_deadline; /**< mig_vm_ops.lease_until: the workload stops itself past it */
	bool fenced_self;	 /**< it did: the VM never runs here again */
	uint64_t fenced_at_ns, started_at_ns;
	uint64_t stopped_at_ns; /**< when its vCPUs last stopped, if they stand now (0: run) */
	bool idle_skips; /**< mig_vm_ops.idle moves this board's clock on instead of sleeping */
	/*
	 * Its console: a line numbered x0 / FAKE_LINE_EVERY every that many
	 * steps; while held (mig_vm_ops.output) kept, else shown (the numbers).
	 */
	bool holding;
	uint8_t held[MIG_OUTPUT_MAX];
	size_t held_len;
	uint64_t shown[FAKE_SHOWN_MAX];
	unsigned shown_count;
	/*
	 * Its network: a frame numbered x0 / FAKE_FRAME_EVERY every that many
	 * steps; from MIG_OUTPUT_HOLD on kept until released (frames, its
	 * mig_frames_ops with this VM as ctx, for fake_migration.src_frames),
	 * else sent (the numbers).
	 */
	struct mig_frames_ops frames;
	bool frames_holding;
	uint64_t kept[FAKE_FRAMES_KEPT], kept_head, kept_tail, kept_upto;
	uint64_t kept_most; /**< the most kept at once */
	uint64_t sent[FAKE_SHOWN_MAX];
	unsigned sent_count;
	unsigned frames_drained; /**< destination: mig_frames_ops.drained */
	/** The guest as it stood at each stop (RAM and registers), a checkpoint's image. */
	uint64_t stop_hash[512];
	unsigned stop_hashes;
};

/** The guest's RAM and registers, hashed: a standby's against a primary's checkpoint. */
uint64_t fake_vm_hash(struct fake_vm *vm);

extern const struct mig_vm_ops fake_vm_ops;

/** A VM of `pages` pages; a source gets recognisable RAM and registers, and runs. */
void fake_vm_init(struct fake_vm *vm, uint64_t pages, bool source);
void fake_vm_free(struct fake_vm *vm);

/** The HELLO of a board that can take a VM of `pages` pages (every capability). */
struct mig_hello fake_vm_hello(uint64_t pages);

/** The workload thread's body (arg: the struct fake_vm); ends with fake_vm_end_workload. */
void *fake_vm_workload(void *vm);
void fake_vm_end_workload(struct fake_vm *vm);

/** A channel over one socket; ctx is a pointer to the fd. */
extern const struct mig_channel_ops sock_channel_ops;

/** Faults the harness injects, each at one channel event of one side. */
enum fake_fault {
	FAULT_NONE,
	FAULT_CUT,	      /**< source side: the link is cut */
	FAULT_STALL,	      /**< source side: from then on nothing moves (timeouts) */
	FAULT_CORRUPT,	      /**< source side: the first byte of that send or receive flipped */
	FAULT_SOURCE_DIES,    /**< source side: cut, and the source is gone for good */
	FAULT_DEST_DIES,      /**< destination side: cut, and the destination is gone */
	FAULT_VM_STARTED_LOST /**< destination side: VM_STARTED is dropped, then the link cut */
};

const char *fake_fault_name(enum fake_fault f);
bool fake_fault_on_dest_side(enum fake_fault f);

/** One side of a link that fails as told. */
struct faulty_link {
	int fd;
	enum fake_fault kind;
	int fault_at; /**< channel event (each send or receive of a header or payload) */
	/** Or at the first event from this time on (CLOCK_MONOTONIC ns; 0: by fault_at) */
	uint64_t fault_after_ns;
	int events;
	uint64_t sent; /**< bytes that went whole and unaltered */
	uint64_t rate; /**< bytes a second its sends take at most (a slow link); 0: no limit */
	bool broken, stalled;
	FILE *record; /**< when set, everything received is appended (fuzzer seeds) */
};
extern const struct mig_channel_ops faulty_channel_ops;

/** One migration between two fake VMs, source and destination in two threads. */
struct fake_migration {
	struct mig_hello dest_local; /**< what the destination accepts */
	struct mig_precopy_params precopy;
	enum mig_mode mode;
	enum mig_switchover switchover;
	unsigned postcopy_after_rounds; /**< 0: postcopy at once, every page fetched later */
	uint64_t max_bandwidth;		/**< bytes/s while the VM runs; 0: no cap */
	uint64_t link_rate; /**< bytes/s the source's sends take at most, always; 0: no limit */
	unsigned timeout_ms;
	bool dirtying; /**< the workload writes the source's memory meanwhile */
	enum fake_fault fault;
	int fault_at;
	unsigned fault_after_ms; /**< the fault strikes this long after the link began, if set */
	bool cancel_after_first_round;
	bool lift_cap_at_first_progress;   /**< the bandwidth cap lifted while the migration runs */
	struct mig_protect_params protect; /**< MIG_MODE_PROTECT */
	/**
	 * takeover=manual, a standby left waiting after the first link: 1, the
	 * supervisor stops the primary's VM (it verified the board dead) and
	 * tells the standby to run; -1, it releases the standby; 0, nothing.
	 */
	int supervise;
	/** A fenced primary after the first link: the supervisor says the standby is gone. */
	bool unfence;
	bool dest_vm_ends;	  /**< the destination's VM powers off when the first link ends */
	bool source_format_newer; /**< the source's HELLO: one format newer, with the window */
	const struct mig_frames_ops *src_frames, *dst_frames; /**< the guest's frames, or NULL */
	struct mig_source *source; /**< set by the harness while it runs (fake_migration_cancel) */
	bool source_ended;	   /**< it ran, and was freed */
	/* results */
	enum mig_state src_state, dst_state; /**< after the resolution */
	enum mig_state src_first_state;	     /**< when the first link ended */
	struct mig_report src, dst;
	bool dst_settled; /**< mig_dest_settled: the VM may be sent on from the destination */
	int src_events, dst_events; /**< channel events of the first link */
	uint64_t src_sent;	    /**< bytes the source sent on the first link */
	unsigned progress_reports;
	/* The first round's progress as it went: its highest dirty rate, and a time left given. */
	uint64_t round1_dirty_rate_max;
	bool round1_time_left;
	unsigned round1_first_rated_reports;
	uint64_t round1_expected_downtime; /**< ns, its first report with a dirty rate */
};

/**
 * One healthy link between a source and a destination engine (a run, or a
 * reconnection); the source's state, the destination's in *dst_state.
 */
enum mig_state fake_vm_link(struct mig_source *s, struct mig_dest *d, bool reconnect,
			    enum mig_state *dst_state);

/** Migrates src into dst as `m` says, then reconnects as needed; returns the source's state. */
enum mig_state fake_vm_migrate(struct fake_vm *src, struct fake_vm *dst, struct fake_migration *m);

/**
 * From another thread than fake_vm_migrate's: cancels m's migration. 1 asked,
 * 0 not begun yet, -1 over already (its source freed).
 */
int fake_migration_cancel(struct fake_migration *m);

#endif
