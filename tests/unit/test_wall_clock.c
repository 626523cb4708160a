/* SPDX-License-Identifier: Apache-2.0 */
/** The wall clock from an RTC's whole seconds and the counter (lib/wall_clock.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "lib/wall_clock.h"

#define FREQ 62500000ull /* QEMU virt's counter */

/* A board whose second 1,800,000,000 begins at counter value `edge`. */
struct rtc {
	uint64_t edge;
};

static uint32_t seconds_at(const struct rtc *r, uint64_t ticks)
{
	return (uint32_t)(1800000000ull + (ticks + 10 * FREQ - r->edge) / FREQ - 10);
}

/* The true time in µs at ticks. */
static uint64_t true_us(const struct rtc *r, uint64_t ticks)
{
	int64_t d = (int64_t)ticks - (int64_t)r->edge;

	return (uint64_t)((int64_t)1800000000ll * 1000000 + d * 1000000 / (int64_t)FREQ);
}

static uint64_t distance(uint64_t a, uint64_t b) { return a > b ? a - b : b - a; }

/* Readings when due (each a late by `late` ticks, taking 20 µs): the window narrows to 1 ms. */
static void narrows_when_read_on_time(uint64_t edge, uint64_t late)
{
	struct rtc r = { edge };
	struct wall_clock w;
	uint64_t now = FREQ / 3, readings = 0;

	wall_clock_init(&w, FREQ);
	assert_int_equal(wall_clock_us(&w, now), 0);
	while (readings < 40) {
		uint64_t due = wall_clock_next(&w, now);

		if (due > now + 30 * FREQ)
			break; /* narrow: only a check a minute from now */
		now = due > now ? due + late : now;
		wall_clock_sample(&w, seconds_at(&r, now), now, now + FREQ / 50000);
		now += FREQ / 50000;
		readings++;
		assert_true(distance(wall_clock_us(&w, now), true_us(&r, now)) <=
			    wall_clock_error_us(&w) + 1);
	}
	assert_true(readings < 40);
	assert_true(wall_clock_error_us(&w) <= 1000u * WALL_CLOCK_EXACT_MS / 2);
	assert_int_equal(wall_clock_next(&w, now), w.last + WALL_CLOCK_CHECK_S * FREQ);
	now += 3600 * FREQ;
	assert_true(distance(wall_clock_us(&w, now), true_us(&r, now)) <= 500);
}

static void test_narrows(void **state)
{
	(void)state;
	narrows_when_read_on_time(FREQ / 2 + 12345, 0);
	narrows_when_read_on_time(7 * FREQ + 999, FREQ / 10000);
	narrows_when_read_on_time(0, FREQ / 5000);
}

static void test_first_reading_within_half_a_second(void **state)
{
	struct rtc r = { 5 * FREQ + FREQ / 7 };
	struct wall_clock w;
	uint64_t now = 9 * FREQ;

	(void)state;
	wall_clock_init(&w, FREQ);
	wall_clock_sample(&w, seconds_at(&r, now), now, now);
	assert_true(wall_clock_error_us(&w) <= 500000);
	assert_true(distance(wall_clock_us(&w, now), true_us(&r, now)) <= 500000);
}

/* A reading the window cannot hold (the RTC was set) starts afresh from it. */
static void test_a_clock_set_starts_afresh(void **state)
{
	struct rtc r = { FREQ / 4 };
	struct wall_clock w;
	uint64_t now = 2 * FREQ;

	(void)state;
	wall_clock_init(&w, FREQ);
	for (int i = 0; i < 20; i++) {
		uint64_t due = wall_clock_next(&w, now);

		if (due > now + 30 * FREQ)
			break;
		now = due;
		wall_clock_sample(&w, seconds_at(&r, now), now, now);
	}
	now += FREQ;
	wall_clock_sample(&w, seconds_at(&r, now) + 100, now, now); /* set 100 s on */
	assert_true(distance(wall_clock_us(&w, now), true_us(&r, now) + 100000000u) <= 500000);
	wall_clock_sample(&w, seconds_at(&r, now) - 3600, now, now); /* set back an hour */
	assert_true(distance(wall_clock_us(&w, now), true_us(&r, now) - 3600000000u) <= 500000);
	assert_true(wall_clock_next(&w, now) <= now + FREQ);
}

/*
 * The emulator stopped for 2.5 s: its counter did not move, the host's
 * time did. The minute's check finds the window wrong and starts afresh.
 */
static void test_a_stopped_counter_is_found_at_the_check(void **state)
{
	struct rtc r = { FREQ / 3 };
	struct wall_clock w;
	uint64_t now = FREQ, due;

	(void)state;
	wall_clock_init(&w, FREQ);
	for (int i = 0; i < 40 && (due = wall_clock_next(&w, now)) < now + 30 * FREQ; i++) {
		now = due > now ? due : now;
		wall_clock_sample(&w, seconds_at(&r, now), now, now);
	}
	r.edge -= 5 * FREQ / 2; /* from here on, the RTC is 2.5 s ahead of the counter */
	now = wall_clock_next(&w, now);
	wall_clock_sample(&w, seconds_at(&r, now), now, now);
	assert_true(distance(wall_clock_us(&w, now), true_us(&r, now)) <= 500000);
	assert_true(wall_clock_next(&w, now) <= now + FREQ); /* narrowing again */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_narrows),
		cmocka_unit_test(test_first_reading_within_half_a_second),
		cmocka_unit_test(test_a_clock_set_starts_afresh),
		cmocka_unit_test(test_a_stopped_counter_is_found_at_the_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
