/* SPDX-License-Identifier: Apache-2.0 */
/**
 * A standby's checkpoints (mig/checkpoint.h): whole or not at all, in
 * order, everything checked before anything is written.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mig/checkpoint.h"

#define PAGES 8

static uint8_t ram[PAGES][MIG_PAGE_SIZE] __attribute__((aligned(8)));
static uint8_t payload[MIG_RAM_BATCH_BYTES];
static uint8_t scratch[MIG_PAGE_SIZE];
static char err[160];

/* The board: a package is "dev=N" (its state N), anything else is refused. */
static int loaded = -1;
static unsigned loads;

static bool load_devices(void *vm, const uint8_t *buf, size_t len, char *why, size_t n)
{
	(void)vm;
	loads++;
	if (len != 5 || memcmp(buf, "dev=", 4)) {
		strncpy(why, "not a package", n);
		return false;
	}
	loaded = buf[4] - '0';
	return true;
}

static const struct mig_vm_ops ops = { .load_devices = load_devices };
static struct mig_vm vm = { &ops, NULL };

static void sink(void *ctx, uint64_t page, const void *data)
{
	(void)ctx;
	if (data)
		memcpy(ram[page], data, MIG_PAGE_SIZE);
	else
		memset(ram[page], 0, MIG_PAGE_SIZE);
}

static const uint8_t *base(void *ctx, uint64_t page)
{
	(void)ctx;
	return ram[page];
}

static const struct mig_ram_forms forms = { .scratch = scratch, .base = base };

/* A RAM payload: page p whole, filled with `fill`, and page q as a one-word delta. */
static struct mig_reader ram_payload(uint64_t p, uint8_t fill, uint64_t q, uint64_t word)
{
	static uint8_t page[MIG_PAGE_SIZE], next[MIG_PAGE_SIZE];
	struct mig_ram_batch b;
	struct mig_reader r;

	memset(page, fill, sizeof(page));
	memcpy(next, ram[q], sizeof(next));
	memcpy(next + 64, &word, sizeof(word));
	mig_ram_batch_init(&b, payload, sizeof(payload), true);
	assert_true(mig_ram_batch_add(&b, p, page, NULL));
	assert_true(mig_ram_batch_add(&b, q, next, ram[q]));
	mig_ram_batch_finish(&b);
	assert_int_equal(b.delta_pages, 1);
	mig_reader_init(&r, payload, b.w.len);
	return r;
}

static int setup(void **state)
{
	struct mig_ckpt_stage *c = calloc(1, sizeof(*c));

	memset(ram, 0x11, sizeof(ram));
	loaded = -1;
	loads = 0;
	if (!c || !mig_ckpt_init(c, 64 * 1024, 16))
		return -1;
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	mig_ckpt_free(*state);
	free(*state);
	return 0;
}

static void epoch(struct mig_ckpt_stage *c, uint64_t n, uint8_t fill, char dev)
{
	struct mig_reader r = ram_payload(1, fill, 5, n);
	uint8_t pkg[5] = { 'd', 'e', 'v', '=', (uint8_t)dev };

	assert_true(mig_ckpt_begin(c, n, err, sizeof(err)));
	assert_true(mig_ckpt_ram(c, &r, PAGES, NULL, &forms, err, sizeof(err)));
	assert_true(mig_ckpt_package(c, pkg, sizeof(pkg), err, sizeof(err)));
}

/* An epoch applies only at its end: RAM, then the package loaded. */
static void test_commit_applies_whole(void **state)
{
	struct mig_ckpt_stage *c = *state;
	uint64_t w;

	epoch(c, 7, 0xaa, '1');
	assert_int_equal(ram[1][0], 0x11); /* kept aside */
	assert_int_equal(loaded, -1);
	assert_true(mig_ckpt_commit(c, 7, &vm, PAGES, sink, NULL, &forms, err, sizeof(err)));
	assert_int_equal(ram[1][0], 0xaa);
	memcpy(&w, ram[5] + 64, 8);
	assert_int_equal(w, 7);
	assert_int_equal(ram[5][0], 0x11); /* the delta's page otherwise as it was */
	assert_int_equal(loaded, 1);
	assert_int_equal(c->committed, 7);
	/* the next follows it, and only it */
	assert_false(mig_ckpt_begin(c, 9, err, sizeof(err)));
	assert_string_equal(err, "checkpoint 9 does not follow 7");
	assert_false(mig_ckpt_begin(c, 7, err, sizeof(err)));
	epoch(c, 8, 0xbb, '2');
	assert_false(mig_ckpt_begin(c, 9, err, sizeof(err))); /* 8 is open */
	assert_true(mig_ckpt_commit(c, 8, &vm, PAGES, sink, NULL, &forms, err, sizeof(err)));
	assert_int_equal(ram[1][0], 0xbb);
	assert_int_equal(loaded, 2);
}

/* A cut in the middle (the end never came): the committed checkpoint as it was. */
static void test_dropped_epoch_leaves_the_last(void **state)
{
	struct mig_ckpt_stage *c = *state;

	epoch(c, 1, 0xaa, '1');
	assert_true(mig_ckpt_commit(c, 1, &vm, PAGES, sink, NULL, &forms, err, sizeof(err)));
	epoch(c, 2, 0xcc, '2');
	mig_ckpt_drop(c);
	assert_int_equal(ram[1][0], 0xaa);
	assert_int_equal(loaded, 1);
	assert_false(mig_ckpt_commit(c, 2, &vm, PAGES, sink, NULL, &forms, err, sizeof(err)));
	assert_int_equal(ram[1][0], 0xaa);
	/* the same epoch again, from its beginning */
	epoch(c, 2, 0xcc, '2');
	assert_true(mig_ckpt_commit(c, 2, &vm, PAGES, sink, NULL, &forms, err, sizeof(err)));
	assert_int_equal(ram[1][0], 0xcc);
}

