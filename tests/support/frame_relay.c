/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The emulated Ethernet between two boards, with faults: listens on two
 * unix sockets that the boards' QEMUs connect to (-netdev stream), and
 * forwards their frames (each a 4-byte big-endian length and the frame)
 * both ways. Faults (N counts TCP payload bytes either way):
 *
 *   --flip N       flips a byte of the first TCP payload after N bytes,
 *                  fixing the TCP checksum: only TLS can notice
 *   --cut N        after N bytes nothing passes any more, either way
 *   --plaintext    every TCP payload byte from the first board becomes 'P'
 *                  (checksum fixed): it speaks plaintext as far as its peer
 *                  can tell
 *   --blackout N MS  after N bytes nothing passes for MS milliseconds, then
 *                  the wire works again (a link that comes back)
 *   --partition MS on SIGUSR1 nothing passes for MS milliseconds (a test
 *                  starts it when a board reaches a given step)
 *
 * With --rejoin (last) a board that left may come back on its socket (a
 * board restarted); what the other sends meanwhile is dropped. Without,
 * the relay ends with the first board gone.
 *
 *     frame_relay SOCK_A SOCK_B [fault] [--rejoin]
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

enum fault { NONE, FLIP, CUT, PLAINTEXT, BLACKOUT, PARTITION };

static volatile sig_atomic_t partition_asked;

static void ask_partition(int sig)
{
	(void)sig;
	partition_asked = 1;
}

/*
 * What crossed, for a test that failed: a silent board, or a lost wire.
 * Told when a board leaves, and on SIGTERM from its handler, which ends
 * the relay at once wherever it was (a read, a write, poll): only
 * async-signal-safe calls there, the counts formatted by hand.
 */
static volatile unsigned long long frames_from[2], opening_from[2];

static char *put_u64(char *p, unsigned long long v)
{
	char digits[20];
	int n = 0;

	do
		digits[n++] = (char)('0' + v % 10);
	while ((v /= 10) && n < 20);
	while (n)
		*p++ = digits[--n];
	return p;
}

static void tell_counts(void)
{
	static const char *const part[] = { "frame_relay: frames from board 0: ", " (",
					    " opening a connection), from board 1: ", " (", ")\n" };
	unsigned long long v[] = { frames_from[0], opening_from[0], frames_from[1],
				   opening_from[1] };
	char line[160], *p = line;

	for (int i = 0; i < 5; i++) {
		for (const char *c = part[i]; *c; c++)
			*p++ = *c;
		if (i < 4)
			p = put_u64(p, v[i]);
	}
	if (write(2, line, (size_t)(p - line)) < 0)
		return; /* nowhere to say it */
}

static void on_term(int sig)
{
	(void)sig;
	tell_counts();
	_exit(0);
}

/** Sets *until to now + ms. */
static void dark_for(struct timespec *until, unsigned long long ms)
{
	clock_gettime(CLOCK_MONOTONIC, until);
	until->tv_sec += (time_t)(ms / 1000);
	until->tv_nsec += (long)(ms % 1000) * 1000000;
	if (until->tv_nsec >= 1000000000)
		until->tv_sec++, until->tv_nsec -= 1000000000;
}

static bool still_dark(const struct timespec *until)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec < until->tv_sec ||
	       (now.tv_sec == until->tv_sec && now.tv_nsec < until->tv_nsec);
}

static int listen_on(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	/* Cut short, two paths could become one: refuse rather than bind elsewhere. */
	if (strlen(path) >= sizeof(a.sun_path)) {
		fprintf(stderr, "frame_relay: %s: %zu bytes, a unix socket's path is at most %zu\n",
			path, strlen(path), sizeof(a.sun_path) - 1);
		exit(2);
	}
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	unlink(path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 1)) {
		perror(path);
		exit(2);
	}
	return fd;
}

static bool read_all(int fd, uint8_t *p, size_t n)
{
	while (n) {
		ssize_t r = read(fd, p, n);

		if (r <= 0)
			return false;
		p += r;
		n -= (size_t)r;
	}
	return true;
}

static bool write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t r = write(fd, p, n);

		if (r <= 0)
			return false;
		p += r;
		n -= (size_t)r;
	}
	return true;
}

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t sum)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)(p[n - 1] << 8);
	return sum;
}

