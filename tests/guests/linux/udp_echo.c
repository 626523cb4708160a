/* SPDX-License-Identifier: Apache-2.0 */
/**
 * A UDP echo on port 7 for the Linux test guest (the test initramfs has
 * busybox, whose nc speaks no UDP): every datagram goes back to its
 * sender, once, as it came. A Linux program without a C library, built
 * with the board's cross compiler: its own entry point and Linux's arm64
 * system calls (svc #0, number in x8: include/uapi/asm-generic/unistd.h).
 */
#include <stdint.h>

#define SYS_WRITE      64
#define SYS_EXIT       93
#define SYS_SOCKET     198
#define SYS_BIND       200
#define SYS_SETSOCKOPT 208
#define SYS_SENDTO     206
#define SYS_RECVFROM   207

#define AF_INET	       2
#define SOCK_DGRAM     2
#define ECHO_PORT      7
#define SOL_SOCKET     1
#define SO_RCVBUFFORCE 33
/*
 * A guest that stands still for a while (its pages fetched one by one in
 * postcopy) takes the datagrams that came meanwhile late, not never: room
 * for some 4 s of the tests' one-a-millisecond flow (each queued datagram
 * costs about 1 KiB of the socket's budget besides its bytes).
 */
#define RCVBUF_BYTES (8 << 20)

struct sockaddr_in {
	uint16_t family;
	uint16_t port; /* network order */
	uint32_t addr;
	uint8_t zero[8];
};

static long sys6(long n, long a, long b, long c, long d, long e, long f)
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

static void say_and_exit(const char *msg, unsigned len, int code)
{
	sys6(SYS_WRITE, 2, (long)msg, len, 0, 0, 0);
	sys6(SYS_EXIT, code, 0, 0, 0, 0, 0);
	for (;;)
		;
}

void _start(void);
void _start(void)
{
	static uint8_t buf[65536];
	struct sockaddr_in me = { AF_INET, (uint16_t)(ECHO_PORT << 8), 0, { 0 } }, peer;
	long fd = sys6(SYS_SOCKET, AF_INET, SOCK_DGRAM, 0, 0, 0, 0);

	int rcvbuf = RCVBUF_BYTES;

	if (fd >= 0)
		sys6(SYS_SETSOCKOPT, fd, SOL_SOCKET, SO_RCVBUFFORCE, (long)&rcvbuf, sizeof(rcvbuf),
		     0);
	if (fd < 0 || sys6(SYS_BIND, fd, (long)&me, sizeof(me), 0, 0, 0) < 0)
		say_and_exit("udp_echo: cannot bind port 7\n", 29, 1);
	for (;;) {
		uint32_t peer_len = sizeof(peer);
		long n = sys6(SYS_RECVFROM, fd, (long)buf, sizeof(buf), 0, (long)&peer,
			      (long)&peer_len);

		if (n >= 0)
			sys6(SYS_SENDTO, fd, (long)buf, n, 0, (long)&peer, peer_len);
	}
}
