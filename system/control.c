/* SPDX-License-Identifier: Apache-2.0 */
/** The board's control CPU, see control.h. */
#include "system/control.h"

#include <string.h>

#include "drivers/fw_cfg.h"
#include "drivers/pl031.h"
#include "drivers/virtio_console.h"
#include "drivers/virtio_mmio.h"
#include "hyp/addr.h"
#include "hyp/arch.h"
#include "lib/bootargs.h"
#include "hyp/console.h"
#include "lib/format.h"
#include "lib/kv_text.h"
#include "lib/wall_clock.h"
#include "system/link_boot.h"
#include "system/mgmt.h"
#include "system/lan.h"
#include "system/migrate.h"
#include "system/sched.h"
#include "link/net.h"

#include "ferry_version.h"

/* The management token's fw_cfg file (ferry run --mgmt-token). */
#define FW_CFG_MGMT_TOKEN "opt/ferry/mgmt-token"

/* How long the control CPU sleeps between looks at the management channel. */
#define IDLE_MS 20u
/*
 * Waiting to protect the VM again (docs/protection.md "After a takeover"):
 * how long each look for the peer lasts (the management channel is served
 * meanwhile, and a look that found nobody rests as long); after an attempt
 * that did not hold, how long until the next (doubling after each, up to
 * the most); and how long a protection must have held for its failure to
 * be retried at once.
 */
#define PEER_LOOK_MS	       500u
#define REPROTECT_RETRY_MS     10000u
#define REPROTECT_RETRY_MAX_MS 160000u
#define REPROTECT_HELD_MS      60000u

static struct {
	struct vm *vm;
	const struct board_desc *board;
	unsigned cpu;
	bool active;	/**< the control CPU has work: a link or a management channel */
	bool have_mgmt; /**< and with it the board outlives its VMs (docs/management.md) */
	bool polling;	/**< in control_poll: commands never nest */
	struct mgmt mgmt;
	struct wall_clock wall; /**< the events' timestamps, from the board's RTC */
	struct migrate_job job;
	char test_fault[24];
	/* An outgoing migration asked for: by `migrate`, or by the boot options at at_ms. */
	bool requested, planned;
	bool boot_plans;  /**< the boot options plan one (ferry.migrate): the first VM's */
	unsigned plan_ms; /**< ferry.migrate_at */
	uint64_t at_ms;
	/* The board's life around its VMs. */
	bool first_vm_done;
	bool empty;	   /**< no VM here: migrate-incoming, vm-boot or quit */
	bool not_started;  /**< the last VM could not start (reported on the console) */
	bool arrived;	   /**< the VM, received, ran here (it may have left since) */
	bool may_boot;	   /**< a guest kernel is configured (vm-boot) */
	volatile int next; /**< enum control_next, set on an empty board */
	volatile bool vm_phase_done, finished;
	unsigned waiter; /**< the CPU waiting for the two above */
	struct migrate_params params;
	struct migrate_params defaults; /**< the boot options': what `migrate` does not say */
	bool operator_stopped;
	/* Protection to be taken up again once the peer is back (c.again: with what). */
	bool awaiting_standby;
	uint64_t await_from_ms;
	struct migrate_params again;
	unsigned reprotect_failures; /**< attempts in a row that did not hold (the next waits) */
	/* What query-migrate shows. */
	bool have_progress, have_report, report_incoming;
	uint64_t report_throttle_waits, report_throttle_wait_counts; /**< the VM's, at the report */
	enum mig_state last_state;
	struct mig_progress progress;
	struct mig_report report;
} c;

static uint64_t now_ms(void) { return arch_counter_now() / (arch_counter_freq() / 1000); }

/* --- events ------------------------------------------------------------------- */

static void event_status(const char *status)
{
	char buf[256];
	struct json_out o;

	mgmt_event_begin(&c.mgmt, &o, buf, sizeof(buf), "MIGRATION");
	json_out_str(&o, "status", status);
	mgmt_event_send(&c.mgmt, &o);
}

static void progress_members(struct json_out *o, const struct mig_progress *p)
{
	json_out_u64(o, "round", p->round);
	json_out_u64(o, "ram-sent", p->ram_bytes_sent);
	json_out_u64(o, "pages-total", p->pages_total);
	json_out_u64(o, "pages-remaining", p->pages_remaining);
	json_out_u64(o, "dirty-pages-rate", p->dirty_pages_per_s);
	json_out_u64(o, "bandwidth", p->bandwidth);
	json_out_u64(o, "expected-downtime-us", p->expected_downtime_ns / 1000u);
	json_out_u64(o, "elapsed-ms", p->elapsed_ns / 1000000u);
	json_out_u64(o, "throttle-pages-per-s", p->throttle_pages_per_s);
	if (p->time_left_ns)
		json_out_u64(o, "time-left-ms", p->time_left_ns / 1000000u);
}

/** A migration's id as the consoles print it: 16 hex digits (a JSON number would lose bits). */
static void id_member(struct json_out *o, uint64_t id)
{
	char hex[17];

	format_snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)id);
	json_out_str(o, "migration-id", hex);
}

