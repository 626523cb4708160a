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
		.migration_id = 0x8877665544332211ull,
		.midr = 0x000f0510,
		.id_regs = { [MIG_ID_AA64PFR0] = 0x1101,
			     [MIG_ID_AA64ISAR0] = 0x1000000010211120ull,
			     [MIG_ID_AA64ISAR1] = 0x10,
			     [MIG_ID_AA64MMFR0] = 0x5 },
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
			    "FERRYMIG\x02\x00\x05"
			    "0.1.0"
			    "\x11\x22\x33\x44\x55\x66\x77\x88",
			    24);
	mig_reader_init(&r, buf, w.len);
	assert_true(mig_hello_get(&r, &out, err, sizeof(err)));
	assert_string_equal(out.producer, "0.1.0");
	assert_int_equal(out.ram_size, in.ram_size);
	assert_int_equal(out.migration_id, in.migration_id);
	assert_memory_equal(out.id_regs, in.id_regs, sizeof(in.id_regs));
	assert_int_equal(out.capabilities, in.capabilities);
	for (size_t n = 0; n < w.len; n++) {
		mig_reader_init(&r, buf, n);
		assert_false(mig_hello_get(&r, &out, err, sizeof(err)));
	}
	buf[12] = '\n'; /* in the producer's version: it would reach a console */
	mig_reader_init(&r, buf, w.len);
	assert_false(mig_hello_get(&r, &out, err, sizeof(err)));
	assert_string_equal(err, "HELLO: producer version with a control character");
	buf[0] = 'X';
	mig_reader_init(&r, buf, w.len);
	assert_false(mig_hello_get(&r, &out, err, sizeof(err)));
	assert_string_equal(err, "not a Ferry migration stream (bad magic)");
}

/** The verdict on src, and its reason. */
static const char *verdict(const struct mig_hello *here, const struct mig_hello *src)
{
	static char err[160];

	if (mig_hello_compatible(here, src, err, sizeof(err)))
		return "compatible";
	return err;
}

static void test_compatibility(void **state)
{
	struct mig_hello here = board(), src;

	(void)state;
	src = here;
	assert_string_equal(verdict(&here, &src), "compatible");
	src.cntfrq = 24000000;
	assert_string_equal(verdict(&here, &src),
			    "counter frequency 24000000 Hz, this board's is 62500000 Hz (the "
			    "guest's time would change speed)");
	/* The vCPU count must match the VM this board prepared: refused before any data. */
	src = here;
	src.vcpu_count = 4;
	assert_string_equal(verdict(&here, &src), "4 vCPUs, this board prepared a VM of 2");
	src.vcpu_count = 1;
	assert_string_equal(verdict(&here, &src), "1 vCPUs, this board prepared a VM of 2");
	src = here;
	src.format_version = 1;
	assert_string_equal(verdict(&here, &src),
			    "stream format version 1, this board reads version 2");
	assert_int_equal(mig_hello_format(&src), 0);
	/* One format newer: only from a source that also writes this board's. */
	src.format_version = MIG_FORMAT_VERSION + 1;
	assert_string_equal(verdict(&here, &src),
			    "stream format version 3, this board reads version 2");
	src.capabilities |= MIG_CAP_FORMAT_WINDOW;
	assert_string_equal(verdict(&here, &src), "compatible");
	assert_int_equal(mig_hello_format(&src), MIG_FORMAT_VERSION);
	src.format_version = MIG_FORMAT_VERSION + 2;
	assert_string_equal(
		verdict(&here, &src),
		"stream format version 4 (it also writes 3), this board reads version 2");
	src.format_version = MIG_FORMAT_VERSION;
	assert_int_equal(mig_hello_format(&src), MIG_FORMAT_VERSION);
	/* RAM of exactly the same size: a larger destination would never finish postcopy. */
	src = here;
	src.ram_size = 1ull << 30;
	assert_string_equal(verdict(&here, &src),
			    "1048576 KiB of guest RAM, this board prepared 524288 KiB");
	src.ram_size = 256ull << 20;
	assert_string_equal(verdict(&here, &src),
			    "262144 KiB of guest RAM, this board prepared 524288 KiB");
	src = here;
	src.capabilities &= ~MIG_CAP_VM_STARTED;
	assert_string_not_equal(verdict(&here, &src), "compatible");
	src = here;
	src.migration_id = 0;
	assert_string_equal(verdict(&here, &src), "HELLO without a migration id");
	src = here;
	src.gic_iidr = 0x43b;
	assert_string_equal(verdict(&here, &src),
			    "virtual GIC IIDR 0x43b, this board emulates 0x4600043b");
}

