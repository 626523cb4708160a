/* SPDX-License-Identifier: Apache-2.0 */
/** Live migration on the board, see migrate.h. */
#include "system/migrate.h"

#include "hyp/arch.h"
#include "hyp/arch_vcpu.h"
#include "hyp/console.h"
#include "lib/exit_code.h"
#include "lib/format.h"
#include "hyp/id_regs.h"
#include "system/lan.h"
#include "system/link_boot.h"
#include "system/migrate_faults.h"
#include "hyp/vm_migrate_ops.h"
#include "link/mig_channel.h"
#include "link/net.h"
#include "mig/engine.h"

#include "ferry_version.h"

#define REPLY_TIMEOUT_MS 5000u
/*
 * A source that cannot know where the VM runs asks the destination again
 * and again, waiting longer each time up to a few seconds: for as long as
 * it does not know, never giving up (design section 7, liveness).
 */
#define RETRY_FIRST_MS 100u
#define RETRY_MAX_MS   2000u
/* How often a destination whose migration is settled looks whether to send the VM on. */
#define SETTLED_LOOK_MS 20u
/* How long a destination whose VM ended waits for a source that may not know yet. */
#define VM_ENDED_WAIT_MS 10000u

static struct mig_hello local_hello(const struct vm *vm)
{
	struct arch_cpu_info cpu;
	struct mig_hello h = {
		.format_version = MIG_FORMAT_VERSION,
		.producer = FERRY_VERSION_STRING,
		.cntfrq = (uint32_t)arch_counter_freq(),
		.gic_iidr = VGIC_IIDR,
		.gic_intid_count = VGIC_INTID_COUNT,
		.vcpu_count = (uint16_t)vm->cfg.vcpu_count,
		.ram_base = GUEST_RAM_IPA,
		.ram_size = vm->cfg.mem_bytes,
		.page_size = PAGE_SIZE,
		.capabilities =
			MIG_CAP_ZERO_PAGES | MIG_CAP_VM_STARTED | MIG_CAP_SWITCHOVER_ACK |
			MIG_CAP_POSTCOPY | MIG_CAP_DRY_RUN | MIG_CAP_SPARSE_PAGES |
			MIG_CAP_DELTA_PAGES | MIG_CAP_DRY_RUN_ENTRY | MIG_CAP_PROTECT |
			MIG_CAP_PROTECT_AGAIN |
			(MIG_FORMAT_OLDEST < MIG_FORMAT_VERSION ? MIG_CAP_FORMAT_WINDOW : 0),
	};

	/* What the guest sees of the CPU (its MIDR is the CPU's): the destination must offer it. */
	arch_cpu_info(&cpu);
	h.midr = cpu.midr;
	for (unsigned i = 0; i < MIG_ID_REG_COUNT; i++)
		h.id_regs[i] = id_reg_guest(mig_id_reg_encoding((enum mig_id_reg)i));
	return h;
}

static uint64_t ms_of(uint64_t ns) { return ns / 1000000u; }

static uint64_t board_ms(void) { return arch_counter_now() / (arch_counter_freq() / 1000u); }

static void print_progress(void *ctx, const struct mig_progress *p)
{
	static unsigned printed_round = ~0u;
	static enum mig_state printed_state;
	struct migrate_job *j = ctx;
	char throttle[64] = "";

	if (j->observer.progress)
		j->observer.progress(j->observer.ctx, p);
	/* The console gets a line a round (the management channel gets every report). */
	if (p->round == printed_round && p->state == printed_state)
		return;
	printed_round = p->round;
	printed_state = p->state;
	if (p->throttle_pages_per_s)
		format_snprintf(throttle, sizeof(throttle), ", the guest throttled to %llu pages/s",
				(unsigned long long)p->throttle_pages_per_s);
	console_printf("migration: %s, round %u: %llu KiB sent, %llu of %llu pages to go, "
		       "%llu pages/s dirtied, expected downtime %llu us%s\n",
		       mig_state_name(p->state), p->round,
		       (unsigned long long)(p->ram_bytes_sent >> 10),
		       (unsigned long long)p->pages_remaining, (unsigned long long)p->pages_total,
		       (unsigned long long)p->dirty_pages_per_s,
		       (unsigned long long)(p->expected_downtime_ns / 1000), throttle);
}

/**
 * A TLS connection to the peer, over `have` when given (migrate_peer_ready's);
 * NULL when there is none: no TCP connection (reported when `loud`), or a
 * refused handshake (always reported, *refused set).
 */