/* Protection (docs/protection.md): the primary's checkpoints, or the standby's and its takeover. */
static void protection_members(struct json_out *o, const struct mig_report *r, bool incoming)
{
	json_out_object(o, "protection");
	if (incoming) {
		json_out_u64(o, "epochs-committed", r->epochs_committed);
		json_out_u64(o, "epoch-commit-max-us", r->epoch_commit_max_ns / 1000u);
		json_out_u64(o, "epoch-gap-max-us", r->epoch_gap_max_ns / 1000u);
		json_out_bool(o, "took-over", r->took_over);
		if (r->took_over) {
			json_out_u64(o, "takeover-detect-us", r->takeover_detect_ns / 1000u);
			json_out_u64(o, "takeover-start-us", r->takeover_start_ns / 1000u);
			json_out_u64(o, "takeover-rollback-us", r->takeover_rollback_ns / 1000u);
		}
	} else {
		json_out_u64(o, "epochs-sent", r->epochs_sent);
		json_out_u64(o, "epochs-acked", r->epochs_acked);
		json_out_u64(o, "epoch-pages", r->epoch_pages);
		json_out_u64(o, "epoch-pages-max", r->epoch_pages_max);
		json_out_u64(o, "epoch-pages-bound", r->epoch_pages_bound);
		json_out_u64(o, "epoch-hot-max", r->epoch_hot_max);
		json_out_u64(o, "epoch-pause-max-us", r->epoch_pause_max_ns / 1000u);
		json_out_u64(o, "epoch-pause-mean-us",
			     r->epochs_sent ? r->epoch_pause_total_ns / r->epochs_sent / 1000u : 0);
		json_out_u64(o, "ack-wait-mean-us",
			     r->epoch_acks ? r->ack_wait_total_ns / r->epoch_acks / 1000u : 0);
		json_out_u64(o, "ack-wait-max-us", r->ack_wait_max_ns / 1000u);
	}
	json_out_end(o);
}

static void report_members(struct json_out *o, const struct mig_report *r, bool incoming)
{
	json_out_str(o, "status", mig_state_name(r->state));
	json_out_str(o, "role", incoming ? "destination" : "source");
	json_out_str(o, "mode",
		     r->mode == MIG_MODE_PROTECT    ? "protect"
		     : r->mode == MIG_MODE_POSTCOPY ? "postcopy"
						    : "precopy");
	json_out_bool(o, "switched-to-postcopy", r->switched_to_postcopy);
	if (r->error[0])
		json_out_str(o, "error", r->error);
	id_member(o, r->migration_id);
	json_out_u64(o, "rounds", r->rounds);
	json_out_u64(o, "reconnects", r->reconnects);
	if (r->state == MIG_LOST)
		json_out_u64(o, "pages-lost", r->pages_lost);
	if (r->mode == MIG_MODE_PROTECT || r->epochs_committed || r->took_over)
		protection_members(o, r, incoming);
	if (incoming) {
		json_out_u64(o, "duplicates-dropped", r->duplicates_dropped);
		json_out_u64(o, "faults-served", r->faults_served);
		json_out_u64(o, "fault-wait-mean-us",
			     r->faults_served ? r->fault_wait_total_ns / r->faults_served / 1000u
					      : 0);
		json_out_u64(o, "fault-wait-max-us", r->fault_wait_max_ns / 1000u);
		json_out_u64(o, "longest-stall-us", r->stall_max_ns / 1000u);
		json_out_u64(o, "blocked-us", r->blocked_ns / 1000u);
		json_out_u64(o, "load-us", r->dest_load_ns / 1000u);
		json_out_u64(o, "sync-us", (r->dest_synced_ns - r->dest_loaded_ns) / 1000u);
		json_out_u64(o, "start-us", (r->dest_started_ns - r->dest_synced_ns) / 1000u);
		return;
	}
	json_out_u64(o, "downtime-us", r->downtime_ns / 1000u);
	/* What the guest felt: the downtime, then (postcopy) how long it stood still on missing
	 * pages. */
	json_out_u64(o, "blocked-us", r->blocked_ns / 1000u);
	json_out_u64(o, "longest-stall-us", r->stall_max_ns / 1000u);
	json_out_u64(o, "worst-pause-us", (r->downtime_ns + r->blocked_ns) / 1000u);
	json_out_u64(o, "faults-served", r->faults_served);
	json_out_u64(o, "downtime-uncertainty-us", r->downtime_uncertainty_ns / 1000u);
	json_out_u64(o, "clock-offset-abs-us",
		     (uint64_t)(r->clock_offset_ns < 0 ? -r->clock_offset_ns : r->clock_offset_ns) /
			     1000u);
	json_out_u64(o, "total-time-ms", r->total_ns / 1000000u);
	json_out_u64(o, "pages", r->pages_sent);
	json_out_u64(o, "zero-pages", r->zero_pages);
	json_out_u64(o, "delta-pages", r->delta_pages);
	json_out_u64(o, "unchanged-pages", r->unchanged_pages);
	json_out_u64(o, "pages-requested", r->pages_requested);
	json_out_u64(o, "bytes", r->bytes_sent);
	json_out_u64(o, "throughput",
		     r->total_ns ? r->bytes_sent * 1000000000ull / r->total_ns : 0);
	json_out_u64(o, "predicted-downtime-us", r->predicted_downtime_ns / 1000u);
	json_out_bool(o, "switchover-cost-over-limit", r->fixed_cost_over_limit);
	json_out_bool(o, "switchover-cost-dry-run", r->dry_run);
	json_out_object(o, "switchover-cost-us");
	json_out_u64(o, "source", r->cost_source_ns / 1000u);
	json_out_u64(o, "link", r->cost_link_ns / 1000u);
	json_out_u64(o, "destination", r->cost_dest_ns / 1000u);
	json_out_end(o);
	json_out_u64(o, "throttle-pages-per-s", r->throttle_pages_per_s);
	json_out_u64(o, "throttled-rounds", r->throttled_rounds);
	/* The migrating VM's, kept with its report: a later VM on this board has its own. */
	json_out_u64(o, "throttle-waits", c.report_throttle_waits);
	json_out_u64(o, "throttle-wait-ms",
		     c.report_throttle_wait_counts / (arch_counter_freq() / 1000u));
	json_out_u64(o, "settle-passes", r->settle_passes);
	json_out_u64(o, "stop-pages", r->stop_pages);
	json_out_object(o, "downtime-steps");
	json_out_u64(o, "last-pages-us", r->steps.pages_sent / 1000u);
	json_out_u64(o, "package-encoded-us", r->steps.package_encoded / 1000u);
	json_out_u64(o, "package-us", r->steps.package_sent / 1000u);
	json_out_u64(o, "run-us", r->steps.run_sent / 1000u);
	json_out_u64(o, "dest-received-us", r->steps.dest_received / 1000u);
	json_out_u64(o, "dest-loaded-us", r->steps.dest_loaded / 1000u);
	json_out_u64(o, "dest-synced-us", r->steps.dest_synced / 1000u);
	json_out_u64(o, "pong-us", r->steps.pong / 1000u);
	json_out_u64(o, "dest-running-us", r->steps.dest_running / 1000u);
	json_out_u64(o, "vm-started-us", r->steps.vm_started / 1000u);
	json_out_end(o);
	json_out_object(o, "destination");
	json_out_u64(o, "load-us", r->dest_load_ns / 1000u);
	json_out_u64(o, "sync-us", (r->dest_synced_ns - r->dest_loaded_ns) / 1000u);
	json_out_u64(o, "start-us", (r->dest_started_ns - r->dest_synced_ns) / 1000u);
	json_out_end(o);
}