/* ID registers field by field (Arm ARM D19.1.3): unsigned, signed, and exact fields. */
static void test_id_register_fields(void **state)
{
	struct mig_hello here = board(), src;

	(void)state;
	/* Unsigned: RNDR [63:60] the guest saw and this board lacks. */
	src = here;
	here.id_regs[MIG_ID_AA64ISAR0] &= ~(0xfull << 60);
	assert_string_equal(verdict(&here, &src),
			    "ID_AA64ISAR0_EL1 bits [63:60]: the guest saw 1, this board offers 0");
	/* ... and the other way round it fits (a superset). */
	assert_string_equal(verdict(&src, &here), "compatible");
	/* A larger field value in one field cannot hide a smaller one in another. */
	here = board();
	src = here;
	src.id_regs[MIG_ID_AA64ISAR0] = (here.id_regs[MIG_ID_AA64ISAR0] & ~0xf0ull) | 0x30;
	src.id_regs[MIG_ID_AA64ISAR0] -= 1ull << 60;
	assert_string_equal(verdict(&here, &src),
			    "ID_AA64ISAR0_EL1 bits [7:4]: the guest saw 3, this board offers 2");
	/* Signed: FP [19:16] 0xf is "not implemented", below 0 ("implemented"). */
	here.id_regs[MIG_ID_AA64PFR0] |= 0xfull << 16;
	src = here;
	src.id_regs[MIG_ID_AA64PFR0] &= ~(0xfull << 16);
	assert_string_equal(verdict(&here, &src),
			    "ID_AA64PFR0_EL1 bits [19:16]: the guest saw 0, this board offers -1");
	assert_string_equal(verdict(&src, &here), "compatible");
	/* TGran4 [31:28] is signed too; MMFR0 is compared at all. */
	here = board();
	src = here;
	src.id_regs[MIG_ID_AA64MMFR0] |= 0xfull << 28;
	assert_string_equal(verdict(&here, &src), "compatible");
	assert_string_equal(verdict(&src, &here),
			    "ID_AA64MMFR0_EL1 bits [31:28]: the guest saw 0, this board offers -1");
	/* PARange [3:0]: a guest that saw a larger physical range. */
	src = here;
	src.id_regs[MIG_ID_AA64MMFR0] = 0x6;
	assert_string_equal(verdict(&here, &src),
			    "ID_AA64MMFR0_EL1 bits [3:0]: the guest saw 6, this board offers 5");
	/* The stage-2 granule fields are an encoding: equal or refused. */
	src = here;
	src.id_regs[MIG_ID_AA64MMFR0] |= 2ull << 40;
	assert_string_equal(verdict(&here, &src), "ID_AA64MMFR0_EL1 bits [43:40]: the guest saw "
						  "2, this board offers 0 (must be equal)");
	/* PAN, carried in MMFR1, is compared as well. */
	src = here;
	src.id_regs[MIG_ID_AA64MMFR1] = 3ull << 20;
	assert_string_equal(verdict(&here, &src),
			    "ID_AA64MMFR1_EL1 bits [23:20]: the guest saw 3, this board offers 0");
}

/* A peer's text reaches consoles: nothing but printable ASCII survives. */
static void test_peer_text_is_escaped(void **state)
{
	uint8_t msg[] = { 12, 'o', 'k', 0x1b, '[', '2', 'J', '\n', 0x7f, 0x80, 0xff, 0, '!' };
	struct mig_reader r;
	char out[64];

	(void)state;
	mig_reader_init(&r, msg, sizeof(msg));
	mig_get_text(&r, out, sizeof(out));
	assert_string_equal(out, "ok?[2J????"
				 "?"
				 "!");
	/* Longer than the buffer: cut, still terminated. */
	mig_reader_init(&r, msg, sizeof(msg));
	mig_get_text(&r, out, 4);
	assert_string_equal(out, "ok?");
	/* Shorter than it says: what came, and the reader says so. */
	mig_reader_init(&r, msg, 5);
	mig_get_text(&r, out, sizeof(out));
	assert_string_equal(out, "ok?[");
	assert_true(r.error);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_framing),
		cmocka_unit_test(test_oversized_length_is_malformed),
		cmocka_unit_test(test_hello_round_trip_and_truncation),
		cmocka_unit_test(test_compatibility),
		cmocka_unit_test(test_id_register_fields),
		cmocka_unit_test(test_peer_text_is_escaped),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