static struct link_tls *connect_peer_over(struct link_tcp *have, struct link_tcp **tcp, bool loud,
					  bool *refused)
{
	const struct link_config *cfg = link_boot_config();
	char err[160];
	struct link_tls *tls;

	*tcp = have ? have : link_tcp_open(cfg, err, sizeof(err));
	if (!*tcp) {
		if (loud)
			console_printf("migration: %s\n", err);
		return NULL;
	}
	tls = link_tls_open(&cfg->creds, cfg->listen, link_tcp_io(*tcp), cfg->timeout_ms, err,
			    sizeof(err));
	if (!tls) {
		if (refused)
			*refused = true;
		console_printf("migration: %s\n", err);
		link_tcp_close(*tcp);
		*tcp = NULL;
		return NULL;
	}
	console_printf("migration: link to %s up (%s)\n", cfg->creds.peer, link_tls_suite(tls));
	return tls;
}

static struct link_tls *connect_peer(struct link_tcp **tcp, bool loud, bool *refused)
{
	return connect_peer_over(NULL, tcp, loud, refused);
}

bool migrate_peer_ready(struct migrate_job *j, unsigned wait_ms)
{
	char err[160];

	if (!j->ready_tcp)
		j->ready_tcp = link_tcp_open_within(link_boot_config(), wait_ms, err, sizeof(err));
	return j->ready_tcp != NULL;
}

void migrate_peer_forget(struct migrate_job *j)
{
	if (j->ready_tcp)
		link_tcp_abort(j->ready_tcp);
	j->ready_tcp = NULL;
}

/**
 * Ends a session's link. One that ended cleanly closes in order; any other
 * is reset, so the old connection's unacknowledged data and buffers do not
 * linger beside the next link (a postcopy recovery needs all of them).
 */
static void hang_up(struct link_tls *tls, struct link_tcp *tcp, enum mig_state st)
{
	link_tls_close(tls);
	if (st == MIG_COMPLETED)
		link_tcp_close(tcp);
	else
		link_tcp_abort(tcp);
	link_net_drain(LINK_DRAIN_MS);
}

static unsigned long long us(uint64_t ns) { return (unsigned long long)(ns / 1000u); }

/* Frames the link lost on this board: TCP retransmits them, after its timeout. */
static void report_link_losses(void)
{
	struct link_net_tcp_counts t;
	uint64_t in, out;

	link_net_losses(&in, &out);
	link_net_tcp_counts(&t);
	if (in || out)
		console_printf(
			"migration report: the link lost %llu frames in (no buffer) and %llu "
			"out (its ring full) on this board\n",
			(unsigned long long)in, (unsigned long long)out);
	if (t.retransmitted || t.dropped || t.no_memory || t.pool_empty)
		console_printf(
			"migration report: the link's TCP on this board since it came up: "
			"%llu segments retransmitted, %llu dropped, %llu out of memory, %llu "
			"empty pools\n",
			(unsigned long long)t.retransmitted, (unsigned long long)t.dropped,
			(unsigned long long)t.no_memory, (unsigned long long)t.pool_empty);
}