static void on_progress(void *ctx, const struct mig_progress *p)
{
	char buf[512];
	struct json_out o;

	(void)ctx;
	if (!c.have_progress || p->state != c.last_state)
		event_status(mig_state_name(p->state));
	c.last_state = p->state;
	c.progress = *p;
	c.have_progress = true;
	mgmt_event_begin(&c.mgmt, &o, buf, sizeof(buf), "MIGRATION_PROGRESS");
	json_out_str(&o, "status", mig_state_name(p->state));
	progress_members(&o, p);
	mgmt_event_send(&c.mgmt, &o);
}

static void on_ended(void *ctx, bool incoming, const struct mig_report *r)
{
	char buf[MGMT_REPLY_MAX]; /* the report with its longest error: as query-migrate's */
	struct json_out o;
	bool ok =
		r->state == MIG_COMPLETED || (incoming && mig_state_runs_on_destination(r->state));

	(void)ctx;
	c.report = *r;
	c.report_throttle_waits = c.vm->throttle_waits;
	c.report_throttle_wait_counts = c.vm->throttle_wait_counts;
	c.have_report = true;
	c.report_incoming = incoming;
	c.arrived |= incoming && mig_state_runs_on_destination(r->state);
	/* Each state once: the last progress may have entered it already. */
	if (!c.have_progress || c.last_state != r->state)
		event_status(mig_state_name(r->state));
	c.last_state = r->state;
	mgmt_event_begin(&c.mgmt, &o, buf, sizeof(buf),
			 ok ? "MIGRATION_COMPLETED" : "MIGRATION_FAILED");
	report_members(&o, r, incoming);
	mgmt_event_send(&c.mgmt, &o);
}

static void event_vm(const char *name, const char *reason)
{
	char buf[256];
	struct json_out o;

	mgmt_event_begin(&c.mgmt, &o, buf, sizeof(buf), name);
	json_out_str(&o, "vm", c.vm->cfg.name);
	if (reason)
		json_out_str(&o, "reason", reason);
	mgmt_event_send(&c.mgmt, &o);
}

/* --- commands ----------------------------------------------------------------- */

static void mgmt_write(void *ctx, const char *text, size_t len)
{
	(void)ctx;
	virtio_console_write(text, len);
}

/* QMP's timestamps are wall-clock time (QMP specification, section 2.3: events). */
static uint64_t mgmt_now_us(void *ctx)
{
	(void)ctx;
	return wall_clock_us(&c.wall, arch_counter_now());
}

/* A reading of the RTC for the wall clock, when one is due: control CPU only. */
static void read_wall_clock(void)
{
	uint64_t before = arch_counter_now(), seconds;

	if (before < wall_clock_next(&c.wall, before))
		return;
	seconds = pl031_seconds(c.board->rtc_base);
	wall_clock_sample(&c.wall, (uint32_t)seconds, before, arch_counter_now());
}

static bool migrating(void) { return c.requested || c.job.source; }

static bool cmd_migrate(void *ctx, const struct mgmt_migrate_args *a, char *err, size_t n)
{
	const struct link_config *link = link_boot_config();
	enum mig_no_convergence nc = c.defaults.on_no_convergence;

	(void)ctx;
	if (c.job.incoming && !c.arrived) {
		format_snprintf(err, n, "no VM has arrived here yet");
		return false;
	}
	if (!link) {
		format_snprintf(err, n, "this board has no link (ferry run --link)");
		return false;
	}
	if (strcmp(a->peer, link->creds.peer) != 0) {
		format_snprintf(err, n, "unknown peer '%s': this board's link goes to '%s'",
				a->peer, link->creds.peer);
		return false;
	}
	if (migrating()) {
		format_snprintf(err, n, "a migration is already under way");
		return false;
	}
	if (c.vm->stop != VM_RUNNING) {
		format_snprintf(err, n, "the VM is not running here");
		return false;
	}
	if (c.operator_stopped) {
		format_snprintf(err, n, "the VM is stopped: 'cont' first");
		return false;
	}
	if (a->on_no_convergence[0] && !mig_no_convergence_parse(a->on_no_convergence, &nc)) {
		format_snprintf(
			err, n,
			"'on-no-convergence' is \"throttle\", \"postcopy\" or \"fail\", not "
			"\"%s\"",
			a->on_no_convergence);
		return false;
	}
	/* A VM that arrived goes on once its own migration is settled. */
	if (c.job.incoming && !migrate_send_on(&c.job, err, n))
		return false;
	c.params = (struct migrate_params){
		.postcopy = a->postcopy,
		.on_no_convergence = nc,
		.confirmed = a->switchover_given ? a->confirmed : c.defaults.confirmed,
		.downtime_limit_ms = a->downtime_limit_ms,
		.max_bandwidth = a->max_bandwidth,
		.postcopy_after_rounds = (unsigned)a->postcopy_after_rounds,
		.protect = a->protect,
		.epoch_ms = a->epoch_ms,
		.lease_ms = a->lease_ms,
		.manual = a->manual,
		.reprotect = a->reprotect_given ? a->reprotect : c.defaults.reprotect,
	};
	c.awaiting_standby = false; /* what is asked now replaces a protection waited for */
	c.requested = true;
	c.have_progress = c.have_report = false;
	event_status("setup");
	return true;
}