/*
 * A package the board refuses: not a page of its epoch written, the
 * committed package loaded again; an end without a package, or of another
 * epoch: refused, nothing written.
 */
static void test_refused_package_writes_nothing(void **state)
{
	struct mig_ckpt_stage *c = *state;
	struct mig_reader r;

	epoch(c, 1, 0xaa, '1');
	assert_true(mig_ckpt_commit(c, 1, &vm, PAGES, sink, NULL, &forms, err, sizeof(err)));
	assert_true(mig_ckpt_begin(c, 2, err, sizeof(err)));
	r = ram_payload(1, 0xdd, 5, 99);
	assert_true(mig_ckpt_ram(c, &r, PAGES, NULL, &forms, err, sizeof(err)));
	assert_true(mig_ckpt_package(c, (const uint8_t *)"bogus", 5, err, sizeof(err)));
	assert_false(mig_ckpt_commit(c, 2, &vm, PAGES, sink, NULL, &forms, err, sizeof(err)));
	assert_string_equal(err, "checkpoint 2 refused: not a package");
	assert_int_equal(ram[1][0], 0xaa);
	assert_int_equal(loaded, 1); /* loaded again */
	assert_int_equal(c->committed, 1);
	/* no package */
	assert_true(mig_ckpt_begin(c, 2, err, sizeof(err)));
	assert_true(mig_ckpt_ram(c, &r, PAGES, NULL, &forms, err, sizeof(err)));
	assert_false(mig_ckpt_commit(c, 2, &vm, PAGES, sink, NULL, &forms, err, sizeof(err)));
	assert_string_equal(err, "checkpoint 2 ended without its device package");
	/* another epoch's end */
	epoch(c, 2, 0xdd, '3');
	assert_false(mig_ckpt_commit(c, 3, &vm, PAGES, sink, NULL, &forms, err, sizeof(err)));
	assert_int_equal(ram[1][0], 0xaa);
	assert_int_equal(loaded, 1);
}

/*
 * What arrives is checked as it arrives and kept only whole: a page beyond
 * the guest, RAM or a package outside an epoch, a second package, a
 * package too big, more RAM than the stage holds.
 */
static void test_hostile_pieces_are_refused(void **state)
{
	struct mig_ckpt_stage *c = *state;
	struct mig_reader r = ram_payload(1, 0xaa, 5, 1);
	uint8_t big[17] = { 0 };
	uint32_t records;

	assert_false(mig_ckpt_ram(c, &r, PAGES, NULL, &forms, err, sizeof(err)));
	assert_string_equal(err, "RAM outside a checkpoint");
	assert_false(mig_ckpt_package(c, (const uint8_t *)"dev=1", 5, err, sizeof(err)));
	assert_false(mig_ckpt_begin(c, 0, err, sizeof(err)));
	assert_true(mig_ckpt_begin(c, 1, err, sizeof(err)));
	assert_false(mig_ckpt_ram(c, &r, 5, NULL, &forms, err, sizeof(err)));
	assert_string_equal(err, "RAM record: page 5 beyond the guest's 5 pages");
	assert_int_equal(c->ram_records, 0);
	assert_false(mig_ckpt_package(c, big, sizeof(big), err, sizeof(err)));
	assert_true(mig_ckpt_package(c, (const uint8_t *)"dev=1", 5, err, sizeof(err)));
	assert_false(mig_ckpt_package(c, (const uint8_t *)"dev=2", 5, err, sizeof(err)));
	assert_string_equal(err, "checkpoint 1: a second device package");
	do {
		r = ram_payload(1, 0xaa, 5, 1);
		records = c->ram_records;
	} while (mig_ckpt_ram(c, &r, PAGES, NULL, &forms, err, sizeof(err)));
	assert_string_equal(err,
			    "checkpoint 1: more RAM than the standby keeps aside (65536 bytes)");
	assert_int_equal(c->ram_records, records);
	assert_true(c->ram_records >= 10);
	assert_true(mig_ckpt_commit(c, 1, &vm, PAGES, sink, NULL, &forms, err, sizeof(err)));
	assert_int_equal(ram[1][0], 0xaa);
}

/*
 * A commit that cannot write all of its epoch (never: what was checked on
 * arrival is what is written; here its kept bytes are spoiled behind the
 * stage's back) leaves a copy that may hold two epochs: the stage says it
 * is broken and refuses everything from then on.
 */
static void test_broken_commit_refuses_all(void **state)
{
	struct mig_ckpt_stage *c = *state;

	epoch(c, 1, 0xaa, '1');
	c->buf[4] = 0xff; /* the kept payload's entry count */
	c->buf[5] = 0xff;
	assert_false(mig_ckpt_commit(c, 1, &vm, PAGES, sink, NULL, &forms, err, sizeof(err)));
	assert_string_equal(err, "checkpoint 1 could not be written whole (RAM record: bad entry "
				 "count): this standby's copy is broken");
	assert_true(c->broken);
	assert_int_equal(c->committed, 0);
	assert_false(mig_ckpt_begin(c, 1, err, sizeof(err)));
	assert_string_equal(err, "checkpoint 1: this standby's copy is broken");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_commit_applies_whole, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dropped_epoch_leaves_the_last, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_refused_package_writes_nothing, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_hostile_pieces_are_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_broken_commit_refuses_all, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
