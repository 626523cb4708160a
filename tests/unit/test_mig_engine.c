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

#include "tests/support/fake_vm.h"

#define PAGES 2048 /* 8 MiB */

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
	struct mig_vm vm = { &fake_vm_ops, a->vm };
	struct mig_channel ch = { &sock_channel_ops, &a->fd };

	a->result = mig_dest_run(&vm, &ch, &a->local, 5000, &a->rep);
	close(a->fd);
	return NULL;
}

/** Runs one migration (the link breaking at event cut_at, -1 never); returns the source's state. */
static enum mig_state migrate_cut(struct fake_vm *src, struct fake_vm *dst, bool dirtying,
				  struct mig_report *rep, struct dest_args *da, int cut_at,
				  int *events)
{
	int sv[2];
	pthread_t dt, wt;
	struct mig_vm vm = { &fake_vm_ops, src };
	struct faulty_link link = { .cut_at = cut_at };
	struct mig_channel ch = { &faulty_channel_ops, &link };
	struct mig_source_config cfg = {
		.hello = fake_vm_hello(PAGES),
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
		pthread_create(&wt, NULL, fake_vm_workload, src);
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
	struct dest_args da = { .local = fake_vm_hello(PAGES) };

	(void)state;
	fake_vm_init(&src, PAGES, true);
	fake_vm_init(&dst, PAGES, false);
	assert_int_equal(migrate(&src, &dst, false, &rep, &da), MIG_COMPLETED);
	assert_int_equal(da.result, MIG_COMPLETED);
	check_equal(&src, &dst);
	assert_true(dst.running);
	assert_false(src.running);
	assert_true(rep.zero_pages >= PAGES / 2);
	assert_true(rep.downtime_ns > 0);
	assert_true(rep.dest_started_ns >= rep.dest_synced_ns);
	fake_vm_free(&src);
	fake_vm_free(&dst);
}

static void test_dirtying_vm(void **state)
{
	struct fake_vm src, dst;
	struct mig_report rep;
	struct dest_args da = { .local = fake_vm_hello(PAGES) };

	(void)state;
	fake_vm_init(&src, PAGES, true);
	fake_vm_init(&dst, PAGES, false);
	assert_int_equal(migrate(&src, &dst, true, &rep, &da), MIG_COMPLETED);
	check_equal(&src, &dst); /* the source stopped for good at the switchover */
	assert_true(src.regs.x[0] > 0x1000);
	fake_vm_free(&src);
	fake_vm_free(&dst);
}

static void test_failure_before_run_resumes_source(void **state)
{
	for (int which = 0; which < 2; which++) {
		struct fake_vm src, dst;
		struct mig_report rep;
		struct dest_args da = { .local = fake_vm_hello(PAGES) };

		(void)state;
		fake_vm_init(&src, PAGES, true);
		fake_vm_init(&dst, PAGES, false);
		dst.fail_load = which == 0;
		dst.fail_sync = which == 1;
		assert_int_equal(migrate(&src, &dst, false, &rep, &da), MIG_FAILED);
		assert_int_equal(da.result, MIG_FAILED);
		assert_true(src.running); /* nothing lost: it runs on at the source */
		assert_false(dst.running);
		fake_vm_free(&src);
		fake_vm_free(&dst);
	}
}

static void test_refused(void **state)
{
	struct fake_vm src, dst;
	struct mig_report rep;
	struct dest_args da = { .local = fake_vm_hello(PAGES) };

	(void)state;
	da.local.cntfrq = 24000000;
	fake_vm_init(&src, PAGES, true);
	fake_vm_init(&dst, PAGES, false);
	assert_int_equal(migrate(&src, &dst, false, &rep, &da), MIG_FAILED);
	assert_non_null(strstr(rep.error, "refused by the destination: counter frequency"));
	assert_true(src.running);
	fake_vm_free(&src);
	fake_vm_free(&dst);
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
	struct dest_args da = { .local = fake_vm_hello(PAGES) };
	int total, cases = 0, unresolved = 0, failed = 0, completed = 0;

	(void)state;
	fake_vm_init(&src, PAGES, true);
	fake_vm_init(&dst, PAGES, false);
	assert_int_equal(migrate_cut(&src, &dst, false, &rep, &da, -1, &total), MIG_COMPLETED);
	fake_vm_free(&src);
	fake_vm_free(&dst);
	for (int cut = 0; cut < total; cut++) {
		enum mig_state st;

		fake_vm_init(&src, PAGES, true);
		fake_vm_init(&dst, PAGES, false);
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
		fake_vm_free(&src);
		fake_vm_free(&dst);
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
