/* SPDX-License-Identifier: Apache-2.0 */
/**
 * A live migration on the board (docs/migration-protocol.md, "On the
 * board"): the engine runs on the board's control CPU beside the guest's
 * vCPUs, over the TLS link. The source migrates when the management
 * channel says `migrate` (docs/management.md) or at a set time after the
 * VM started (boot options ferry.migrate, ferry.migrate_at); the
 * destination (ferry.incoming) prepares the VM with its vCPUs parked and
 * waits for it. system/control.c drives both.
 */
#ifndef SYSTEM_MIGRATE_H
#define SYSTEM_MIGRATE_H

#include <stdbool.h>
#include <stdint.h>

#include "boards/board.h"
#include "hyp/arch.h"
#include "hyp/vm.h"
#include "mig/engine.h"

struct link_tcp;

/** A precopy that does not converge throttles the guest unless told otherwise (design 7). */
#define MIGRATE_ON_NO_CONVERGENCE MIG_NC_THROTTLE
/*
 * The default downtime limit. Low: each extra round of a guest that dirties
 * less than the link carries is cheap, and the pages left at the stop are
 * what the downtime is made of (bench/results/vs-qemu.json); a guest that
 * will not converge is throttled (on_no_convergence, docs/migration-protocol.md).
 */
#define MIGRATE_DOWNTIME_LIMIT_MS 5u

struct migrate_params {
	bool postcopy;			/**< the VM moves at once, its memory follows */
	bool confirmed;			/**< switchover: RUN only after PONG (else one flight) */
	uint64_t downtime_limit_ms;	/**< 0: the default */
	uint64_t max_bandwidth;		/**< bytes/s; 0: unlimited */
	unsigned postcopy_after_rounds; /**< postcopy: precopy rounds first */
	/** Precopy that does not converge: throttle (the default), postcopy or fail. */
	enum mig_no_convergence on_no_convergence;
	/** Protection (docs/protection.md): the VM stays, the peer becomes its standby. */
	bool protect;
	uint64_t epoch_ms, lease_ms; /**< protection: 0 for the defaults */
	bool manual; /**< protection: takeover=manual (the standby runs it only when told) */
	/**
	 * Protection: once the VM runs unprotected (its standby was lost, or this
	 * board took it over as standby), protect it again as soon as the peer
	 * waits for it (docs/protection.md).
	 */
	bool reprotect;
};

/*
 * Protection's defaults: a checkpoint every 20 ms (issue: the guest's
 * slowdown is judged at 20 ms epochs), a lease of 200 ms: an emulated
 * board on a busy host was seen to hold a message back for tens of
 * milliseconds, and a lease shorter than that fences a healthy primary.
 */
#define MIGRATE_EPOCH_MS 20u
#define MIGRATE_LEASE_MS 200u
/*
 * The primary's fencing at most, from its lease's end to its vCPUs out of
 * the guest: each vCPU's EL2 timer is armed for the deadline, and its
 * interrupt takes it out; an emulated board delivers it within a few
 * milliseconds even on a busy host. The standby adds it to its margin.
 */
#define MIGRATE_FENCE_MS 10u

/** Where a migration's news goes (the management channel's events). */
struct migrate_observer {
	void (*progress)(void *ctx, const struct mig_progress *p);
	void (*ended)(void *ctx, bool incoming, const struct mig_report *r);
	void *ctx;
};

/** What the operator asked of a migration in doubt (migrate-resolve, migrate-recover). */
enum migrate_request {
	MIGRATE_REQ_NONE,
	MIGRATE_REQ_NOW,     /**< ask the peer again now, without waiting */
	MIGRATE_REQ_VERDICT, /**< the operator's verdict (force) */
};

struct migrate_job {
	struct vm *vm;
	const struct board_desc *board;
	bool incoming;
	const char *test_fault; /**< destination: ferry.test=die_loading | fail_sync | ... */
	struct migrate_observer observer;
	/* The outgoing migration in progress, for cancel and query (under lock). */
	struct spinlock lock;
	struct mig_source *source;
	struct mig_dest *dest;
	volatile bool done;
	int outcome; /**< enum mig_state of the last migration */
	/* A migration in doubt: attempts to reach the peer, and the operator's word. */
	int request; /**< enum migrate_request, served between attempts */
	enum mig_verdict verdict;
	/** Destination: the VM that arrived goes on to a peer; migrate_in returns
	 * (migrate_send_on). */
	volatile bool send_on;
	/** A management channel can bring the supervisor's word (a fenced primary waits for it). */
	bool supervised;
	/**
	 * A standby (takeover=manual) whose primary is gone, or a fenced primary
	 * on a supervised board, waits for the supervisor's word.
	 */
	volatile bool awaiting_supervisor;
	/** Destination: stop waiting for a VM (none arrived, no copy here in doubt). */
	volatile bool stop_waiting;
	unsigned attempts;	  /**< reconnections tried while in doubt */
	uint64_t next_attempt_ms; /**< board time of the next one */
	/**
	 * Destination: it took the VM over as standby, and its primary asked
	 * for protection in turn, with these (migrate_in returns, send_on set).
	 */
	bool reprotect_due;
	struct mig_protect_params reprotect;
	/** A link to the peer made while waiting for it (migrate_peer_ready), for migrate_out. */
	struct link_tcp *ready_tcp;
};

/** One outgoing migration to the link's peer, to its end (reconnecting where that helps). */
enum mig_state migrate_out(struct migrate_job *j, const struct migrate_params *p);

/**
 * Waits up to wait_ms for a link to the peer (a board that came back),
 * quietly; true once there is one, which the next migrate_out uses.
 */
bool migrate_peer_ready(struct migrate_job *j, unsigned wait_ms);

/** Drops a link migrate_peer_ready made and nothing used. */
void migrate_peer_forget(struct migrate_job *j);

/**
 * The destination: receives the VM, then serves reconnects while it runs
 * here, until it stops or is to be sent on (migrate_send_on).
 */
void migrate_in(struct migrate_job *j);

/**
 * A destination whose VM runs here is to send it on (or back): true once its
 * migration is settled (the source heard the end), and migrate_in then
 * returns with the VM running; false with why before that.
 */
bool migrate_send_on(struct migrate_job *j, char *err, size_t n);
/**
 * The operator on a migration in doubt (an unresolved or paused source, a
 * paused postcopy destination): ask the peer again now, or with `force`
 * decide (mig_source_resolve, mig_dest_declare_lost). Served between two
 * attempts; false, with why, when nothing is in doubt or the verdict does
 * not fit.
 */
bool migrate_resolve(struct migrate_job *j, bool force, enum mig_verdict v, char *err, size_t n);

/** Asks the outgoing migration to cancel; false when there is none or it is past RUN. */
bool migrate_cancel(struct migrate_job *j);

/** The report of the migration in progress or last ended; false when there was none. */
bool migrate_report(struct migrate_job *j, struct mig_report *out);

#endif