static void report_source(const struct migrate_job *j, const struct mig_report *r)
{
	uint64_t mib_s = r->total_ns ? r->bytes_sent * 1000u / (r->total_ns / 1000u) : 0;

	console_printf("migration: %s%s%s%s\n", mig_state_name(r->state),
		       r->switched_to_postcopy ? " (precopy did not converge: finished in postcopy)"
					       : "",
		       r->error[0] ? ": " : "", r->error);
	if (r->mode == MIG_MODE_PROTECT && r->epochs_sent)
		console_printf(
			"migration report: protection: %llu checkpoints sent, %llu "
			"acknowledged, %llu pages in them (%llu in the largest); the guest "
			"paused %llu us at "
			"most for one, %llu us on average; the longest send %llu us (checkpoint "
			"%llu, %llu pages); the acknowledgements came %llu us after their "
			"checkpoint left "
			"on average, %llu us at most (the output a checkpoint covers is held "
			"that long past it); the guest "
			"paced to %llu pages/s, a checkpoint bounded to %llu pages, at the "
			"end; at most %llu pages hot (left writable, in every checkpoint)\n",
			(unsigned long long)r->epochs_sent, (unsigned long long)r->epochs_acked,
			(unsigned long long)r->epoch_pages, (unsigned long long)r->epoch_pages_max,
			us(r->epoch_pause_max_ns), us(r->epoch_pause_total_ns / r->epochs_sent),
			us(r->epoch_send_max_ns), (unsigned long long)r->epoch_send_max_at,
			(unsigned long long)r->epoch_send_max_pages,
			us(r->epoch_acks ? r->ack_wait_total_ns / r->epoch_acks : 0),
			us(r->ack_wait_max_ns), (unsigned long long)r->epoch_pace_pps,
			(unsigned long long)r->epoch_pages_bound,
			(unsigned long long)r->epoch_hot_max);
	if (r->mode == MIG_MODE_PROTECT)
		report_link_losses();
	if (r->state != MIG_COMPLETED)
		return;
	console_printf("migration report: stream format %u (%s)\n", r->stream_format,
		       r->stream_format == MIG_FORMAT_VERSION
			       ? "this board's own"
			       : "one older than this board's: the destination reads no newer");
	console_printf(
		"migration report: downtime %llu.%03llu ms +- %llu us (stop to the "
		"destination's last vCPU in the guest), total %llu ms, %u rounds, %llu pages "
		"(%llu zero, %llu as changes, %llu unchanged), %llu KiB on the wire, "
		"%llu.%03llu MB/s\n",
		(unsigned long long)(r->downtime_ns / 1000000),
		(unsigned long long)(r->downtime_ns / 1000 % 1000),
		(unsigned long long)(r->downtime_uncertainty_ns / 1000),
		(unsigned long long)ms_of(r->total_ns), r->rounds,
		(unsigned long long)r->pages_sent, (unsigned long long)r->zero_pages,
		(unsigned long long)r->delta_pages, (unsigned long long)r->unchanged_pages,
		(unsigned long long)(r->bytes_sent >> 10), (unsigned long long)(mib_s / 1000),
		(unsigned long long)(mib_s % 1000));
	console_printf(
		"migration report: downtime steps (us from the stop, one clock): last pages "
		"%llu, package encoded %llu, sent %llu, RUN sent %llu; destination: received "
		"%llu, loaded %llu, synchronized %llu; PONG %llu; destination running %llu; "
		"VM_STARTED %llu (clocks %lld us apart)\n",
		us(r->steps.pages_sent), us(r->steps.package_encoded), us(r->steps.package_sent),
		us(r->steps.run_sent), us(r->steps.dest_received), us(r->steps.dest_loaded),
		us(r->steps.dest_synced), us(r->steps.pong), us(r->steps.dest_running),
		us(r->steps.vm_started), (long long)(r->clock_offset_ns / 1000));
	if (r->faults_served)
		console_printf("migration report: the guest's worst pause %llu us at most: the "
			       "downtime, then how long it stood still on missing pages in "
			       "postcopy, %llu us in all (%llu faults served; the longest single "
			       "stall %llu us)\n",
			       us(r->downtime_ns + r->blocked_ns), us(r->blocked_ns),
			       (unsigned long long)r->faults_served, us(r->stall_max_ns));
	if (r->predicted_downtime_ns)
		console_printf("migration report: admitted on a predicted downtime of %llu us (the "
			       "pages left at the measured bandwidth, and the switchover's cost, "
			       "measured %s: source %llu us, link %llu us, destination %llu us), "
			       "actual %llu us\n",
			       us(r->predicted_downtime_ns),
			       r->dry_run ? "by a dry run right before the stop" : "before precopy",
			       us(r->cost_source_ns), us(r->cost_link_ns), us(r->cost_dest_ns),
			       us(r->downtime_ns));
	if (r->fixed_cost_over_limit)
		console_printf(
			"migration report: the switchover's measured cost alone is over the "
			"downtime limit: admitted on the pages left alone, the downtime over "
			"the limit\n");
	if (r->throttled_rounds)
		console_printf("migration report: the guest throttled for %u rounds (to %llu new "
			       "dirty pages/s last); its vCPUs "
			       "waited %llu ms in all, %llu times\n",
			       r->throttled_rounds, (unsigned long long)r->throttle_pages_per_s,
			       (unsigned long long)(j->vm->throttle_wait_counts /
						    (arch_counter_freq() / 1000u)),
			       (unsigned long long)j->vm->throttle_waits);
}

static void set_source(struct migrate_job *j, struct mig_source *s)
{
	arch_spin_lock(&j->lock);
	j->source = s;
	arch_spin_unlock(&j->lock);
}

