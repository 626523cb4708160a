/* SPDX-License-Identifier: Apache-2.0 */
/** The demo's UDP flow, see udp_flow.h. */
#include "tools/ferry/udp_flow.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000u + (uint64_t)t.tv_nsec / 1000u;
}

static void *send_loop(void *arg)
{
	struct udp_flow *f = arg;
	uint64_t next = now_us();

	while (!f->stop && f->sent < UDP_FLOW_MAX) {
		char msg[32];
		int len = snprintf(msg, sizeof(msg), "seq %08u", (unsigned)f->sent);
		uint64_t now;

		if (send(f->fd, msg, (size_t)len, 0) == len)
			f->sent++;
		next += 1000;
		now = now_us();
		if (next > now)
			usleep((useconds_t)(next - now));
	}
	return NULL;
}

static void *receive_loop(void *arg)
{
	struct udp_flow *f = arg;
	char buf[64];

	while (!f->stop_rx) {
		ssize_t n = recv(f->fd, buf, sizeof(buf) - 1, 0);
		unsigned long seq;
		uint64_t now;

		if (n <= 0)
			continue; /* its timeout, or the forward not there yet: look at stop_rx */
		buf[n] = 0;
		if (sscanf(buf, "seq %lu", &seq) != 1 || seq >= UDP_FLOW_MAX)
			continue;
		if (f->answers[seq] < 255)
			f->answers[seq]++;
		now = now_us();
		if (f->last_answer_us && now - f->last_answer_us > f->longest_gap_us)
			f->longest_gap_us = now - f->last_answer_us;
		f->last_answer_us = now;
	}
	return NULL;
}

bool udp_flow_start(struct udp_flow *f, int port, char *err, size_t n)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	struct timeval tick = { .tv_usec = 100000 };

	memset(f, 0, sizeof(*f));
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	f->answers = calloc(UDP_FLOW_MAX, 1);
	f->fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (!f->answers || f->fd < 0 ||
	    setsockopt(f->fd, SOL_SOCKET, SO_RCVTIMEO, &tick, sizeof(tick)) != 0 ||
	    connect(f->fd, (struct sockaddr *)&to, sizeof(to)) != 0) {
		snprintf(err, n, "cannot start the UDP flow: %s", strerror(errno));
		free(f->answers);
		if (f->fd >= 0)
			close(f->fd);
		return false;
	}
	pthread_create(&f->receiver, NULL, receive_loop, f);
	pthread_create(&f->sender, NULL, send_loop, f);
	return true;
}

void udp_flow_stop(struct udp_flow *f, unsigned drain_ms, struct udp_flow_result *r)
{
	f->stop = true;
	pthread_join(f->sender, NULL);
	usleep(drain_ms * 1000u);
	f->stop_rx = true;
	pthread_join(f->receiver, NULL);
	close(f->fd);
	*r = (struct udp_flow_result){ .sent = f->sent, .longest_gap_us = f->longest_gap_us };
	for (uint32_t i = 0; i < f->sent; i++) {
		r->lost += f->answers[i] == 0;
		r->answered_once += f->answers[i] == 1;
		r->twice += f->answers[i] > 1;
	}
	free(f->answers);
}
