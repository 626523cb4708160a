/* SPDX-License-Identifier: Apache-2.0 */
/**
 * A UDP echo on port 7 for the Linux test guest (the test initramfs has
 * busybox, whose nc speaks no UDP): every datagram goes back to its
 * sender, once, as it came. A Linux program without a C library, built
 * with the board's cross compiler: its own entry point and Linux's system
 * calls (linux_sys.h).
 */
#include <stdint.h>

#include "tests/guests/linux/linux_sys.h"

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
