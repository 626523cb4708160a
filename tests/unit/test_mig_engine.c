/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The migration engine end to end on the host: a fake VM with real vCPU
 * and vGIC state and a RAM array, the two ends in two threads over a
 * socketpair. Memory and every register must arrive intact; a failure
 * before RUN must leave the VM running on the source.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/support/fake_vm.h"

#define PAGES 2048 /* 8 MiB */

/** Both VMs and the migration between them; fresh for every test. */
struct fixture {
	struct fake_vm src, dst;
	struct fake_migration m;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	fake_vm_init(&f->src, PAGES, true);
	fake_vm_init(&f->dst, PAGES, false);
	f->m = (struct fake_migration){
		.dest_local = fake_vm_hello(PAGES),
		.precopy = { .downtime_limit_ns = 20000000,
			     .max_rounds = 50,
			     .device_bytes = 8192,
			     .on_no_convergence = MIG_NC_SWITCH },
		.timeout_ms = 5000,
		.cut_at = -1,
	};
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	fake_vm_free(&f->src);
	fake_vm_free(&f->dst);
	free(f);
	return 0;
}

static void check_equal(struct fake_vm *src, struct fake_vm *dst)
{
	assert_memory_equal(src->ram, dst->ram, PAGES * 4096);
	assert_memory_equal(&src->regs, &dst->regs, sizeof(src->regs));
	assert_true(dst->vgic.spi[1].line_level);
}

static void test_idle_vm(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(fake_vm_migrate(&f->src, &f->dst, &f->m), MIG_COMPLETED);
	assert_int_equal(f->m.dst_state, MIG_COMPLETED);
	check_equal(&f->src, &f->dst);
	assert_true(f->dst.running);
	assert_false(f->src.running);
	assert_true(f->m.src.zero_pages >= PAGES / 2);
	assert_true(f->m.src.downtime_ns > 0);
	assert_true(f->m.src.dest_started_ns >= f->m.src.dest_synced_ns);
}

static void test_dirtying_vm(void **state)
{
	struct fixture *f = *state;

	f->m.dirtying = true;
	assert_int_equal(fake_vm_migrate(&f->src, &f->dst, &f->m), MIG_COMPLETED);
	check_equal(&f->src, &f->dst); /* the source stopped for good at the switchover */
	assert_true(f->src.regs.x[0] > 0x1000);
}

static void failure_before_run(struct fixture *f)
{
	assert_int_equal(fake_vm_migrate(&f->src, &f->dst, &f->m), MIG_FAILED);
	assert_int_equal(f->m.dst_state, MIG_FAILED);
	assert_true(f->src.running); /* nothing lost: it runs on at the source */
	assert_false(f->dst.running);
}

static void test_load_failure_resumes_source(void **state)
{
	struct fixture *f = *state;

	f->dst.fail_load = true;
	failure_before_run(f);
}

static void test_sync_failure_resumes_source(void **state)
{
	struct fixture *f = *state;

	f->dst.fail_sync = true;
	failure_before_run(f);
}

static void test_refused(void **state)
{
	struct fixture *f = *state;

	f->m.dest_local.cntfrq = 24000000;
	failure_before_run(f);
	assert_non_null(strstr(f->m.src.error, "refused by the destination: counter frequency"));
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
	struct fixture *f = *state;
	int total, failed = 0, unresolved = 0, completed = 0;

	assert_int_equal(fake_vm_migrate(&f->src, &f->dst, &f->m), MIG_COMPLETED);
	total = f->m.events;
	for (int cut = 0; cut < total; cut++) {
		enum mig_state st;

		teardown(state);
		setup(state);
		f = *state;
		f->m.cut_at = cut;
		st = fake_vm_migrate(&f->src, &f->dst, &f->m);
		assert_false(f->src.running && f->dst.running); /* never split brain */
		switch (st) {
		case MIG_FAILED:
			failed++;
			assert_true(f->src.running); /* nothing lost */
			break;
		case MIG_UNRESOLVED:
			unresolved++;
			assert_false(f->src.running); /* stays stopped, reported */
			break;
		case MIG_COMPLETED:
			completed++;
			assert_true(f->dst.running);
			break;
		default:
			fail_msg("unexpected source state %s at cut %d", mig_state_name(st), cut);
		}
	}
	print_message(
		"link cut at %d points: %d failed (VM on the source), %d unresolved (stopped, "
		"reported), %d completed\n",
		total, failed, unresolved, completed);
	assert_true(failed > 0 && unresolved > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_idle_vm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dirtying_vm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_failure_resumes_source, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sync_failure_resumes_source, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_link_cut_at_every_point, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
