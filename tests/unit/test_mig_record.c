/* SPDX-License-Identifier: Apache-2.0 */
/** Record framing and the HELLO exchange. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mig/hello.h"
#include "mig/record.h"

static void test_framing(void **state)
{
	uint8_t buf[64];
	struct mig_writer w;
	struct mig_reader r;
	struct mig_record rec;
	bool bad;

	(void)state;
	mig_writer_init(&w, buf, sizeof(buf));
	mig_record_put(&w, MIG_REC_PING, 0, "\x01\x00\x00\x00", 4);
	mig_record_put(&w, MIG_REC_RUN, 7, NULL, 0);
	/* golden: type 0x0030, flags 0, length 4, payload 1 */
	assert_memory_equal(buf, "\x30\x00\x00\x00\x04\x00\x00\x00\x01\x00\x00\x00", 12);
	/* a record arriving in pieces is not read until it is whole */
	for (size_t n = 0; n < 12; n++) {
		mig_reader_init(&r, buf, n);
		assert_false(mig_record_get(&r, &rec, &bad));
		assert_false(bad);
		assert_int_equal(r.pos, 0);
	}
	mig_reader_init(&r, buf, w.len);
	assert_true(mig_record_get(&r, &rec, &bad));
	assert_int_equal(rec.type, MIG_REC_PING);
	assert_int_equal(mig_get_u32(&rec.payload), 1);
	assert_true(mig_record_get(&r, &rec, &bad));
	assert_int_equal(rec.type, MIG_REC_RUN);
	assert_int_equal(rec.flags, 7);
	assert_int_equal(rec.length, 0);
	assert_string_equal(mig_record_name(MIG_REC_VM_STARTED), "VM_STARTED");
	assert_string_equal(mig_record_name(0x1234), "unknown");
}

static void test_oversized_length_is_malformed(void **state)
{
	const uint8_t huge[8] = { 0x01, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f };
	struct mig_reader r;
	struct mig_record rec;
	bool bad;

	(void)state;
	mig_reader_init(&r, huge, sizeof(huge));
	assert_false(mig_record_get(&r, &rec, &bad));
	assert_true(bad);
}

static struct mig_hello board(void)
{
	struct mig_hello h = {
		.format_version = MIG_FORMAT_VERSION,
		.producer = "0.1.0",
		.midr = 0x000f0510,
		.id_aa64pfr0 = 0x1101,
		.id_aa64isar0 = 0x1000000010211120ull,
		.id_aa64isar1 = 0x10,
		.id_aa64mmfr0 = 0x5,
		.cntfrq = 62500000,
		.gic_iidr = 0x4600043b,
		.gic_intid_count = 96,
		.vcpu_count = 2,
		.ram_base = 0x40000000,
		.ram_size = 512ull << 20,
		.page_size = 4096,
		.capabilities = MIG_CAP_ZERO_PAGES | MIG_CAP_POSTCOPY | MIG_CAP_VM_STARTED,
	};
	return h;
}

static void test_hello_round_trip_and_truncation(void **state)
{
	struct mig_hello in = board(), out;
	uint8_t buf[256];
	struct mig_writer w;
	struct mig_reader r;
	char err[160];

	(void)state;
	mig_writer_init(&w, buf, sizeof(buf));
	mig_hello_put(&w, &in);
	assert_memory_equal(buf,
			    "FERRYMIG\x01\x00\x05"
			    "0.1.0",
			    16);
	mig_reader_init(&r, buf, w.len);
	assert_true(mig_hello_get(&r, &out, err, sizeof(err)));
	assert_string_equal(out.producer, "0.1.0");
	assert_int_equal(out.ram_size, in.ram_size);
	assert_int_equal(out.capabilities, in.capabilities);
	for (size_t n = 0; n < w.len; n++) {
		mig_reader_init(&r, buf, n);
		assert_false(mig_hello_get(&r, &out, err, sizeof(err)));
	}
	buf[0] = 'X';
	mig_reader_init(&r, buf, w.len);
	assert_false(mig_hello_get(&r, &out, err, sizeof(err)));
	assert_string_equal(err, "not a Ferry migration stream (bad magic)");
}

static void test_compatibility(void **state)
{
	struct mig_hello here = board(), src;
	char err[160];

	(void)state;
	src = here;
	assert_true(mig_hello_compatible(&here, &src, err, sizeof(err)));
	src.cntfrq = 24000000;
	assert_false(mig_hello_compatible(&here, &src, err, sizeof(err)));
	assert_string_equal(err, "counter frequency 24000000 Hz, this board's is 62500000 Hz (the "
				 "guest's time would change speed)");
	src = here;
	src.vcpu_count = 4;
	assert_false(mig_hello_compatible(&here, &src, err, sizeof(err)));
	assert_string_equal(err, "4 vCPUs, this board can run 2");
	src = here;
	src.id_aa64isar0 |= 1ull << 60; /* RNDR */
	here.id_aa64isar0 &= ~(1ull << 60);
	assert_false(mig_hello_compatible(&here, &src, err, sizeof(err)));
	here = board();
	src = here;
	src.format_version = 2;
	assert_false(mig_hello_compatible(&here, &src, err, sizeof(err)));
	assert_string_equal(err, "stream format version 2, this board reads version 1");
	src = here;
	src.ram_size = 1ull << 30;
	assert_false(mig_hello_compatible(&here, &src, err, sizeof(err)));
	assert_string_equal(err, "1024 MiB of guest RAM, this board has 512 MiB free");
	src = here;
	src.capabilities &= ~MIG_CAP_VM_STARTED;
	assert_false(mig_hello_compatible(&here, &src, err, sizeof(err)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_framing),
		cmocka_unit_test(test_oversized_length_is_malformed),
		cmocka_unit_test(test_hello_round_trip_and_truncation),
		cmocka_unit_test(test_compatibility),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