/** The TCP payload of an IPv4 frame, or NULL; *tcp and *tcp_len for the checksum. */
static uint8_t *tcp_payload(uint8_t *f, size_t len, size_t *plen, uint8_t **tcp, size_t *tcp_len)
{
	size_t ihl, doff, ip_len;

	if (len < 14 + 20 || f[12] != 0x08 || f[13] != 0x00 || f[14 + 9] != 6)
		return NULL;
	ihl = (size_t)(f[14] & 15) * 4;
	ip_len = (size_t)(f[16] << 8 | f[17]);
	if (ip_len > len - 14 || ihl + 20 > ip_len)
		return NULL;
	*tcp = f + 14 + ihl;
	*tcp_len = ip_len - ihl;
	doff = (size_t)((*tcp)[12] >> 4) * 4;
	if (doff > *tcp_len)
		return NULL;
	*plen = *tcp_len - doff;
	return *plen ? *tcp + doff : NULL;
}

/** Whether an Ethernet frame opens a TCP connection (SYN without ACK, RFC 9293 3.5). */
static bool opens_connection(const uint8_t *f, size_t len)
{
	size_t ihl;

	if (len < 14 + 20 || f[12] != 0x08 || f[13] != 0x00 || f[14 + 9] != 6)
		return false;
	ihl = (size_t)(f[14] & 15) * 4;
	if (len < 14 + ihl + 14)
		return false;
	return (f[14 + ihl + 13] & 0x12) == 0x02;
}

static void fix_tcp_checksum(uint8_t *f, uint8_t *tcp, size_t tcp_len)
{
	uint32_t sum = 0;

	tcp[16] = tcp[17] = 0;
	sum = sum16(f + 14 + 12, 8, sum); /* source and destination addresses */
	sum += 6 + (uint32_t)tcp_len;
	sum = sum16(tcp, tcp_len, sum);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	tcp[16] = (uint8_t)(~sum >> 8);
	tcp[17] = (uint8_t)~sum;
}

