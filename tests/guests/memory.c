/* SPDX-License-Identifier: Apache-2.0 */
/**
 * Guest RAM behaves as memory: 32 MiB above the image written with an
 * address-derived pattern, then read back, twice with different seeds.
 */
#include "tests/guests/rt/guest.h"

const char test_name[] = "memory";

#define AREA_START 0x40400000ull
#define AREA_SIZE  (32ull << 20)

void test_main(unsigned cpu)
{
	volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)AREA_START;
	uint64_t words = AREA_SIZE / 8;

	(void)cpu;
	for (uint64_t seed = 1; seed <= 2; seed++) {
		for (uint64_t i = 0; i < words; i++)
			p[i] = (AREA_START + i * 8) * 0x9e3779b97f4a7c15ull ^ seed;
		for (uint64_t i = 0; i < words; i++)
			if (p[i] != ((AREA_START + i * 8) * 0x9e3779b97f4a7c15ull ^ seed))
				guest_fail("memory did not keep what was written");
	}
	guest_printf("%llu MiB written and checked twice\n", (unsigned long long)(AREA_SIZE >> 20));
	guest_pass();
}