bool migrate_cancel(struct migrate_job *j)
{
	bool will;

	arch_spin_lock(&j->lock);
	will = j->source && mig_source_cancel(j->source);
	arch_spin_unlock(&j->lock);
	return will;
}

bool migrate_report(struct migrate_job *j, struct mig_report *out)
{
	bool have;

	arch_spin_lock(&j->lock);
	have = j->source || j->dest;
	if (j->source)
		*out = *mig_source_report(j->source);
	else if (j->dest)
		*out = *mig_dest_report(j->dest);
	arch_spin_unlock(&j->lock);
	return have;
}

/** Waits ms (the network and the management channel served) unless the operator asks first. */
static void wait_or_request(struct migrate_job *j, unsigned ms)
{
	uint64_t until = board_ms() + ms, now;

	while ((now = board_ms()) < until && j->request == MIGRATE_REQ_NONE)
		link_net_pump((unsigned)(until - now));
}

/** A random, non-zero migration id (RNDR); 0 when the CPU gives none. */
static uint64_t new_migration_id(void)
{
	uint64_t id = 0;

	for (unsigned i = 0; i < 16 && !id; i++)
		if (!arch_random64(&id))
			id = 0;
	return id;
}

/*
 * Unresolved or paused: only the destination can say where the VM is, so
 * it is asked over new links, again and again with a growing wait, for as
 * long as that lasts (the management channel is served meanwhile, and the
 * operator can ask again at once or decide: migrate_resolve).
 */
static enum mig_state keep_asking(struct migrate_job *j, struct mig_source *s, enum mig_state st)
{
	unsigned wait_ms = RETRY_FIRST_MS;

	j->attempts = 0;
	while (st == MIG_UNRESOLVED || st == MIG_POSTCOPY_PAUSED) {
		struct link_tcp *tcp;
		struct link_tls *tls;
		char err[160];

		j->next_attempt_ms = board_ms() + wait_ms;
		wait_or_request(j, wait_ms);
		if (j->request == MIGRATE_REQ_VERDICT) {
			j->request = MIGRATE_REQ_NONE;
			if (mig_source_resolve(s, j->verdict, err, sizeof(err)))
				st = mig_source_report(s)->state;
			else
				console_printf("migration: %s\n", err);
			continue;
		}
		j->request = MIGRATE_REQ_NONE;
		j->attempts++;
		console_printf("migration: %s, asking the destination (attempt %u)\n",
			       mig_state_name(st), j->attempts);
		if (j->observer.progress) { /* whoever follows hears that it goes on */
			struct mig_progress p = { .state = st };

			j->observer.progress(j->observer.ctx, &p);
		}
		tls = connect_peer(&tcp, false, NULL);
		if (tls) {
			struct mig_channel ch = { &link_mig_channel_ops, tls };

			st = mig_source_reconnect(s, &ch);
			if (st == MIG_UNRESOLVED || st == MIG_POSTCOPY_PAUSED)
				console_printf("migration: still %s: %s%s%s\n", mig_state_name(st),
					       mig_source_report(s)->error,
					       link_tls_error(tls)[0] ? "; the link: " : "",
					       link_tls_error(tls));
			hang_up(tls, tcp, st);
		}
		wait_ms = wait_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : wait_ms * 2;
	}
	return st;
}

