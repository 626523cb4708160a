/* SPDX-License-Identifier: Apache-2.0 */
/** The smallest guest: runs at EL1 and sees every CPU it was promised. */
#include "tests/guests/rt/guest.h"

const char test_name[] = "hello";

void test_main(unsigned cpu)
{
	uint64_t el = (sysreg_read(CurrentEL) >> 2) & 3;

	(void)cpu;
	guest_printf("hello from EL%llu, %u CPU(s), MPIDR 0x%llx\n", (unsigned long long)el,
		     guest_cpu_count(), (unsigned long long)sysreg_read(mpidr_el1));
	if (el != 1)
		guest_fail("not at EL1");
	guest_pass();
}
