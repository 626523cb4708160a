/* SPDX-License-Identifier: Apache-2.0 */
/**
 * A guest whose measure is how much work it gets done (bench/protect.py):
 * steps that each write one word of a 64-page (256 KiB) working set and
 * fold it into a checksum, as a control loop over its state would. Every
 * 500 ms of its own time it prints "work N steps in T us", N the steps done
 * in that period, T its length (its clock runs on through every pause of
 * the VM, so a protected guest's pauses and write faults show as fewer
 * steps). After RUN_MS of its own time it checks that every word holds
 * its last write, and passes.
 */
#include "tests/guests/rt/guest.h"

const char test_name[] = "protect_work";

#define AREA_START 0x40400000ull
#define PAGES	   64u
#define WORDS	   512u /* per page */
#define PERIOD_MS  500u
#define RUN_MS	   12000u
/*
 * Steps between two looks at the clock: some 0.2 ms, as a control loop's
 * period would be. On the emulated board each read of the counter takes
 * QEMU's big lock, which the board's network device holds while a
 * checkpoint goes out: a guest reading it every few microseconds would
 * measure that lock as much as its work.
 */
#define BATCH 65536u

void test_main(unsigned cpu)
{
	volatile uint64_t *area = (volatile uint64_t *)(uintptr_t)AREA_START;
	uint64_t freq = guest_counter_freq(), start = guest_counter(), period = start;
	uint64_t steps = 0, in_period = 0, sum = 0;

	(void)cpu;
	for (;;) {
		uint64_t now;

		for (unsigned i = 0; i < BATCH; i++, steps++) {
			unsigned page = (unsigned)(steps % PAGES);
			uint64_t v = steps * 0x9e3779b97f4a7c15ull;

			area[page * WORDS + (steps / PAGES) % WORDS] = v;
			sum += v >> 7;
		}
		in_period += BATCH;
		now = guest_counter();
		if ((now - period) * 1000u / freq < PERIOD_MS)
			continue;
		guest_printf("work %llu steps in %llu us\n", (unsigned long long)in_period,
			     (unsigned long long)((now - period) * 1000000u / freq));
		period = now;
		in_period = 0;
		if ((now - start) * 1000u / freq >= RUN_MS)
			break;
	}
	/* Each word holds the last step's write to it: none lost across the pauses. */
	for (unsigned page = 0; page < PAGES; page++)
		for (unsigned w = 0; w < WORDS; w++) {
			uint64_t q = (steps - 1 - page) / PAGES, j;

			if (q < w)
				continue; /* never written */
			j = q - (q - w) % WORDS;
			if (area[page * WORDS + w] !=
			    (page + (uint64_t)PAGES * j) * 0x9e3779b97f4a7c15ull)
				guest_fail("the working set lost a write");
		}
	guest_printf("work done: %llu steps, checksum %llx\n", (unsigned long long)steps,
		     (unsigned long long)sum);
	guest_pass();
}