bool migrate_resolve(struct migrate_job *j, bool force, enum mig_verdict v, char *err, size_t n)
{
	const struct mig_report *r = j->source ? mig_source_report(j->source)
				     : j->dest ? mig_dest_report(j->dest)
					       : NULL;

	/* takeover=manual: a standby whose primary is gone runs the VM, or drops it, when told. */
	if (j->dest && r && r->state == MIG_STANDBY) {
		if (!j->awaiting_supervisor) {
			format_snprintf(
				err, n,
				"this standby waits for no word: it still hears its primary, "
				"or its takeover is auto (by the lease)");
			return false;
		}
		if (!force || v == MIG_VERDICT_LOST) {
			format_snprintf(err, n,
					"a standby waits for force \"destination\" (run the VM "
					"here: say it only once the primary is dead) or \"source\" "
					"(drop this copy)");
			return false;
		}
		j->verdict = v;
		j->request = MIGRATE_REQ_VERDICT;
		return true;
	}
	/* A destination whose source completed but whose END was lost: the operator settles it. */
	if (j->dest && force && v == MIG_VERDICT_DESTINATION && !mig_dest_settled(j->dest)) {
		if (mig_dest_settle(j->dest))
			return true;
		format_snprintf(err, n, "the VM does not run here with all its memory (%s)",
				mig_state_name(r->state));
		return false;
	}
	/* A fenced primary that waits: "source", the standby is gone, lets the VM go on. */
	if (j->source && r && r->state == MIG_FENCED) {
		if (!j->awaiting_supervisor || !force || v != MIG_VERDICT_SOURCE) {
			format_snprintf(err, n,
					"a fenced primary takes only force \"source\" (the standby "
					"is gone and never ran the VM), once it waits for it");
			return false;
		}
		j->verdict = v;
		j->request = MIGRATE_REQ_VERDICT;
		return true;
	}
	if (!r || (r->state != MIG_UNRESOLVED && r->state != MIG_POSTCOPY_PAUSED)) {
		format_snprintf(err, n, "no migration is in doubt here (%s)",
				r ? mig_state_name(r->state) : "none");
		return false;
	}
	if (force && v == MIG_VERDICT_LOST && r->state != MIG_POSTCOPY_PAUSED) {
		format_snprintf(err, n, "'lost' is for a paused postcopy; this one is %s",
				mig_state_name(r->state));
		return false;
	}
	if (force && v != MIG_VERDICT_LOST && (j->dest || r->state != MIG_UNRESOLVED)) {
		format_snprintf(err, n,
				"'source' and 'destination' decide an unresolved switchover, "
				"on its source; this is a %s %s",
				mig_state_name(r->state), j->dest ? "destination" : "source");
		return false;
	}
	j->verdict = v;
	j->request = force ? MIGRATE_REQ_VERDICT : MIGRATE_REQ_NOW;
	return true;
}

/*
 * A fenced primary whose board has a management channel keeps its VM,
 * stopped, for the supervisor: should it know the standby is gone and never
 * ran it, migrate-resolve with force "source" lets the VM go on here. No
 * word: it stays stopped (the standby may run it).
 */
static enum mig_state await_unfence(struct migrate_job *j, struct mig_source *s)
{
	char err[160];

	j->request = MIGRATE_REQ_NONE;
	j->awaiting_supervisor = true;
	console_printf(
		"migration: fenced: waiting for the supervisor: migrate-resolve with force "
		"\"source\" (the standby is gone and never ran the VM) lets it go on here\n");
	for (;;) {
		wait_or_request(j, 1000);
		if (j->request != MIGRATE_REQ_VERDICT)
			continue;
		j->request = MIGRATE_REQ_NONE;
		if (mig_source_resolve(s, j->verdict, err, sizeof(err)))
			break;
		console_printf("migration: %s\n", err);
	}
	j->awaiting_supervisor = false;
	console_printf("migration: %s: %s\n", mig_state_name(mig_source_report(s)->state),
		       mig_source_report(s)->error);
	return mig_source_report(s)->state;
}

enum mig_state migrate_out(struct migrate_job *j, const struct migrate_params *p)
{
	struct mig_vm mvm = { migrate_faults_vm_ops(j), j->vm };
	struct mig_source_config cfg = {
		.hello = local_hello(j->vm),
		.precopy = { .downtime_limit_ns =
				     (p->downtime_limit_ms ? p->downtime_limit_ms
							   : MIGRATE_DOWNTIME_LIMIT_MS) *
				     1000000ull,
			     .max_rounds = 30,
			     .device_bytes = 16 * 1024, /* a package of a few vCPUs */
			     .stall_rounds = 2,
			     .on_no_convergence = p->on_no_convergence },
		.reply_timeout_ms = REPLY_TIMEOUT_MS,
		.mode = p->protect    ? MIG_MODE_PROTECT
			: p->postcopy ? MIG_MODE_POSTCOPY
				      : MIG_MODE_PRECOPY,
		.switchover = p->confirmed ? MIG_SWITCHOVER_CONFIRMED : MIG_SWITCHOVER_ONE_FLIGHT,
		.postcopy_after_rounds = p->postcopy_after_rounds,
		.max_bandwidth = p->max_bandwidth,
		.progress = print_progress,
		.progress_ctx = j,
		.frames = lan_frames(j->vm),
		.protect = { .epoch_ns =
				     (p->epoch_ms ? p->epoch_ms : MIGRATE_EPOCH_MS) * 1000000ull,
			     .lease_ns =
				     (p->lease_ms ? p->lease_ms : MIGRATE_LEASE_MS) * 1000000ull,
			     .fence_ns = MIGRATE_FENCE_MS * 1000000ull,
			     .manual = p->manual,
			     .reprotect = p->reprotect },
	};
	struct mig_source *s;
	struct link_tcp *tcp;
	struct link_tls *tls;
	enum mig_state st = MIG_FAILED;

