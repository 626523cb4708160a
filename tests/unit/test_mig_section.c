/* SPDX-License-Identifier: Apache-2.0 */
/** The section interpreter: golden wire bytes, versions, hostile input, real state round trips. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hyp/state_sections.h"

struct demo {
	uint32_t a;
	uint16_t arr[2];
	bool flag;
	uint64_t added_in_v2;
	uint8_t extra;
};

static bool extra_needed(const void *obj) { return ((const struct demo *)obj)->flag; }

static const struct mig_field extra_fields[] = { MIG_FIELD(struct demo, extra, 1) };
static const struct mig_section extra_section = { "extra", 1, 1, extra_fields, 1, NULL, 0, 0, 0 };
static const struct mig_subsection demo_subs[] = { { &extra_section, extra_needed, false } };
/* The same, as a release whose format added the subsection and version 2 would write it. */
static const struct mig_subsection demo_new_subs[] = { { &extra_section, extra_needed, true } };
static const struct mig_field demo_fields[] = {
	MIG_FIELD(struct demo, a, 1),
	MIG_FIELD_ARRAY(struct demo, arr, 1),
	{ "flag", offsetof(struct demo, flag), 1, MIG_BOOL, 1, 0, 1, 0 },
	MIG_FIELD(struct demo, added_in_v2, 2),
};
static const struct mig_section demo_v2 = { "demo", 2, 1, demo_fields, 4, demo_subs, 1, 0, 0 };
static const struct mig_section demo_next = {
	"demo", 2, 1, demo_fields, 4, demo_new_subs, 1, 0, 1
};

/* demo {a = 0x11223344, arr = {0x5566, 0x7788}, flag = true, added_in_v2 = 9, extra = 0xee} */
/* clang-format off */
static const uint8_t golden[] = {
	4, 'd', 'e', 'm', 'o',		/* name */
	2, 0,				/* version 2 */
	32, 0, 0, 0,			/* body length */
	0x44, 0x33, 0x22, 0x11,		/* a */
	0x66, 0x55, 0x88, 0x77,		/* arr[0], arr[1] */
	1,				/* flag */
	9, 0, 0, 0, 0, 0, 0, 0,		/* added_in_v2 */
	1,				/* one subsection: */
	5, 'e', 'x', 't', 'r', 'a',	/*   name */
	1, 0,				/*   version 1 */
	2, 0, 0, 0,			/*   body length */
	0xee,				/*   extra */
	0,				/*   no subsections of its own */
};
/* clang-format on */

static char err[160];

static bool load(const struct mig_section *d, const void *buf, size_t len, void *obj)
{
	struct mig_reader r;

	mig_reader_init(&r, buf, len);
	return mig_section_load(d, &r, obj, err, sizeof(err));
}

/** One byte of a good section changed, and what its refusal says. */
struct refusal {
	size_t at;
	uint8_t value;
	const char *why;
};

/** Every truncation of `good` is refused, and each of `r` with the words it gives. */
static void refused_all(const struct mig_section *d, const uint8_t *good, size_t len,
			const struct refusal *r, size_t count)
{
	uint8_t bad[128];
	uint64_t obj[32]; /* room and alignment for any of the sections here */

	assert_true(len <= sizeof(bad));
	for (size_t n = 0; n < len; n++)
		assert_false(load(d, good, n, obj));
	for (size_t i = 0; i < count; i++) {
		assert_true(r[i].at < len);
		memcpy(bad, good, len);
		bad[r[i].at] = r[i].value;
		assert_false(load(d, bad, len, obj));
		assert_string_equal(err, r[i].why);
	}
}

