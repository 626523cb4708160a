/* SPDX-License-Identifier: Apache-2.0 */
/**
 * One whole migration between two fake VMs, see fake_vm.h: the source in
 * the calling thread, the destination in another, the fault injected on
 * the first link; then, while the source is unresolved or its postcopy
 * paused, new healthy links to the same destination (unless a board died).
 */
#include <stdlib.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/support/fake_vm.h"

#define MAX_RECONNECTS 3

struct dest_args {
	struct mig_dest *dest;
	struct mig_channel ch;
	int fd;
	enum mig_state state;
};

/* The destination serves the link, then hangs up, as a board does. */
static void *dest_thread(void *arg)
{
	struct dest_args *a = arg;

	a->state = mig_dest_serve(a->dest, &a->ch);
	shutdown(a->fd, SHUT_RDWR);
	return NULL;
}

/* m->source for other threads: set and cleared by the harness, used under it. */
static pthread_mutex_t source_lock = PTHREAD_MUTEX_INITIALIZER;

int fake_migration_cancel(struct fake_migration *m)
{
	int r;

	pthread_mutex_lock(&source_lock);
	r = m->source ? 1 : m->source_ended ? -1 : 0;
	if (r > 0)
		mig_source_cancel(m->source);
	pthread_mutex_unlock(&source_lock);
	return r;
}

static void count_progress(void *ctx, const struct mig_progress *p)
{
	struct fake_migration *m = ctx;

	m->progress_reports++;
	if (m->lift_cap_at_first_progress && m->progress_reports == 1)
		mig_source_set_limits(m->source, m->precopy.downtime_limit_ns, 0);
	if (p->round == 1 && p->state == MIG_ACTIVE) {
		if (p->dirty_pages_per_s > m->round1_dirty_rate_max)
			m->round1_dirty_rate_max = p->dirty_pages_per_s;
		m->round1_time_left |= p->time_left_ns > 0;
		/* the first report with a rate: within the round, before its verdict */
		if (p->dirty_pages_per_s && !m->round1_first_rated_reports++)
			m->round1_expected_downtime = p->expected_downtime_ns;
	}
	if (m->cancel_after_first_round && p->round >= 1)
		mig_source_cancel(m->source);
}

/** A board that died: its VM is gone. */
static void stop_for_good(struct fake_vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	vm->running = false;
	pthread_mutex_unlock(&vm->lock);
}

struct first_link {
	struct faulty_link src, dst;
};

/*
 * With FERRY_MIG_RECORD=dir, what each side receives on a fault-free first
 * link is written to dir as a seed of the engine fuzzer (fuzz_mig_engine):
 * two selector bytes, then the bytes.
 */
static void open_records(struct first_link *fl, const struct fake_migration *m, uint64_t pages)
{
	const char *dir = getenv("FERRY_MIG_RECORD");
	const char *mode = m->mode == MIG_MODE_POSTCOPY ? "postcopy" : "precopy";
	char path[512];

	if (!dir || m->fault != FAULT_NONE)
		return;
	snprintf(path, sizeof(path), "%s/destination-%s-%llu", dir, mode,
		 (unsigned long long)pages);
	if ((fl->dst.record = fopen(path, "wb")))
		fwrite("\0\0", 1, 2, fl->dst.record);
	snprintf(path, sizeof(path), "%s/source-%s-%llu", dir, mode, (unsigned long long)pages);
	if ((fl->src.record = fopen(path, "wb"))) {
		uint8_t sel[2] = { 1, (uint8_t)(m->mode == MIG_MODE_POSTCOPY
							? (m->postcopy_after_rounds ? 3 : 1)
							: 0) };

		fwrite(sel, 1, 2, fl->src.record);
	}
}

/** Runs the source (or its reconnection) against the destination over one link; fills states. */
static enum mig_state over_link(struct mig_source *s, struct mig_dest *d, struct first_link *fl,
				bool first, enum mig_state *dst_state)
{
	struct first_link healthy = { .src.kind = FAULT_NONE, .dst.kind = FAULT_NONE };
	struct first_link *l = fl ? fl : &healthy;
	struct mig_channel src_ch = { &faulty_channel_ops, &l->src };
	struct dest_args da = { .dest = d, .ch = { &faulty_channel_ops, &l->dst } };
	enum mig_state st;
	pthread_t dt;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return MIG_FAILED;
	l->src.fd = sv[0];
	l->dst.fd = sv[1];
	da.fd = sv[1];
	pthread_create(&dt, NULL, dest_thread, &da);
	st = first ? mig_source_run(s, &src_ch) : mig_source_reconnect(s, &src_ch);
	close(sv[0]);
	pthread_join(dt, NULL);
	close(sv[1]);
	*dst_state = da.state;
	return st;
}

