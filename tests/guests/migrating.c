/* SPDX-License-Identifier: Apache-2.0 */
/**
 * A guest that is migrated while it runs: it keeps rewriting pages of a
 * 16 MiB area (8 pages every 10 ms; each page holds a pattern of its number
 * and its own generation, the generations kept in memory too), prints a
 * heartbeat every 100 ms of its virtual time, and checks all of it each
 * time: every page still holds what was last written, the virtual counter
 * never went backwards. After 8 s of its own time it passes, wherever it
 * runs by then.
 */
#include "tests/guests/rt/guest.h"

#ifndef GUEST_NAME
#define GUEST_NAME "migrating"
#endif
const char test_name[] = GUEST_NAME;

#define AREA_START 0x40400000ull
#define AREA_PAGES 4096u /* 16 MiB */
#define WORDS	   512u	 /* per page */
#define RUN_MS	   8000u
#define BEAT_MS	   100u
#define PACE_MS	   10u
#ifndef PAGES_PER_PACE
#define PAGES_PER_PACE 8u /* 3.2 MB/s of rewritten memory */
#endif

static uint32_t generation[AREA_PAGES];
static const volatile unsigned pages_per_pace = PAGES_PER_PACE; /* 0 for the idle variant */

static uint64_t pattern(unsigned page, uint32_t gen, unsigned word)
{
	return ((uint64_t)page << 40 | (uint64_t)gen << 12 | word) * 0x9e3779b97f4a7c15ull;
}

static void write_page(unsigned page)
{
	volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)(AREA_START + page * 4096ull);
	uint32_t gen = ++generation[page];

	for (unsigned w = 0; w < WORDS; w++)
		p[w] = pattern(page, gen, w);
}

static void check_all(void)
{
	for (unsigned page = 0; page < AREA_PAGES; page++) {
		volatile uint64_t *p =
			(volatile uint64_t *)(uintptr_t)(AREA_START + page * 4096ull);

		for (unsigned w = 0; w < WORDS; w += 37)
			if (p[w] != pattern(page, generation[page], w)) {
				guest_printf("page %u word %u: 0x%llx, expected generation %u\n",
					     page, w, (unsigned long long)p[w], generation[page]);
				guest_fail("memory lost a write");
			}
	}
}

void test_main(unsigned cpu)
{
	uint64_t freq = guest_counter_freq(), start = guest_counter(), last = start, next_beat;
	uint64_t next_pace = start;
	unsigned beat = 0, cursor = 0;

	(void)cpu;
	for (unsigned page = 0; page < AREA_PAGES; page++)
		write_page(page);
	next_beat = start + freq * BEAT_MS / 1000;
	for (;;) {
		uint64_t now = guest_counter();

		if (now < last)
			guest_fail("the virtual counter went backwards");
		last = now;
		if (now >= next_pace) {
			for (unsigned i = 0; i < pages_per_pace; i++) {
				write_page(cursor);
				cursor = (cursor * 5 + 1) % AREA_PAGES;
			}
			next_pace += freq * PACE_MS / 1000;
		}
		if (now < next_beat)
			continue;
		check_all();
		guest_printf("beat %u at %llu ms: %u pages checked\n", ++beat,
			     (unsigned long long)((now - start) * 1000 / freq), AREA_PAGES);
		next_beat += freq * BEAT_MS / 1000;
		if ((now - start) * 1000 / freq >= RUN_MS)
			guest_pass();
	}
}
