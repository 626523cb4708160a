/* SPDX-License-Identifier: Apache-2.0 */
/** The link's byte stream over a host socket, see socket_io.h. */
#include "link/socket_io.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>

static int sock_send(void *ctx, const uint8_t *buf, size_t len)
{
	ssize_t n = send(*(int *)ctx, buf, len, MSG_NOSIGNAL);

	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
	return (int)n;
}

static int sock_recv(void *ctx, uint8_t *buf, size_t len)
{
	ssize_t n = recv(*(int *)ctx, buf, len, 0);

	if (n == 0)
		return -1;
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
	return (int)n;
}

static void sock_pump(void *ctx, unsigned timeout_ms, bool writing)
{
	struct pollfd pfd = { .fd = *(int *)ctx, .events = writing ? POLLOUT : POLLIN };

	poll(&pfd, 1, (int)timeout_ms);
}

static uint64_t sock_now_ms(void *ctx)
{
	struct timespec ts;

	(void)ctx;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static const struct link_io_ops socket_ops = { sock_send, sock_recv, sock_pump, sock_now_ms };

struct link_io link_socket_io(int *fd)
{
	fcntl(*fd, F_SETFL, fcntl(*fd, F_GETFL) | O_NONBLOCK);
	return (struct link_io){ &socket_ops, fd };
}