enum mig_state fake_vm_migrate(struct fake_vm *src, struct fake_vm *dst, struct fake_migration *m)
{
	struct mig_vm svm = { &fake_vm_ops, src }, dvm = { &fake_vm_ops, dst };
	struct mig_source_config cfg = {
		.hello = fake_vm_hello(src->pages),
		.precopy = m->precopy,
		.reply_timeout_ms = m->timeout_ms,
		.mode = m->mode,
		.switchover = m->switchover,
		.postcopy_after_rounds = m->postcopy_after_rounds,
		.max_bandwidth = m->max_bandwidth,
		.progress = count_progress,
		.progress_ctx = m,
		.frames = m->src_frames,
		.protect = m->protect,
	};
	bool dest_side = fake_fault_on_dest_side(m->fault);
	struct first_link fl;

	if (m->source_format_newer) { /* as the next release would: one newer, writing ours too */
		cfg.hello.format_version = MIG_FORMAT_VERSION + 1;
		cfg.hello.capabilities |= MIG_CAP_FORMAT_WINDOW;
	}
	fl = (struct first_link){
		.src = { .kind = dest_side ? FAULT_NONE : m->fault,
			 .fault_at = m->fault_at,
			 .rate = m->link_rate },
		.dst = { .kind = dest_side ? m->fault : FAULT_NONE, .fault_at = m->fault_at },
	};
	if (m->fault_after_ms) {
		struct timespec ts;
		uint64_t at;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		at = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec +
		     m->fault_after_ms * 1000000ull;
		if (dest_side)
			fl.dst.fault_after_ns = at;
		else
			fl.src.fault_after_ns = at;
	}
	struct mig_source *s = mig_source_new(&svm, &cfg);
	struct mig_dest *d = mig_dest_new(&dvm, &m->dest_local, m->timeout_ms);
	pthread_t src_work, dst_work;

	if (!s || !d) {
		mig_source_free(s);
		mig_dest_free(d);
		pthread_mutex_lock(&source_lock);
		m->source_ended = true; /* a canceller waits no more */
		pthread_mutex_unlock(&source_lock);
		return m->src_state = MIG_FAILED;
	}
	mig_dest_set_frames(d, m->dst_frames);
	dst->toucher = true;
	pthread_create(&dst_work, NULL, fake_vm_workload, dst);
	if (m->dirtying)
		pthread_create(&src_work, NULL, fake_vm_workload, src);
	pthread_mutex_lock(&source_lock);
	m->source = s;
	m->source_ended = false;
	pthread_mutex_unlock(&source_lock);
	open_records(&fl, m, src->pages);
	m->src_state = over_link(s, d, &fl, true, &m->dst_state);
	m->src_first_state = m->src_state;
	if (fl.src.record)
		fclose(fl.src.record);
	if (fl.dst.record)
		fclose(fl.dst.record);
	m->src_events = fl.src.events;
	m->src_sent = fl.src.sent;
	m->dst_events = fl.dst.events;
	if (m->fault == FAULT_DEST_DIES)
		stop_for_good(dst);
	if (m->fault == FAULT_SOURCE_DIES)
		stop_for_good(src);
	if (m->unfence && m->src_state == MIG_FENCED) {
		char why[160];

		if (!mig_source_resolve(s, MIG_VERDICT_SOURCE, why, sizeof(why)))
			fprintf(stderr, "unfence: %s\n", why);
		m->src_state = mig_source_report(s)->state;
		usleep(50000); /* the guest goes on a while: its lines show here */
	}
	if (m->supervise && m->dst_state == MIG_STANDBY) {
		char why[160];

		if (m->supervise > 0)
			stop_for_good(src);
		if (!mig_dest_supervise(d, m->supervise > 0, why, sizeof(why)))
			fprintf(stderr, "supervise: %s\n", why);
		m->dst_state = mig_dest_report(d)->state;
	}
	if (m->dest_vm_ends) {
		stop_for_good(dst);
		mig_dest_vm_ended(d);
	}
	for (unsigned i = 0;
	     i < MAX_RECONNECTS && m->fault != FAULT_DEST_DIES && m->fault != FAULT_SOURCE_DIES &&
	     (m->src_state == MIG_UNRESOLVED || m->src_state == MIG_POSTCOPY_PAUSED);
	     i++)
		m->src_state = over_link(s, d, NULL, false, &m->dst_state);
	fake_vm_end_workload(dst);
	pthread_join(dst_work, NULL);
	if (m->dirtying) {
		fake_vm_end_workload(src);
		pthread_join(src_work, NULL);
	}
	m->src = *mig_source_report(s);
	m->dst = *mig_dest_report(d);
	m->dst_settled = mig_dest_settled(d);
	pthread_mutex_lock(&source_lock);
	m->source = NULL; /* another thread's fake_migration_cancel finds none from now on */
	m->source_ended = true;
	pthread_mutex_unlock(&source_lock);
	mig_source_free(s);
	mig_dest_free(d);
	return m->src_state;
}

enum mig_state fake_vm_link(struct mig_source *s, struct mig_dest *d, bool reconnect,
			    enum mig_state *dst_state)
{
	return over_link(s, d, NULL, !reconnect, dst_state);
}
