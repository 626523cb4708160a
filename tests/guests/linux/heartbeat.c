/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The Linux test guest's heartbeat (started by /init with ferry.beat on the
 * kernel command line): every 2 ms a line `hb NNNNNNNNN` with the guest's
 * own virtual time in µs, read from the generic timer's virtual counter
 * (CNTVCT_EL0, which Linux lets user space read: CNTKCTL_EL1.EL0VCTEN).
 * The same line as the bare-metal downtime guests print, so that
 * bench/downtime.py's method reads it: the UART's bytes stamped with wall
 * time by QEMU, the guest's clock standing still while the VM is stopped.
 * No C library: its own entry point and Linux's system calls (linux_sys.h).
 */
#include <stdint.h>

#include "tests/guests/linux/linux_sys.h"

#define PERIOD_NS 2000000L
/* Nine digits of µs: the line's length never changes. */
#define WRAP_US 1000000000ull

struct timespec64 {
	long sec;
	long nsec;
};

static uint64_t guest_us(void)
{
	uint64_t count, freq;

	__asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(count)::"memory");
	__asm__ volatile("mrs %0, cntfrq_el0" : "=r"(freq));
	return count / freq * 1000000u + count % freq * 1000000u / freq;
}

void _start(void);
void _start(void)
{
	static const struct timespec64 period = { 0, PERIOD_NS };
	char line[] = "hb 000000000\n";

	for (;;) {
		uint64_t us = guest_us() % WRAP_US;

		for (int i = 11; i >= 3; i--, us /= 10)
			line[i] = (char)('0' + us % 10);
		if (sys6(SYS_WRITE, 1, (long)line, sizeof(line) - 1, 0, 0, 0) < 0)
			say_and_exit("heartbeat: cannot write\n", 24, 1);
		sys6(SYS_NANOSLEEP, (long)&period, 0, 0, 0, 0, 0);
	}
}