/* migrate-set-parameters, as QEMU's: a migration this board sends now follows them too. */
static void cmd_set_parameters(void *ctx, uint64_t downtime_limit_ms, uint64_t max_bandwidth)
{
	(void)ctx;
	if (c.job.source)
		mig_source_set_limits(c.job.source, downtime_limit_ms * 1000000ull, max_bandwidth);
}

static bool cmd_migrate_cancel(void *ctx, char *err, size_t n)
{
	(void)ctx;
	if (c.job.incoming && !c.arrived) {
		/* A board waiting for a VM stops waiting (unless a copy here is in doubt). */
		__atomic_store_n(&c.job.stop_waiting, true, __ATOMIC_RELEASE);
		return true;
	}
	if (c.requested && !c.job.source) {
		c.requested = false; /* not begun yet */
		event_status("cancelled");
		return true;
	}
	if (!c.job.source && c.awaiting_standby) {
		c.awaiting_standby = false;
		console_printf("protection: no longer waiting for %s to protect the VM again "
			       "(migrate-cancel)\n",
			       link_boot_config()->creds.peer);
		event_status("cancelled");
		return true;
	}
	if (!c.job.source) {
		format_snprintf(err, n, "no migration is under way");
		return false;
	}
	if (!migrate_cancel(&c.job)) {
		format_snprintf(err, n, "too late: RUN was sent, the VM is the destination's now");
		return false;
	}
	return true;
}

static bool cmd_migrate_resolve(void *ctx, const char *force, char *err, size_t n)
{
	enum mig_verdict v = MIG_VERDICT_LOST;

	(void)ctx;
	if (force && !strcmp(force, "source"))
		v = MIG_VERDICT_SOURCE;
	else if (force && !strcmp(force, "destination"))
		v = MIG_VERDICT_DESTINATION;
	return migrate_resolve(&c.job, force != NULL, v, err, n);
}

static bool cmd_migrate_recover(void *ctx, char *err, size_t n)
{
	struct mig_report live;

	(void)ctx;
	if (!migrate_report(&c.job, &live) || live.state != MIG_POSTCOPY_PAUSED) {
		format_snprintf(err, n, "no paused postcopy here (%s)",
				migrate_report(&c.job, &live) ? mig_state_name(live.state)
							      : "none");
		return false;
	}
	return migrate_resolve(&c.job, false, MIG_VERDICT_LOST, err, n);
}

/* What a migration in doubt knows: why, and how it goes on asking. */
static void doubt_members(struct json_out *o, const struct mig_report *r)
{
	uint64_t now = now_ms();

	if (r->state != MIG_UNRESOLVED && r->state != MIG_POSTCOPY_PAUSED)
		return;
	json_out_str(o, "in-doubt", r->error);
	json_out_u64(o, "attempts", c.job.attempts);
	json_out_u64(o, "next-attempt-ms",
		     c.job.next_attempt_ms > now ? c.job.next_attempt_ms - now : 0);
}

/*
 * QMP's own members of query-migrate (QEMU's MigrationInfo: times in ms,
 * RAM in bytes) beside Ferry's: a migration under way, from its progress.
 */
static void qmp_progress_members(struct json_out *o, const struct mig_progress *p)
{
	json_out_u64(o, "total-time", p->elapsed_ns / 1000000u);
	json_out_u64(o, "expected-downtime", p->expected_downtime_ns / 1000000u);
	json_out_object(o, "ram");
	json_out_u64(o, "transferred", p->ram_bytes_sent);
	json_out_u64(o, "total", p->pages_total * PAGE_SIZE);
	json_out_u64(o, "remaining", p->pages_remaining * PAGE_SIZE);
	json_out_u64(o, "dirty-pages-rate", p->dirty_pages_per_s);
	json_out_u64(o, "mbps", p->bandwidth * 8u / 1000000u);
	json_out_u64(o, "dirty-sync-count", p->round);
	json_out_end(o);
}

/* ... and one that ended, from the source's report. */
static void qmp_report_members(struct json_out *o, const struct mig_report *r)
{
	json_out_u64(o, "total-time", r->total_ns / 1000000u);
	json_out_u64(o, "downtime", r->downtime_ns / 1000000u);
	json_out_object(o, "ram");
	json_out_u64(o, "transferred", r->bytes_sent);
	json_out_u64(o, "duplicate", r->zero_pages);
	json_out_u64(o, "mbps", r->total_ns ? r->bytes_sent * 8000u / r->total_ns : 0);
	json_out_end(o);
}

static void cmd_query_migrate(void *ctx, struct json_out *ret)
{
	struct mig_report live;

	(void)ctx;
	if (migrate_report(&c.job, &live)) {
		json_out_str(ret, "status", mig_state_name(live.state));
		json_out_str(ret, "role", c.job.incoming ? "destination" : "source");
		id_member(ret, live.migration_id);
		doubt_members(ret, &live);
		if (c.have_progress) {
			qmp_progress_members(ret, &c.progress);
			json_out_object(ret, "progress");
			progress_members(ret, &c.progress);
			json_out_end(ret);
		}
		return;
	}
	if (c.have_report && !c.report_incoming)
		qmp_report_members(ret, &c.report);
	if (c.have_report)
		report_members(ret, &c.report, c.report_incoming);
	else
		json_out_str(ret, "status", c.requested ? "setup" : "none");
	if (c.awaiting_standby)
		json_out_bool(ret, "awaiting-standby", true);
}