	cfg.hello.migration_id = new_migration_id();
	s = mig_source_new(&mvm, &cfg);
	if (!s) {
		console_printf("migration: out of memory for the migration buffers\n");
		return j->outcome = MIG_FAILED;
	}
	j->request = MIGRATE_REQ_NONE;
	set_source(j, s);
	console_printf("migration: starting (%s) to %s, id %016llx\n",
		       p->protect    ? "protection"
		       : p->postcopy ? "postcopy"
				     : "precopy",
		       link_boot_config()->creds.peer, (unsigned long long)cfg.hello.migration_id);
	if (!cfg.hello.migration_id)
		migrate_peer_forget(j);
	tls = cfg.hello.migration_id ? connect_peer_over(j->ready_tcp, &tcp, true, NULL) : NULL;
	j->ready_tcp = NULL; /* closed with tls, or at once when the handshake failed */
	if (tls) {
		struct mig_channel ch = { migrate_faults_channel(j, &link_mig_channel_ops), tls };

		st = mig_source_run(s, &ch);
		if (link_tls_error(tls)[0])
			console_printf("migration: the link: %s\n", link_tls_error(tls));
		hang_up(tls, tcp, st);
		st = keep_asking(j, s, st);
		report_source(j, mig_source_report(s));
		if (st == MIG_FENCED && j->supervised)
			st = await_unfence(j, s);
	} else {
		/* No link: nothing was sent, the VM never stopped. */
		mig_source_abandon(s,
				   cfg.hello.migration_id
					   ? "no link to the destination: the VM runs on here"
					   : "no random number for a migration id (RNDR): the VM "
					     "runs on here");
	}
	if (st == MIG_COMPLETED)
		vm_stop_all(j->vm, VM_MIGRATED); /* never resumed here again */
	if (st == MIG_LOST)
		vm_stop_all(j->vm, VM_LOST); /* a stale copy: never run again */
	if (st == MIG_FENCED && j->vm->stop == VM_RUNNING)
		vm_stop_all(j->vm, VM_FENCED); /* the standby's to run: never here again */
	if (j->observer.ended)
		j->observer.ended(j->observer.ctx, false, mig_source_report(s));
	set_source(j, NULL);
	mig_source_free(s);
	return j->outcome = st;
}

/* What postcopy cost the guest here: its vCPUs' waits for pages. */
static void report_dest_faults(const struct mig_report *r)
{
	if (!r->faults_served)
		return;
	console_printf("migration: postcopy: %llu page faults served, waited %llu us on average, "
		       "%llu us at most; the guest stood still %llu us in all, its longest "
		       "stall %llu us\n",
		       (unsigned long long)r->faults_served,
		       (unsigned long long)(r->fault_wait_total_ns / r->faults_served / 1000u),
		       (unsigned long long)(r->fault_wait_max_ns / 1000u),
		       (unsigned long long)(r->blocked_ns / 1000u),
		       (unsigned long long)(r->stall_max_ns / 1000u));
}

/*
 * After the VM arrived: one link from a source that reconnects (to ask
 * what became of the VM, or to recover a paused postcopy), served within
 * the link timeout; false when no source came.
 */
static bool serve_reconnect(struct migrate_job *j, struct mig_dest *d)
{
	struct link_tcp *tcp;
	struct link_tls *tls = connect_peer(&tcp, false, NULL);
	struct mig_channel ch = { &link_mig_channel_ops, tls };
	enum mig_state st;

	if (!tls)
		return false;
	st = mig_dest_serve(d, &ch);
	console_printf("migration: the source reconnected: told it %s%s%s\n", mig_state_name(st),
		       mig_dest_report(d)->error[0] ? ": " : "", mig_dest_report(d)->error);
	if (link_tls_error(tls)[0])
		console_printf("migration: the link: %s\n", link_tls_error(tls));
	hang_up(tls, tcp, st);
	report_dest_faults(mig_dest_report(d));
	if (j->observer.ended)
		j->observer.ended(j->observer.ctx, true, mig_dest_report(d));
	return true;
}

