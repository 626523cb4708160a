/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The migration engine end to end on the host: a fake VM with real vCPU
 * and vGIC state and a RAM array, the two ends in two threads over a
 * socketpair. Memory and every register must arrive intact; a failure
 * before RUN must leave the VM running on the source.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "mig/engine.h"
#include "mig/section.h"
#include "mig/state_sections.h"

#define PAGES 2048 /* 8 MiB */

struct fake_vm {
	uint8_t *ram;
	uint64_t dirty[PAGES / 64];
	pthread_mutex_t lock;
	bool tracking, running;
	struct vcpu_regs regs, shadow_regs;
	struct vgic_dist vgic, shadow_vgic;
	bool fail_load, fail_sync;
	uint64_t writes;
};

static uint64_t now_ns(void *vm)
{
	struct timespec ts;

	(void)vm;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t page_count(void *vm) { return (void)vm, PAGES; }
static uint8_t *page(void *vm, uint64_t p) { return ((struct fake_vm *)vm)->ram + p * 4096; }

static void dirty_start(void *ctx)
{
	struct fake_vm *vm = ctx;

	pthread_mutex_lock(&vm->lock);
	vm->tracking = true;
	memset(vm->dirty, 0, sizeof(vm->dirty));
	pthread_mutex_unlock(&vm->lock);
}

static void dirty_collect(void *ctx, uint64_t *bitmap)
{
	struct fake_vm *vm = ctx;

	pthread_mutex_lock(&vm->lock);
	for (unsigned i = 0; i < PAGES / 64; i++) {
		bitmap[i] |= vm->dirty[i];
		vm->dirty[i] = 0;
	}
	pthread_mutex_unlock(&vm->lock);
}

static void dirty_stop(void *ctx) { ((struct fake_vm *)ctx)->tracking = false; }

static void set_running(void *ctx, bool on)
{
	struct fake_vm *vm = ctx;

	pthread_mutex_lock(&vm->lock);
	vm->running = on;
	pthread_mutex_unlock(&vm->lock);
}

static void stop(void *ctx) { set_running(ctx, false); }
static void resume(void *ctx) { set_running(ctx, true); }

static size_t save_devices(void *ctx, uint8_t *buf, size_t size)
{
	struct fake_vm *vm = ctx;
	struct mig_writer w;

	mig_writer_init(&w, buf, size);
	mig_section_save(&mig_section_vcpu, &vm->regs, &w);
	mig_section_save(&mig_section_vgic_dist, &vm->vgic, &w);
	return w.overflow ? 0 : w.len;
}

static bool load_devices(void *ctx, const uint8_t *buf, size_t len, char *err, size_t n)
{
	struct fake_vm *vm = ctx;
	struct mig_reader r;

	if (vm->fail_load) {
		strncpy(err, "injected load failure", n);
		return false;
	}
	mig_reader_init(&r, buf, len);
	return mig_section_load(&mig_section_vcpu, &r, &vm->shadow_regs, err, n) &&
	       mig_section_load(&mig_section_vgic_dist, &r, &vm->shadow_vgic, err, n);
}

static bool sync_devices(void *ctx, char *err, size_t n)
{
	struct fake_vm *vm = ctx;

	if (vm->fail_sync) {
		strncpy(err, "injected synchronization failure", n);
		return false;
	}
	vm->regs = vm->shadow_regs;
	vm->vgic = vm->shadow_vgic;
	return true;
}

static bool start(void *ctx)
{
	resume(ctx);
	return true;
}

static const struct mig_vm_ops fake_ops = {
	page_count, page,	  dirty_start,	dirty_collect, dirty_stop, stop,
	resume,	    save_devices, load_devices, sync_devices,  start,	   now_ns,
};

/* The workload: while the VM runs it writes pages and changes its registers. */
static void *workload(void *ctx)
{
	struct fake_vm *vm = ctx;
	uint32_t seed = 7;

	for (;;) {
		pthread_mutex_lock(&vm->lock);
		if (vm->tracking == false && !vm->running && vm->writes == UINT64_MAX) {
			pthread_mutex_unlock(&vm->lock);
			return NULL;
		}
		if (vm->running) {
			for (unsigned i = 0; i < 16; i++) {
				uint64_t p;

				seed = seed * 1103515245u + 12345u;
				p = (seed >> 8) % PAGES;
				vm->ram[p * 4096 + (seed & 4095)] = (uint8_t)seed;
				if (vm->tracking)
					vm->dirty[p / 64] |= 1ull << (p % 64);
			}
			vm->regs.x[0]++;
			vm->writes++;
		}
		pthread_mutex_unlock(&vm->lock);
		usleep(50);
	}
}

/* A channel over one end of a socketpair. */
static int sock_send(void *ctx, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = send(*(int *)ctx, p, len, MSG_NOSIGNAL);

		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int sock_recv(void *ctx, void *buf, size_t len, unsigned timeout_ms)
{
	uint8_t *p = buf;

	while (len) {
		struct pollfd pfd = { .fd = *(int *)ctx, .events = POLLIN };
		ssize_t n;

		if (poll(&pfd, 1, (int)timeout_ms) == 0)
			return MIG_CHAN_TIMEOUT;
		n = recv(*(int *)ctx, p, len, 0);
		if (n <= 0)
			return MIG_CHAN_BROKEN;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static const struct mig_channel_ops sock_ops = { sock_send, sock_recv };

/*
 * The source's side of a link that breaks after a chosen number of channel
 * events (each send or receive of a record's header or payload): the link
 * cut, or the peer gone, at every point of the protocol.
 */
struct faulty_link {
	int fd;
	int cut_at; /**< event index at which the link breaks; -1 never */
	int events;
};

static bool link_breaks_now(struct faulty_link *l)
{
	int event = l->events++;

	if (l->cut_at >= 0 && event >= l->cut_at) {
		shutdown(l->fd, SHUT_RDWR);
		return true;
	}
	return false;
}

static int faulty_send(void *ctx, const void *buf, size_t len)
{
	struct faulty_link *l = ctx;

	return link_breaks_now(l) ? -1 : sock_send(&l->fd, buf, len);
}

static int faulty_recv(void *ctx, void *buf, size_t len, unsigned timeout_ms)
{
	struct faulty_link *l = ctx;

	return link_breaks_now(l) ? MIG_CHAN_BROKEN : sock_recv(&l->fd, buf, len, timeout_ms);
}

static const struct mig_channel_ops faulty_ops = { faulty_send, faulty_recv };

static struct mig_hello board_hello(void)
{
	struct mig_hello h = {
		.format_version = MIG_FORMAT_VERSION,
		.producer = "test",
		.midr = 1,
		.cntfrq = 62500000,
		.gic_intid_count = VGIC_INTID_COUNT,
		.vcpu_count = 1,
		.ram_base = 0x40000000,
		.ram_size = PAGES * 4096ull,
		.page_size = 4096,
		.capabilities = MIG_CAP_ZERO_PAGES | MIG_CAP_VM_STARTED,
	};
	return h;
}

struct dest_args {
	struct fake_vm *vm;
	int fd;
	struct mig_hello local;
	struct mig_report rep;
	enum mig_state result;
};

static void *dest_thread(void *arg)
{
	struct dest_args *a = arg;
	struct mig_vm vm = { &fake_ops, a->vm };
	struct mig_channel ch = { &sock_ops, &a->fd };

	a->result = mig_dest_run(&vm, &ch, &a->local, 5000, &a->rep);
	close(a->fd);
	return NULL;
}

static void fake_init(struct fake_vm *vm, bool source)
{
	memset(vm, 0, sizeof(*vm));
	vm->ram = calloc(PAGES, 4096);
	pthread_mutex_init(&vm->lock, NULL);
	vgic_init(&vm->vgic, 1);
	if (source) {
		for (uint64_t p = 0; p < PAGES; p += 3) /* two thirds zero pages */
			memset(vm->ram + p * 4096, (int)(p & 0xff) | 1, 4096);
		for (unsigned i = 0; i < 31; i++)
			vm->regs.x[i] = 0x1000 + i;
		vm->regs.fp.v[5] = 0x5555;
		vm->regs.sys.vbar_el1 = 0xffff000010000000ull;
		vm->vgic.spi[1].enabled = true;
		vm->vgic.spi[1].line_level = true;
		vm->running = true;
	}
}

/** Runs one migration (the link breaking at event cut_at, -1 never); returns the source's state. */
static enum mig_state migrate_cut(struct fake_vm *src, struct fake_vm *dst, bool dirtying,
				  struct mig_report *rep, struct dest_args *da, int cut_at,
				  int *events)
{
	int sv[2];
	pthread_t dt, wt;
	struct mig_vm vm = { &fake_ops, src };
	struct faulty_link link = { .cut_at = cut_at };
	struct mig_channel ch = { &faulty_ops, &link };
	struct mig_source_config cfg = {
		.hello = board_hello(),
		.precopy = { .downtime_limit_ns = 20000000,
			     .max_rounds = 50,
			     .device_bytes = 8192,
			     .on_no_convergence = MIG_NC_SWITCH },
		.reply_timeout_ms = 5000,
	};
	enum mig_state st;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	link.fd = sv[0];
	da->vm = dst;
	da->fd = sv[1];
	pthread_create(&dt, NULL, dest_thread, da);
	if (dirtying)
		pthread_create(&wt, NULL, workload, src);
	st = mig_source_run(&vm, &ch, &cfg, rep);
	close(sv[0]);
	pthread_join(dt, NULL);
	if (dirtying) {
		pthread_mutex_lock(&src->lock);
		src->writes = UINT64_MAX;
		src->running = false;
		pthread_mutex_unlock(&src->lock);
		pthread_join(wt, NULL);
	}
	if (events)
		*events = link.events;
	return st;
}

static enum mig_state migrate(struct fake_vm *src, struct fake_vm *dst, bool dirtying,
			      struct mig_report *rep, struct dest_args *da)
{
	return migrate_cut(src, dst, dirtying, rep, da, -1, NULL);
}

static void check_equal(struct fake_vm *src, struct fake_vm *dst)
{
	assert_memory_equal(src->ram, dst->ram, PAGES * 4096);
	assert_memory_equal(&src->regs, &dst->regs, sizeof(src->regs));
	assert_true(dst->vgic.spi[1].line_level);
}

static void test_idle_vm(void **state)
{
	struct fake_vm src, dst;
	struct mig_report rep;
	struct dest_args da = { .local = board_hello() };

	(void)state;
	fake_init(&src, true);
	fake_init(&dst, false);
	assert_int_equal(migrate(&src, &dst, false, &rep, &da), MIG_COMPLETED);
	assert_int_equal(da.result, MIG_COMPLETED);
	check_equal(&src, &dst);
	assert_true(dst.running);
	assert_false(src.running);
	assert_true(rep.zero_pages >= PAGES / 2);
	assert_true(rep.downtime_ns > 0);
	assert_true(rep.dest_started_ns >= rep.dest_synced_ns);
	free(src.ram);
	free(dst.ram);
}

static void test_dirtying_vm(void **state)
{
	struct fake_vm src, dst;
	struct mig_report rep;
	struct dest_args da = { .local = board_hello() };

	(void)state;
	fake_init(&src, true);
	fake_init(&dst, false);
	assert_int_equal(migrate(&src, &dst, true, &rep, &da), MIG_COMPLETED);
	check_equal(&src, &dst); /* the source stopped for good at the switchover */
	assert_true(src.regs.x[0] > 0x1000);
	free(src.ram);
	free(dst.ram);
}

static void test_failure_before_run_resumes_source(void **state)
{
	for (int which = 0; which < 2; which++) {
		struct fake_vm src, dst;
		struct mig_report rep;
		struct dest_args da = { .local = board_hello() };

		(void)state;
		fake_init(&src, true);
		fake_init(&dst, false);
		dst.fail_load = which == 0;
		dst.fail_sync = which == 1;
		assert_int_equal(migrate(&src, &dst, false, &rep, &da), MIG_FAILED);
		assert_int_equal(da.result, MIG_FAILED);
		assert_true(src.running); /* nothing lost: it runs on at the source */
		assert_false(dst.running);
		free(src.ram);
		free(dst.ram);
	}
}

static void test_refused(void **state)
{
	struct fake_vm src, dst;
	struct mig_report rep;
	struct dest_args da = { .local = board_hello() };

	(void)state;
	da.local.cntfrq = 24000000;
	fake_init(&src, true);
	fake_init(&dst, false);
	assert_int_equal(migrate(&src, &dst, false, &rep, &da), MIG_FAILED);
	assert_non_null(strstr(rep.error, "refused by the destination: counter frequency"));
	assert_true(src.running);
	free(src.ram);
	free(dst.ram);
}

/*
 * The link cut at every event of a migration, in turn. The rules of design
 * section 5, checked each time: never two running copies; a failure before
 * RUN leaves the VM running at the source; no copy running only while the
 * source reports the migration unresolved; after VM_STARTED the source
 * never resumes.
 */
static void test_link_cut_at_every_point(void **state)
{
	struct fake_vm src, dst;
	struct mig_report rep;
	struct dest_args da = { .local = board_hello() };
	int total, cases = 0, unresolved = 0, failed = 0, completed = 0;

	(void)state;
	fake_init(&src, true);
	fake_init(&dst, false);
	assert_int_equal(migrate_cut(&src, &dst, false, &rep, &da, -1, &total), MIG_COMPLETED);
	free(src.ram);
	free(dst.ram);
	for (int cut = 0; cut < total; cut++) {
		enum mig_state st;

		fake_init(&src, true);
		fake_init(&dst, false);
		st = migrate_cut(&src, &dst, false, &rep, &da, cut, NULL);
		cases++;
		assert_false(src.running && dst.running); /* never split brain */
		switch (st) {
		case MIG_FAILED:
			failed++;
			assert_true(src.running); /* nothing lost */
			break;
		case MIG_UNRESOLVED:
			unresolved++;
			assert_false(src.running); /* stays stopped, reported */
			break;
		case MIG_COMPLETED:
			completed++;
			assert_true(dst.running);
			break;
		default:
			fail_msg("unexpected source state %s at cut %d", mig_state_name(st), cut);
		}
		free(src.ram);
		free(dst.ram);
	}
	print_message(
		"link cut at %d points: %d failed (VM on the source), %d unresolved (stopped, "
		"reported), %d completed\n",
		cases, failed, unresolved, completed);
	assert_true(failed > 0 && unresolved > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_idle_vm),
		cmocka_unit_test(test_dirtying_vm),
		cmocka_unit_test(test_failure_before_run_resumes_source),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_link_cut_at_every_point),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