static const char *vm_state(void)
{
	struct mig_report live;

	switch (c.vm->stop) {
	case VM_RUNNING:
		break;
	case VM_POWER_OFF:
		return "powered-off";
	case VM_RESET:
		return "reset";
	case VM_CRASHED:
		if (c.not_started)
			return "not-started";
		return c.job.incoming && !c.arrived ? "none-arrived" : "crashed";
	case VM_MIGRATED:
		return "migrated";
	case VM_LOST:
		return "lost";
	case VM_FENCED:
		return "fenced";
	}
	/* A migration in doubt says more of the VM than that it runs. */
	if (migrate_report(&c.job, &live) &&
	    (live.state == MIG_UNRESOLVED || live.state == MIG_POSTCOPY_PAUSED))
		return mig_state_name(live.state);
	if (c.job.incoming && !c.arrived)
		return "incoming";
	if (c.operator_stopped)
		return "paused";
	return c.job.source ? "migrating" : "running";
}

/* The board's own state (docs/management.md, "A board's life"). */
static const char *board_state(void)
{
	if (c.empty)
		return "empty";
	return c.job.incoming && !c.arrived ? "receiving" : "hosting";
}

static void cmd_query_vms(void *ctx, struct json_out *ret)
{
	(void)ctx;
	json_out_str(ret, "board", board_state());
	if (link_boot_config()) {
		json_out_str(ret, "link-name", link_boot_config()->creds.identity);
		json_out_str(ret, "link-peer", link_boot_config()->creds.peer);
	}
	json_out_array(ret, "vms");
	json_out_object(ret, NULL);
	json_out_str(ret, "name", c.vm->cfg.name);
	json_out_str(ret, "state", vm_state());
	json_out_u64(ret, "vcpus", c.vm->cfg.vcpu_count);
	json_out_u64(ret, "memory-mib", c.vm->cfg.mem_bytes >> 20);
	json_out_end(ret);
	json_out_end(ret);
}

/*
 * QMP's query-status: its RunState names for Ferry's VM states
 * (docs/management.md), and Ferry's own beside them.
 */
static void cmd_query_status(void *ctx, struct json_out *ret)
{
	static const struct {
		const char *ferry, *qmp;
	} states[] = {
		{ "running", "running" },
		{ "migrating", "running" },
		{ "paused", "paused" },
		{ "unresolved", "paused" },
		{ "incoming", "inmigrate" },
		{ "migrated", "postmigrate" },
		{ "fenced", "postmigrate" },
		{ "lost", "postmigrate" },
		{ "powered-off", "shutdown" },
		{ "reset", "shutdown" },
		{ "crashed", "internal-error" },
		{ "not-started", "internal-error" },
		{ "none-arrived", "internal-error" },
	};
	const char *state = vm_state(), *qmp = "running";

	(void)ctx;
	/* postcopy-paused: the VM runs on the destination, which waits for pages */
	if (strcmp(state, "postcopy-paused") == 0)
		qmp = c.job.source ? "postmigrate" : "running";
	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++)
		if (strcmp(states[i].ferry, state) == 0)
			qmp = states[i].qmp;
	json_out_bool(ret, "running", strcmp(qmp, "running") == 0);
	json_out_bool(ret, "singlestep", false);
	json_out_str(ret, "status", qmp);
	json_out_str(ret, "vm-state", state);
}

static bool cmd_stop(void *ctx, char *err, size_t n)
{
	(void)ctx;
	if (c.vm->stop != VM_RUNNING || (c.job.incoming && !c.arrived)) {
		format_snprintf(err, n, "the VM is not running here (%s)", vm_state());
		return false;
	}
	if (migrating()) {
		format_snprintf(err, n, "a migration is under way: 'migrate-cancel' first");
		return false;
	}
	if (c.operator_stopped) {
		format_snprintf(err, n, "the VM is stopped already");
		return false;
	}
	vm_pause(c.vm);
	c.operator_stopped = true;
	event_vm("STOP", NULL);
	return true;
}

static bool cmd_cont(void *ctx, char *err, size_t n)
{
	(void)ctx;
	if (!c.operator_stopped) {
		format_snprintf(err, n, "the VM is not stopped");
		return false;
	}
	/* Once a migration holds the VM, only it may run the VM here again (or never). */
	if (migrating()) {
		format_snprintf(err, n, "a migration is under way: it decides where the VM runs");
		return false;
	}
	vm_unpause(c.vm);
	c.operator_stopped = false;
	event_vm("RESUME", NULL);
	return true;
}

/* An empty board's next VM: asked here, made by the boot CPU (control_next). */
static bool next_vm(enum control_next next, char *err, size_t n)
{
	if (!c.empty) {
		format_snprintf(err, n, "the board holds a VM (%s): it must leave or end first",
				vm_state());
		return false;
	}
	c.next = (int)next;
	return true;
}

static bool cmd_migrate_incoming(void *ctx, char *err, size_t n)
{
	(void)ctx;
	if (!link_boot_config()) {
		format_snprintf(err, n, "this board has no link (ferry run --link)");
		return false;
	}
	return next_vm(CONTROL_INCOMING, err, n);
}

static bool cmd_vm_boot(void *ctx, char *err, size_t n)
{
	(void)ctx;
	if (!c.may_boot) {
		format_snprintf(err, n,
				"this board has no guest kernel to boot (ferry run --guest)");
		return false;
	}
	return next_vm(CONTROL_BOOT, err, n);
}

static bool cmd_quit(void *ctx, char *err, size_t n)
{
	(void)ctx;
	/* A board holding a VM never drops it: only an empty one powers off. */
	return next_vm(CONTROL_QUIT, err, n);
}

static const struct mgmt_ops board_mgmt_ops = {
	.write = mgmt_write,
	.now_us = mgmt_now_us,
	.migrate = cmd_migrate,
	.migrate_cancel = cmd_migrate_cancel,
	.migrate_resolve = cmd_migrate_resolve,
	.migrate_recover = cmd_migrate_recover,
	.query_migrate = cmd_query_migrate,
	.query_vms = cmd_query_vms,
	.query_status = cmd_query_status,
	.stop = cmd_stop,
	.cont = cmd_cont,
	.migrate_incoming = cmd_migrate_incoming,
	.vm_boot = cmd_vm_boot,
	.quit = cmd_quit,
	.set_parameters = cmd_set_parameters,
};

