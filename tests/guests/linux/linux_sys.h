/* SPDX-License-Identifier: Apache-2.0 */
/**
 * Linux's arm64 system calls for the test initramfs's programs, which have
 * no C library: svc #0 with the call's number in x8 and its arguments in
 * x0-x5, the result in x0 (include/uapi/asm-generic/unistd.h).
 */
#ifndef FERRY_TESTS_GUESTS_LINUX_SYS_H
#define FERRY_TESTS_GUESTS_LINUX_SYS_H

#define SYS_WRITE      64
#define SYS_EXIT       93
#define SYS_NANOSLEEP  101
#define SYS_SOCKET     198
#define SYS_BIND       200
#define SYS_SETSOCKOPT 208
#define SYS_SENDTO     206
#define SYS_RECVFROM   207

static inline long sys6(long n, long a, long b, long c, long d, long e, long f)
{
	register long x8 __asm__("x8") = n;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	register long x3 __asm__("x3") = d;
	register long x4 __asm__("x4") = e;
	register long x5 __asm__("x5") = f;

	__asm__ volatile("svc #0"
			 : "+r"(x0)
			 : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
			 : "memory");
	return x0;
}

/* Writes MSG (LEN bytes) to standard error and ends the program with CODE. */
static inline void __attribute__((noreturn)) say_and_exit(const char *msg, unsigned len, int code)
{
	sys6(SYS_WRITE, 2, (long)msg, len, 0, 0, 0);
	sys6(SYS_EXIT, code, 0, 0, 0, 0, 0);
	for (;;)
		;
}

#endif