static void test_golden_bytes(void **state)
{
	struct demo in = { 0x11223344, { 0x5566, 0x7788 }, true, 9, 0xee }, out = { 0 };
	uint8_t buf[128];
	struct mig_writer w;

	(void)state;
	mig_writer_init(&w, buf, sizeof(buf));
	mig_section_save(&demo_v2, &in, &w);
	assert_false(w.overflow);
	assert_int_equal(w.len, sizeof(golden));
	assert_memory_equal(buf, golden, sizeof(golden));
	assert_true(load(&demo_v2, golden, sizeof(golden), &out));
	assert_int_equal(out.a, 0x11223344);
	assert_int_equal(out.arr[1], 0x7788);
	assert_true(out.flag);
	assert_int_equal(out.added_in_v2, 9);
	assert_int_equal(out.extra, 0xee);
}

static void test_version_1_keeps_defaults(void **state)
{
	/* version 1: no added_in_v2, no subsection */
	static const uint8_t v1[] = { 4, 'd', 'e', 'm', 'o', 1, 0, 10, 0, 0, 0,
				      1, 0,   0,   0,	2,   0, 3, 0,  0, 0 };
	struct demo out = { .added_in_v2 = 77, .extra = 5 };

	(void)state;
	assert_true(load(&demo_v2, v1, sizeof(v1), &out));
	assert_int_equal(out.a, 1);
	assert_int_equal(out.arr[0], 2);
	assert_int_equal(out.added_in_v2, 77);
	assert_int_equal(out.extra, 5);
}

/* For a peer one format older: version 1, without the field and the subsection version 1 lacks. */
static void test_written_for_an_older_peer(void **state)
{
	static const uint8_t v1[] = { 4, 'd', 'e', 'm', 'o', 1, 0, 10, 0, 0, 0,
				      1, 0,   0,   0,	2,   0, 3, 0,  1, 0 };
	struct demo in = { 1, { 2, 3 }, true, 9, 0xee }, out = { .added_in_v2 = 77, .extra = 5 };
	uint8_t buf[128];
	struct mig_writer w;

	(void)state;
	mig_writer_init(&w, buf, sizeof(buf));
	mig_section_save_as(&demo_next, &in, &w, true);
	assert_int_equal(w.len, sizeof(v1));
	assert_memory_equal(buf, v1, sizeof(v1));
	assert_true(load(&demo_v2, buf, w.len, &out));
	assert_int_equal(out.added_in_v2, 77);
	assert_int_equal(out.extra, 5);
	/* For a peer of its own format: all of it, as the golden bytes. */
	mig_writer_init(&w, buf, sizeof(buf));
	in = (struct demo){ 0x11223344, { 0x5566, 0x7788 }, true, 9, 0xee };
	mig_section_save_as(&demo_next, &in, &w, false);
	assert_int_equal(w.len, sizeof(golden));
	assert_memory_equal(buf, golden, sizeof(golden));
}

static void test_refusals(void **state)
{
	uint8_t bad[sizeof(golden) + 1];
	struct demo out;

	static const struct refusal refusals[] = {
		{ 5, 3, "section demo: version 3 is newer than this build reads (2)" },
		{ 19, 2, "section demo: field flag has an invalid value at index 0" }, /* a bool */
	};

	(void)state;
	refused_all(&demo_v2, golden, sizeof(golden), refusals,
		    sizeof(refusals) / sizeof(refusals[0]));
	/* another section's name */
	memcpy(bad, golden, sizeof(golden));
	bad[1] = 'D';
	assert_false(load(&demo_v2, bad, sizeof(golden), &out));
	assert_string_equal(err, "expected section demo, found Demo");
	/* a name with a control character (it would reach a console): malformed */
	bad[1] = 0x1b;
	assert_false(load(&demo_v2, bad, sizeof(golden), &out));
	assert_string_equal(err, "section demo: truncated or malformed header");
	/* an unknown subsection */
	memcpy(bad, golden, sizeof(golden));
	bad[30] = 'X';
	assert_false(load(&demo_v2, bad, sizeof(golden), &out));
	assert_string_equal(err, "section demo: unknown subsection Xxtra");
	/* a byte too many inside the body */
	memcpy(bad, golden, sizeof(golden));
	bad[7] = 33;
	bad[sizeof(golden)] = 0;
	assert_false(load(&demo_v2, bad, sizeof(golden) + 1, &out));
	assert_string_equal(err, "section demo: 1 bytes left over");
}