/* A client came (greeted) or left, as the device says. */
static bool host_news(void)
{
	int change = virtio_console_poll_host();

	if (change)
		mgmt_connected(&c.mgmt, change > 0, FERRY_VERSION_STRING);
	return change != 0;
}

/** Serves what the host sent on the management channel; never nested. */
static void control_poll(void)
{
	char bytes[256];
	size_t n;

	if (!c.have_mgmt || c.polling)
		return;
	c.polling = true;
	for (;;) {
		host_news();
		n = virtio_console_read(bytes, sizeof(bytes));
		if (!n)
			break;
		/*
		 * QEMU queues a client's PORT_OPEN (control queue) before its first
		 * bytes (data queue). A coming or going heard only now, after bytes
		 * were read, may be a new client's whose bytes these are, sent before
		 * it was greeted: they are dropped, so that no byte of one client
		 * runs in another's session (negotiated, the token shown). A client
		 * that waits for the greeting, as QMP's do, loses nothing; what a
		 * leaving one sent last has nobody to answer.
		 */
		if (host_news())
			continue;
		mgmt_input(&c.mgmt, bytes, n);
	}
	c.polling = false;
}

/* --- the control CPU ------------------------------------------------------------ */

/* What the control CPU does whenever it waits: the management channel, the guests' LAN. */
static void control_idle(void)
{
	read_wall_clock();
	control_poll();
	lan_poll();
}

static void sleep_ms(unsigned ms)
{
	uint64_t now = arch_counter_now(), due = wall_clock_next(&c.wall, now);
	uint64_t tick_ms = arch_counter_freq() / 1000u;

	/* Awake when the wall clock's next reading is due (rounded up): its window halves. */
	if (tick_ms && due > now && (due - now + tick_ms - 1) / tick_ms < ms)
		ms = (unsigned)((due - now + tick_ms - 1) / tick_ms);
	if (link_boot_config()) {
		link_net_pump(ms); /* polls the management channel and the LAN too */
		return;
	}
	control_idle();
	arch_timer_arm(arch_counter_freq() / 1000u * ms);
	arch_idle_wait();
}

/*
 * The VM runs here unprotected and is to be protected again (its standby
 * was lost, or this board took it over): once the peer is back.
 */
static void await_standby(const struct migrate_params *p, unsigned after_ms)
{
	c.again = *p;
	c.awaiting_standby = true;
	c.await_from_ms = now_ms() + after_ms;
	if (after_ms)
		console_printf("protection: the VM runs here unprotected; the last attempt to "
			       "protect it did not hold: the next in %u s\n",
			       after_ms / 1000u);
	else
		console_printf("protection: the VM runs here unprotected; it is protected again as "
			       "soon as %s waits for it\n",
			       link_boot_config()->creds.peer);
}

/* After a protection to be taken up again failed: at once, or after a wait that doubles. */
static unsigned retry_after_ms(void)
{
	uint64_t epoch_ms = c.params.epoch_ms ? c.params.epoch_ms : MIGRATE_EPOCH_MS;
	uint64_t held_ms = c.have_report ? c.report.epochs_acked * epoch_ms : 0;
	unsigned ms = REPROTECT_RETRY_MS;

	if (held_ms >= REPROTECT_HELD_MS) {
		c.reprotect_failures = 0;
		return 0;
	}
	for (unsigned i = 0; i < c.reprotect_failures && ms < REPROTECT_RETRY_MAX_MS; i++)
		ms *= 2;
	c.reprotect_failures++;
	return ms < REPROTECT_RETRY_MAX_MS ? ms : REPROTECT_RETRY_MAX_MS;
}

/*
 * One look for the peer while waiting to protect again (it serves the
 * channel meanwhile); a look that found nobody rests as long, so that a
 * board that is up but not listening is not asked more than once a second.
 */
static void look_for_standby(void)
{
	bool ready = migrate_peer_ready(&c.job, PEER_LOOK_MS);

	if (c.requested)
		return; /* a command meanwhile asked for something else: that uses the link */
	if (!ready || !c.awaiting_standby || c.operator_stopped || c.vm->stop != VM_RUNNING) {
		migrate_peer_forget(&c.job); /* cancelled, or stopped, meanwhile */
		if (!ready)
			c.await_from_ms = now_ms() + PEER_LOOK_MS;
		return;
	}
	c.awaiting_standby = false;
	c.params = c.again;
	c.requested = true;
	c.have_progress = c.have_report = false;
	console_printf("protection: %s is back: protecting the VM again\n",
		       link_boot_config()->creds.peer);
	event_status("setup");
}

/*
 * This board took the VM over as standby, and its primary asked for
 * protection in turn (EPOCH): with its times and takeover, the rest as this
 * board's own defaults; unless this board's own option says no.
 */
static void protect_in_turn(const struct mig_protect_params *asked)
{
	struct migrate_params p = c.defaults;

	if (!c.defaults.reprotect) {
		console_printf("protection: the VM runs here unprotected (ferry.reprotect=off on "
			       "this board)\n");
		return;
	}
	p.postcopy = false;
	p.protect = p.reprotect = true;
	p.epoch_ms = asked->epoch_ns / 1000000u;
	p.lease_ms = asked->lease_ns / 1000000u;
	p.manual = asked->manual;
	c.reprotect_failures = 0;
	await_standby(&p, 0);
}