/*
 * The VM stopped here before the source heard the migration's end (its
 * postcopy unfinished, or the link lost before END): that source, paused
 * or unresolved, would wait for a destination that powers off. This board
 * waits a while for it to reconnect and hear that the VM ended here; a
 * source that comes later stays unresolved until its operator decides
 * (migrate-resolve).
 */
static void tell_source_vm_ended(struct migrate_job *j, struct mig_dest *d)
{
	uint64_t until = board_ms() + VM_ENDED_WAIT_MS;

	if (!mig_dest_vm_ended(d))
		return;
	console_printf("migration: %s; waiting up to %u s for the source to hear it\n",
		       mig_dest_report(d)->error, VM_ENDED_WAIT_MS / 1000u);
	while (board_ms() < until && !serve_reconnect(j, d))
		;
}

/* The operator says the source is gone while postcopy is paused: the VM is lost here. */
static void declare_lost(struct migrate_job *j, struct mig_dest *d)
{
	char err[160];

	j->request = MIGRATE_REQ_NONE;
	if (!mig_dest_declare_lost(d, err, sizeof(err))) {
		console_printf("migration: %s\n", err);
		return;
	}
	console_printf("migration: lost: %s\n", mig_dest_report(d)->error);
	vm_stop_all(j->vm, VM_LOST);
	j->outcome = MIG_LOST;
	if (j->observer.ended)
		j->observer.ended(j->observer.ctx, true, mig_dest_report(d));
}

/*
 * takeover=manual, the primary gone: the copy stays as it is until the
 * supervisor says (migrate-resolve with force): run it here, or drop it.
 * Never by itself: the primary of such a protection does not fence.
 */
static enum mig_state await_supervisor(struct migrate_job *j, struct mig_dest *d)
{
	char err[160];

	/* From now on a word counts (migrate_resolve refused it before). */
	j->request = MIGRATE_REQ_NONE;
	j->awaiting_supervisor = true;
	console_printf("migration: standby: waiting for the supervisor: migrate-resolve with force "
		       "\"destination\" runs the VM here, \"source\" drops this copy\n");
	for (;;) {
		wait_or_request(j, 1000);
		if (j->request != MIGRATE_REQ_VERDICT)
			continue;
		j->request = MIGRATE_REQ_NONE;
		if (mig_dest_supervise(d, j->verdict == MIG_VERDICT_DESTINATION, err,
				       sizeof(err))) {
			j->awaiting_supervisor = false;
			break;
		}
		console_printf("migration: %s\n", err);
	}
	console_printf("migration: %s: %s\n", mig_state_name(mig_dest_report(d)->state),
		       mig_dest_report(d)->error);
	return mig_dest_report(d)->state;
}

static void forget_dest(struct migrate_job *j, struct mig_dest *d)
{
	arch_spin_lock(&j->lock);
	j->dest = NULL;
	arch_spin_unlock(&j->lock);
	mig_dest_free(d);
}