static void fill(void *p, size_t n, uint32_t seed)
{
	uint8_t *b = p;

	for (size_t i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		b[i] = (uint8_t)(seed >> 16);
	}
}

/** Saves, loads into a blank object, saves again: the bytes must match. */
static void round_trip(const struct mig_section *d, const void *obj, void *blank)
{
	static uint8_t a[65536], b[65536];
	struct mig_writer wa, wb;

	mig_writer_init(&wa, a, sizeof(a));
	mig_section_save(d, obj, &wa);
	assert_false(wa.overflow);
	assert_true(load(d, a, wa.len, blank));
	mig_writer_init(&wb, b, sizeof(b));
	mig_section_save(d, blank, &wb);
	assert_int_equal(wa.len, wb.len);
	assert_memory_equal(a, b, wa.len);
}

static void test_vcpu_round_trip(void **state)
{
	static struct vcpu_regs in, out;

	(void)state;
	fill(&in, sizeof(in), 1);
	memset(&out, 0, sizeof(out));
	round_trip(&mig_section_vcpu, &in, &out);
	assert_int_equal(out.x[30], in.x[30]);
	assert_int_equal(out.fp.v[63], in.fp.v[63]);
	assert_int_equal(out.sys.vbar_el1, in.sys.vbar_el1);
	assert_int_equal(out.timer.cntv_cval_el0, in.timer.cntv_cval_el0);
	assert_int_equal(out.gic.ich_lr_el2[15], in.gic.ich_lr_el2[15]);
}

static void test_vgic_round_trip(void **state)
{
	static struct vgic_dist in, out;

	(void)state;
	vgic_init(&in, 2);
	for (unsigned i = 0; i < VGIC_SPI_COUNT; i++) {
		in.spi[i].priority = (uint8_t)(i * 8);
		in.spi[i].enabled = i & 1;
		in.spi[i].pending_latch = i & 2;
		in.spi[i].line_level = i & 4;
		in.spi[i].irouter = i % 2;
	}
	in.redist[1].priv[27].active = true;
	in.redist[1].priv[27].hw = true;
	in.redist[1].priv[27].hw_intid = 27;
	in.spi[3].hw = true;
	in.spi[3].hw_intid = 30; /* a physical interrupt the source would hand over */
	vgic_init(&out, 2);
	round_trip(&mig_section_vgic_dist, &in, &out);
	round_trip(&mig_section_vgic_redist, &in.redist[1], &out.redist[1]);
	assert_true(out.spi[4].line_level);
	assert_false(out.spi[4].pending_latch);
	assert_true(out.spi[2].pending_latch);
	assert_true(out.redist[1].priv[27].active);
	/* Forwarding is the destination's configuration: the stream does not carry it. */
	assert_false(out.redist[1].priv[27].hw);
	assert_false(out.spi[3].hw);
	assert_int_equal(out.spi[3].hw_intid, 0);
}

static void test_pl011_limits(void **state)
{
	static struct vpl011 in, out;
	uint8_t buf[1024];
	struct mig_writer w;

	(void)state;
	vpl011_init(&in, "vm0", NULL);
	vpl011_receive(&in, 'x');
	round_trip(&mig_section_pl011, &in, &out);
	assert_int_equal(out.rx_count, 1);
	/* a receive FIFO claiming more than it holds is refused */
	in.rx_count = VPL011_RX_FIFO + 1;
	mig_writer_init(&w, buf, sizeof(buf));
	mig_section_save(&mig_section_pl011, &in, &w);
	assert_false(load(&mig_section_pl011, buf, w.len, &out));
	assert_string_equal(err, "section pl011: field rx_count has an invalid value at index 0");
}