static void run_source(void)
{
	while (c.vm->stop == VM_RUNNING) {
		/* A planned migration waits while the operator keeps the VM stopped. */
		if (c.planned && now_ms() >= c.at_ms && !c.operator_stopped) {
			c.planned = false;
			c.requested = true;
		}
		if (c.requested && c.vm->stop == VM_RUNNING) {
			enum mig_state st = migrate_out(&c.job, &c.params);

			c.requested = false;
			if (st == MIG_COMPLETED || st == MIG_LOST)
				return; /* the VM is the destination's, or lost: never run here */
			/*
			 * Protection that ended without the operator (the standby is
			 * gone), or never began: again once the peer is back. A
			 * protection that began looks again at once; one that found
			 * no standby there waits before it asks again.
			 */
			if (c.params.protect && c.params.reprotect && st == MIG_FAILED &&
			    c.vm->stop == VM_RUNNING && !c.requested)
				await_standby(&c.params, retry_after_ms());
			continue;
		}
		if (c.awaiting_standby && !c.operator_stopped && now_ms() >= c.await_from_ms) {
			look_for_standby();
			continue;
		}
		sleep_ms(IDLE_MS);
	}
	migrate_peer_forget(&c.job);
	c.awaiting_standby = false;
}

/** For the boot CPU: waits asleep until *flag, woken by wake_waiter(). */
static void wait_for(volatile bool *flag)
{
	c.waiter = arch_cpu_index();
	while (!__atomic_load_n(flag, __ATOMIC_ACQUIRE)) {
		arch_timer_arm(arch_counter_freq() / 1000u * IDLE_MS); /* a lost kick costs this */
		arch_idle_wait();
	}
}

static void wake_waiter(volatile bool *flag)
{
	__atomic_store_n(flag, true, __ATOMIC_RELEASE);
	arch_kick_cpu(c.waiter);
}

/* The VM's life on this board: received, run, migrated, until it stops here. */
static void serve_vm(void)
{
	if (c.job.incoming) {
		migrate_in(&c.job);
		if (c.vm->stop == VM_RUNNING && c.job.send_on) {
			/* It arrived, and goes on: this board is its source now. */
			c.job.incoming = c.job.send_on = false;
			if (c.job.reprotect_due)
				protect_in_turn(&c.job.reprotect);
			c.job.reprotect_due = false;
			run_source();
		}
		while (c.vm->stop == VM_RUNNING)
			sleep_ms(IDLE_MS);
	} else {
		run_source();
	}
	if (c.vm->stop != VM_RUNNING && c.vm->stop != VM_MIGRATED)
		event_vm("SHUTDOWN", vm_state());
}

static void control_run(void *arg)
{
	bool with_vm = arg != NULL;

	lan_take_irq();
	if (link_boot_config()) {
		link_boot_take_irq(c.board);
		link_net_set_idle_work(control_idle);
	}
	if (with_vm) {
		serve_vm();
		wake_waiter(&c.vm_phase_done);
	}
	if (c.have_mgmt) {
		/* An empty board: the channel says what comes next. */
		c.empty = true;
		while (c.next == CONTROL_NEXT_NONE)
			sleep_ms(IDLE_MS);
		c.empty = false;
	}
	link_net_set_idle_work(NULL);
	if (link_boot_config())
		link_net_pump(0);
	wake_waiter(&c.finished);
}

static bool find_mgmt(const struct board_desc *b)
{
	const struct board_virtio *v = &b->virtio;
	int slot = virtio_mmio_find(v->base, v->stride, v->slot_count, VIRTIO_ID_CONSOLE);
	char err[160];

	if (slot < 0)
		return false;
	if (!virtio_console_init(v->base + (uint64_t)slot * v->stride, err, sizeof(err))) {
		console_printf("control: management channel: %s\n", err);
		return false;
	}
	return true;
}

/*
 * The management token (docs/management.md, "Who may command a board"): a
 * board given one (fw_cfg opt/ferry/mgmt-token, from ferry creds) runs no
 * command of a client that has not shown it; false on a bad one.
 */
static bool mgmt_token(bool tells_host)
{
	char text[MGMT_TOKEN_LEN + 2];
	uint16_t sel;
	uint32_t size;

	if (!fw_cfg_find(FW_CFG_MGMT_TOKEN, &sel, &size))
		return true;
	/* A session that ends unseen would let the next client in on this one's token. */
	if (!tells_host) {
		console_printf(
			"control: a management token needs a channel that says when a client "
			"comes and goes (virtio-console MULTIPORT)\n");
		return false;
	}
	if (size > sizeof(text) - 1 || !fw_cfg_read(sel, text, size)) {
		console_printf("control: %s is not a management token\n", FW_CFG_MGMT_TOKEN);
		return false;
	}
	text[size] = '\0';
	if (size && text[size - 1] == '\n')
		text[size - 1] = '\0';
	if (!mgmt_require_token(&c.mgmt, text)) {
		console_printf("control: %s is not a management token (%u hex digits)\n",
			       FW_CFG_MGMT_TOKEN, MGMT_TOKEN_LEN);
		return false;
	}
	console_printf("control: the management channel requires its token\n");
	return true;
}

/* A protection time in ms from the boot options (absent: 0, the default); false when bad. */
static bool protect_option(const struct vm_config *cfg, const struct board_facts *f,
			   const char *name, uint64_t *ms)
{
	char v[16];
	unsigned got;

	if (!bootargs_get(f->bootargs, name, v, sizeof(v)))
		return true;
	if (!kv_parse_uint(v, strlen(v), 10000, &got) || !got) {
		console_printf("%s: %s=%s: milliseconds, 1 to 10000\n", cfg->name, name, v);
		return false;
	}
	*ms = got;
	return true;
}