void migrate_in(struct migrate_job *j)
{
	struct mig_vm mvm = { migrate_faults_vm_ops(j), j->vm };
	struct mig_hello local = local_hello(j->vm);
	struct mig_dest *d;
	enum mig_state st = MIG_FAILED;
	unsigned failures = 0, sessions = 0;
	bool told_doubt = false;

	d = mig_dest_new(&mvm, &local, REPLY_TIMEOUT_MS);
	if (!d)
		console_printf("migration: out of memory for the migration buffers\n");
	else
		mig_dest_set_frames(d, lan_frames(j->vm));
	arch_spin_lock(&j->lock);
	j->dest = d;
	arch_spin_unlock(&j->lock);
	console_printf("migration: waiting for the VM from %s\n", link_boot_config()->creds.peer);
	/*
	 * Until the VM runs here: sessions with the source (after a failure, one
	 * more: a source left unresolved asks what happened). A board that
	 * acknowledged a package and then lost its copy keeps answering for as
	 * long as its source may not know (mig_dest_in_doubt).
	 */
	while (d && !mig_state_runs_on_destination(st) && (failures < 2 || mig_dest_in_doubt(d))) {
		struct link_tcp *tcp;
		bool refused = false;
		bool doubt = mig_dest_in_doubt(d);
		struct link_tls *tls;
		struct mig_channel ch;

		if (!doubt && __atomic_load_n(&j->stop_waiting, __ATOMIC_ACQUIRE)) {
			console_printf("migration: no longer waiting for a VM (migrate-cancel)\n");
			break;
		}
		if (doubt && !told_doubt)
			console_printf("migration: waiting for the source to ask about migration "
				       "%016llx (it may not know that the VM is not here)\n",
				       (unsigned long long)mig_dest_report(d)->migration_id);
		told_doubt = doubt;
		tls = connect_peer(&tcp, sessions > 0 && !doubt, &refused);
		ch = (struct mig_channel){ &link_mig_channel_ops, tls };
		if (!tls) {
			/* Before the first session wait as long as it takes; a refused peer counts.
			 */
			sessions += refused;
			failures += sessions > 0;
			continue;
		}
		ch.ops = migrate_faults_channel(j, ch.ops);
		sessions++;
		st = mig_dest_serve(d, &ch);
		if (link_tls_error(tls)[0])
			console_printf("migration: the link: %s\n", link_tls_error(tls));
		hang_up(tls, tcp, st);
		console_printf("migration: %s%s%s\n", mig_state_name(st),
			       mig_dest_report(d)->error[0] ? ": " : "", mig_dest_report(d)->error);
		if (st == MIG_FAILED || st == MIG_CANCELLED)
			failures++;
		if (st == MIG_STANDBY)
			st = await_supervisor(j, d);
	}
	j->outcome = st;
	if (d && j->observer.ended)
		j->observer.ended(j->observer.ctx, true, mig_dest_report(d));
	if (!mig_state_runs_on_destination(st)) {
		vm_stop_all(j->vm, VM_CRASHED); /* nothing arrived: no VM on this board */
		forget_dest(j, d);
		return;
	}
	console_printf("migration: the VM runs here\n");
	if (mig_dest_report(d)->took_over)
		console_printf(
			"migration: takeover after %llu checkpoints: decided %llu us after "
			"the primary's last message, the VM running %llu us later; the "
			"longest commit %llu us, the longest from one checkpoint to the "
			"next %llu us (to checkpoint %llu); the guest's time rolled back %llu "
			"us at least (from that checkpoint's beginning to the primary's last "
			"record)\n",
			(unsigned long long)mig_dest_report(d)->epochs_committed,
			us(mig_dest_report(d)->takeover_detect_ns),
			us(mig_dest_report(d)->takeover_start_ns),
			us(mig_dest_report(d)->epoch_commit_max_ns),
			us(mig_dest_report(d)->epoch_gap_max_ns),
			(unsigned long long)mig_dest_report(d)->epoch_gap_max_at,
			us(mig_dest_report(d)->takeover_rollback_ns));
	if (mig_dest_report(d)->took_over)
		report_link_losses();
	report_dest_faults(mig_dest_report(d));
	if (mig_dest_report(d)->took_over && mig_dest_report(d)->protection.reprotect) {
		/* Its migration is settled (nobody will ask): the VM goes on from here. */
		j->reprotect = mig_dest_report(d)->protection;
		j->reprotect_due = true;
		__atomic_store_n(&j->send_on, true, __ATOMIC_RELEASE);
	}
	/*
	 * From now on the link stays open to answer a source that reconnects to
	 * ask, or to recover a paused postcopy; the board waits for the session
	 * in progress even when the VM stops meanwhile, so the source hears the end.
	 */
	while (j->vm->stop == VM_RUNNING && !__atomic_load_n(&j->send_on, __ATOMIC_ACQUIRE)) {
		if (j->request == MIGRATE_REQ_VERDICT) {
			declare_lost(j, d); /* the VM stops here when it is */
			continue;
		}
		j->request = MIGRATE_REQ_NONE;
		if (mig_dest_settled(d))
			link_net_pump(SETTLED_LOOK_MS); /* nobody will ask: the channel only */
		else
			serve_reconnect(j, d);
	}
	if (!mig_dest_report(d)->took_over) /* a primary that lost its lease asks nothing */
		tell_source_vm_ended(j, d);
	forget_dest(j, d);
}

bool migrate_send_on(struct migrate_job *j, char *err, size_t n)
{
	bool settled;

	arch_spin_lock(&j->lock);
	settled = j->dest && mig_dest_settled(j->dest);
	if (settled)
		__atomic_store_n(&j->send_on, true, __ATOMIC_RELEASE);
	arch_spin_unlock(&j->lock);
	if (!settled)
		format_snprintf(
			err, n,
			"the board that sent the VM has not heard yet that it runs here: it "
			"will ask; try again once it did, or, when its query-migrate says "
			"completed, migrate-resolve with force \"destination\"");
	return settled;
}