/* From version 2 on, arrays are packed: runs when shorter, dense otherwise. */
struct packed {
	uint16_t few[8]; /* mostly alike: runs */
	uint8_t many[3]; /* all different: dense */
	bool flags[8];
};

static const struct mig_field packed_fields[] = {
	MIG_FIELD_ARRAY(struct packed, few, 1),
	MIG_FIELD_ARRAY(struct packed, many, 1),
	{ "flags", offsetof(struct packed, flags), 1, MIG_BOOL, 8, 0, 1, 0 },
};
static const struct mig_section packed_v2 = { "pk", 2, 1, packed_fields, 3, NULL, 0, 2, 0 };

/* {few = {7, 7, 7, 7, 7, 7, 0, 0}, many = {1, 2, 3}, flags = {0, 1, 1, 1, 1, 1, 1, 1}} */
/* clang-format off */
static const uint8_t packed_golden[] = {
	2, 'p', 'k', 2, 0, 21, 0, 0, 0,
	1, 6, 0, 7, 0, 2, 0, 0, 0,	/* few: runs (6 of 7, 2 of 0) */
	0, 1, 2, 3,			/* many: dense */
	1, 1, 0, 0, 7, 0, 1,		/* flags: runs (1 of 0, 7 of 1) */
	0,				/* no subsections */
};
/* clang-format on */

static const struct refusal packed_refusals[] = {
	{ 10, 0, "section pk: field few has a run of 0 at index 0" },
	{ 14, 3, "section pk: field few has a run of 3 at index 6" }, /* past the array's end */
	{ 18, 2, "section pk: field many has no valid form" },
	{ 28, 2, "section pk: field flags has an invalid value at index 1" }, /* a bool run of 2 */
};

static void test_packed_arrays(void **state)
{
	struct packed in = { { 7, 7, 7, 7, 7, 7, 0, 0 },
			     { 1, 2, 3 },
			     { false, true, true, true, true, true, true, true } };
	struct packed out;
	uint8_t buf[64];
	struct mig_writer w;

	(void)state;
	mig_writer_init(&w, buf, sizeof(buf));
	mig_section_save(&packed_v2, &in, &w);
	assert_int_equal(w.len, sizeof(packed_golden));
	assert_memory_equal(buf, packed_golden, sizeof(packed_golden));
	memset(&out, 0x55, sizeof(out));
	assert_true(load(&packed_v2, packed_golden, sizeof(packed_golden), &out));
	assert_memory_equal(out.few, in.few, sizeof(in.few));
	assert_memory_equal(out.many, in.many, sizeof(in.many));
	assert_memory_equal(out.flags, in.flags, sizeof(in.flags));
	refused_all(&packed_v2, packed_golden, sizeof(packed_golden), packed_refusals,
		    sizeof(packed_refusals) / sizeof(packed_refusals[0]));
	/* version 1 of the same section: dense, still read */
	{
		static const uint8_t v1[] = { 2, 'p', 'k', 1, 0, 28, 0, 0, 0, 7, 0, 7, 0,
					      7, 0,   7,   0, 7, 0,  7, 0, 0, 0, 0, 0, 1,
					      2, 3,   0,   1, 1, 1,  1, 1, 1, 1, 0 };

		assert_true(load(&packed_v2, v1, sizeof(v1), &out));
		assert_memory_equal(out.few, in.few, sizeof(in.few));
		assert_memory_equal(out.flags, in.flags, sizeof(in.flags));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden_bytes),
		cmocka_unit_test(test_version_1_keeps_defaults),
		cmocka_unit_test(test_written_for_an_older_peer),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_packed_arrays),
		cmocka_unit_test(test_vcpu_round_trip),
		cmocka_unit_test(test_vgic_round_trip),
		cmocka_unit_test(test_pl011_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