bool control_init(const struct vm_config *cfg, const struct board_desc *b,
		  const struct board_facts *f, unsigned cpus_online, bool may_boot, bool *incoming)
{
	char mode[16], at[16];
	bool outgoing = bootargs_get(f->bootargs, "ferry.migrate", mode, sizeof(mode));
	unsigned ms = 2000;

	memset(&c, 0, sizeof(c));
	c.board = b;
	wall_clock_init(&c.wall, arch_counter_freq());
	read_wall_clock();
	c.may_boot = may_boot;
	*incoming = bootargs_flag(f->bootargs, "ferry.incoming");
	if (outgoing && strcmp(mode, "precopy") != 0 && strcmp(mode, "postcopy") != 0 &&
	    strcmp(mode, "protect") != 0) {
		console_printf("%s: ferry.migrate=%s: precopy, postcopy or protect\n", cfg->name,
			       mode);
		return false;
	}
	if ((outgoing || *incoming) && !link_boot_config()) {
		console_printf("%s: migration needs the link (ferry boot --link)\n", cfg->name);
		return false;
	}
	if (bootargs_get(f->bootargs, "ferry.migrate_at", at, sizeof(at)) &&
	    !kv_parse_uint(at, strlen(at), 86400000, &ms)) {
		console_printf("%s: ferry.migrate_at=%s: milliseconds, 0 to 86400000\n", cfg->name,
			       at);
		return false;
	}
	c.have_mgmt = find_mgmt(b);
	lan_init(b, f, link_boot_config() != NULL);
	c.active = c.have_mgmt || link_boot_config() || lan_present();
	if (!c.active)
		return true;
	c.cpu = cfg->vcpu_count;
	if (c.cpu >= cpus_online) {
		console_printf(
			"%s: the link, the management channel and the LAN need a CPU beside the %u "
			"vCPUs: give the board %u\n",
			cfg->name, cfg->vcpu_count, cfg->vcpu_count + 1);
		return false;
	}
	if (c.have_mgmt) {
		mgmt_init(&c.mgmt, &board_mgmt_ops, NULL);
		c.mgmt.downtime_limit_ms = MIGRATE_DOWNTIME_LIMIT_MS;
		/* Events wait for a client when the device can say whether one is there. */
		if (virtio_console_tells_host())
			mgmt_connected(&c.mgmt, virtio_console_host_open(), FERRY_VERSION_STRING);
		if (!mgmt_token(virtio_console_tells_host()))
			return false;
		console_printf("control: management channel on virtio-console\n");
	}
	c.boot_plans = outgoing;
	c.plan_ms = ms;
	c.params.postcopy = outgoing && strcmp(mode, "postcopy") == 0;
	c.params.protect = outgoing && strcmp(mode, "protect") == 0;
	c.params.reprotect = true;
	if (bootargs_get(f->bootargs, "ferry.reprotect", mode, sizeof(mode))) {
		if (strcmp(mode, "on") != 0 && strcmp(mode, "off") != 0) {
			console_printf("%s: ferry.reprotect=%s: on or off\n", cfg->name, mode);
			return false;
		}
		c.params.reprotect = strcmp(mode, "on") == 0;
	}
	if (bootargs_get(f->bootargs, "ferry.takeover", mode, sizeof(mode))) {
		if (strcmp(mode, "auto") != 0 && strcmp(mode, "manual") != 0) {
			console_printf("%s: ferry.takeover=%s: auto or manual\n", cfg->name, mode);
			return false;
		}
		c.params.manual = strcmp(mode, "manual") == 0;
	}
	if (!protect_option(cfg, f, "ferry.epoch_ms", &c.params.epoch_ms) ||
	    !protect_option(cfg, f, "ferry.lease_ms", &c.params.lease_ms))
		return false;
	c.params.on_no_convergence = MIGRATE_ON_NO_CONVERGENCE;
	if (bootargs_get(f->bootargs, "ferry.on_no_convergence", mode, sizeof(mode)) &&
	    !mig_no_convergence_parse(mode, &c.params.on_no_convergence)) {
		console_printf("%s: ferry.on_no_convergence=%s: throttle, postcopy or fail\n",
			       cfg->name, mode);
		return false;
	}
	if (bootargs_get(f->bootargs, "ferry.switchover", mode, sizeof(mode))) {
		if (strcmp(mode, "one-flight") != 0 && strcmp(mode, "confirmed") != 0) {
			console_printf("%s: ferry.switchover=%s: one-flight or confirmed\n",
				       cfg->name, mode);
			return false;
		}
		c.params.confirmed = strcmp(mode, "confirmed") == 0;
	}
	c.defaults = c.params;
	bootargs_get(f->bootargs, "ferry.test", c.test_fault, sizeof(c.test_fault));
	return true;
}

void control_attach(struct vm *vm, bool incoming)
{
	c.vm = vm;
	c.job = (struct migrate_job){
		.vm = vm,
		.board = c.board,
		.incoming = incoming,
		.test_fault = c.test_fault[0] ? c.test_fault : NULL,
		.observer = { on_progress, on_ended, NULL },
		.supervised = c.have_mgmt,
	};
	/* Only the board's first VM has the boot options' migration planned. */
	c.planned = c.boot_plans && !c.first_vm_done && !incoming;
	c.first_vm_done = true;
	c.requested = c.operator_stopped = c.not_started = c.arrived = false;
	c.params = c.defaults;
	if (incoming)
		c.have_progress = c.have_report =
			false; /* the last VM's are no longer this one's */
	c.next = CONTROL_NEXT_NONE;
	c.vm_phase_done = c.finished = false;
}

void control_start(void)
{
	if (!c.active)
		return;
	c.at_ms = now_ms() + c.plan_ms;	  /* ferry.migrate_at counts from the VM's start */
	lan_attach(c.vm, c.job.incoming); /* the VM is built: its frames move there */
	sched_assign(c.cpu, control_run, c.vm);
}

void control_finish(void)
{
	if (!c.active)
		return;
	/* A migration under way when the VM stopped by itself ends here. */
	migrate_cancel(&c.job);
	wait_for(&c.vm_phase_done);
	lan_detach();
}

bool control_vm_arrived(void) { return c.arrived; }

enum control_next control_next(bool started, const char *what)
{
	if (!c.have_mgmt)
		return CONTROL_POWER_OFF;
	console_printf("Ferry: %s; the board stays up: migrate-incoming, vm-boot or quit on its "
		       "management channel\n",
		       what);
	if (!started) {
		c.not_started = true;
		if (c.vm)
			c.vm->stop = VM_CRASHED;
		sched_assign(c.cpu, control_run, NULL); /* the channel only */
	}
	wait_for(&c.finished);
	return (enum control_next)c.next;
}