int main(int argc, char **argv)
{
	enum fault fault = NONE;
	unsigned long long after = 0, payload_seen = 0, blackout_ms = 0;
	struct timespec dark_until = { 0, 0 };
	bool after_dark = false; /* light came back; no connection opened since */
	bool flipped = false, rejoin = argc > 3 && !strcmp(argv[argc - 1], "--rejoin");
	int lfd[2], fd[2];
	static uint8_t frame[65536 + 4];

	if (rejoin)
		argc--;
	if (argc < 3) {
		fprintf(stderr,
			"usage: frame_relay SOCK_A SOCK_B [--flip N | --cut N | --plaintext | "
			"--blackout N MS | --partition MS] [--rejoin]\n");
		return 2;
	}
	if (argc >= 5 && !strcmp(argv[3], "--flip"))
		fault = FLIP, after = strtoull(argv[4], NULL, 0);
	else if (argc >= 5 && !strcmp(argv[3], "--cut"))
		fault = CUT, after = strtoull(argv[4], NULL, 0);
	else if (argc >= 4 && !strcmp(argv[3], "--plaintext"))
		fault = PLAINTEXT;
	else if (argc >= 6 && !strcmp(argv[3], "--blackout"))
		fault = BLACKOUT, after = strtoull(argv[4], NULL, 0),
		blackout_ms = strtoull(argv[5], NULL, 0);
	else if (argc >= 5 && !strcmp(argv[3], "--partition"))
		fault = PARTITION, blackout_ms = strtoull(argv[4], NULL, 0);
	signal(SIGPIPE, SIG_IGN);
	{
		/* No SA_RESTART: the signal wakes poll(). */
		struct sigaction sa = { .sa_handler = ask_partition };

		sigaction(SIGUSR1, &sa, NULL);
		sa.sa_handler = on_term;
		sigaction(SIGTERM, &sa, NULL);
	}
	lfd[0] = listen_on(argv[1]);
	lfd[1] = listen_on(argv[2]);
	fd[0] = accept(lfd[0], NULL, NULL);
	fd[1] = accept(lfd[1], NULL, NULL);
	if (fd[0] < 0 || fd[1] < 0)
		return 2;
	for (;;) {
		/* A board that left (--rejoin): its socket waits for it to come back. */
		struct pollfd p[2] = { { .fd = fd[0] >= 0 ? fd[0] : lfd[0], .events = POLLIN },
				       { .fd = fd[1] >= 0 ? fd[1] : lfd[1], .events = POLLIN } };

		int ready = poll(p, 2, -1);

		if (ready < 0 && errno != EINTR)
			return 1;
		if (partition_asked && fault == PARTITION) {
			partition_asked = 0;
			dark_for(&dark_until, blackout_ms);
			fprintf(stderr, "frame_relay: partition for %llu ms\n", blackout_ms);
		}
		if (ready < 0)
			continue;
		for (int i = 0; i < 2; i++) {
			uint32_t len;
			size_t plen = 0, tcp_len = 0;
			uint8_t *payload, *tcp = NULL;

			if (!(p[i].revents & (POLLIN | POLLHUP)))
				continue;
			if (fd[i] < 0) {
				fd[i] = accept(lfd[i], NULL, NULL);
				fprintf(stderr, "frame_relay: board %d is back\n", i);
				continue;
			}
			if (!read_all(fd[i], frame, 4)) {
				if (!rejoin) {
					tell_counts();
					return 0; /* a board is gone: so is the wire */
				}
				close(fd[i]);
				fd[i] = -1;
				fprintf(stderr, "frame_relay: board %d left\n", i);
				continue;
			}
			len = (uint32_t)frame[0] << 24 | (uint32_t)frame[1] << 16 |
			      (uint32_t)frame[2] << 8 | frame[3];
			if (len > sizeof(frame) - 4 || !read_all(fd[i], frame + 4, len)) {
				if (!rejoin)
					return 1;
				close(fd[i]); /* killed within a frame */
				fd[i] = -1;
				fprintf(stderr, "frame_relay: board %d left\n", i);
				continue;
			}
			frames_from[i]++;
			opening_from[i] += opens_connection(frame + 4, len);
			payload = tcp_payload(frame + 4, len, &plen, &tcp, &tcp_len);
			if (payload) {
				if (fault == FLIP && !flipped && payload_seen >= after) {
					payload[plen / 2] ^= 0x20;
					fix_tcp_checksum(frame + 4, tcp, tcp_len);
					flipped = true;
					fprintf(stderr,
						"frame_relay: flipped a byte after %llu bytes\n",
						payload_seen);
				}
				if (fault == PLAINTEXT && i == 0) {
					memset(payload, 'P', plen);
					fix_tcp_checksum(frame + 4, tcp, tcp_len);
				}
				payload_seen += plen;
			}
			if (fault == BLACKOUT && payload_seen >= after && after) {
				dark_for(&dark_until, blackout_ms);
				fprintf(stderr,
					"frame_relay: blackout for %llu ms after %llu bytes\n",
					blackout_ms, payload_seen);
				after = 0;
			}
			if ((fault == BLACKOUT || fault == PARTITION) && dark_until.tv_sec) {
				struct timespec wall;

				if (still_dark(&dark_until))
					continue; /* dropped */
				/* On the wall clock QEMU stamps the boards' UART with
				 * (bench/reconnect.py). */
				clock_gettime(CLOCK_REALTIME, &wall);
				fprintf(stderr, "frame_relay: light again at %lld.%06ld\n",
					(long long)wall.tv_sec, wall.tv_nsec / 1000);
				dark_until = (struct timespec){ 0, 0 };
				after_dark = true;
			}
			if (after_dark && opens_connection(frame + 4, len)) {
				struct timespec wall;

				clock_gettime(CLOCK_REALTIME, &wall);
				fprintf(stderr,
					"frame_relay: first connection after the dark at "
					"%lld.%06ld\n",
					(long long)wall.tv_sec, wall.tv_nsec / 1000);
				after_dark = false;
			}
			if (fault == CUT && payload_seen >= after) {
				if (after) {
					fprintf(stderr, "frame_relay: link cut after %llu bytes\n",
						payload_seen);
					after = 0;
				}
				continue; /* nothing passes */
			}
			if (fd[1 - i] < 0)
				continue; /* nobody there: dropped */
			if (!write_all(fd[1 - i], frame, len + 4) && !rejoin)
				return 0;
		}
	}
}
