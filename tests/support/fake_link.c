/* SPDX-License-Identifier: Apache-2.0 */
/**
 * Channels of the engine harness over a socketpair: a plain one, and one
 * that fails as told at a chosen channel event (each send or receive of a
 * record's header or payload), so every fault hits every point of the
 * protocol.
 */
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "mig/record.h"
#include "tests/support/fake_vm.h"

static int sock_send(void *ctx, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = send(*(int *)ctx, p, len, MSG_NOSIGNAL);

		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int sock_wait(void *ctx, unsigned timeout_ms)
{
	struct pollfd pfd = { .fd = *(int *)ctx, .events = POLLIN };
	int n = poll(&pfd, 1, (int)timeout_ms);

	if (n < 0)
		return -1;
	return n > 0;
}

static int sock_recv(void *ctx, void *buf, size_t len, unsigned timeout_ms)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n;

		if (sock_wait(ctx, timeout_ms) == 0)
			return MIG_CHAN_TIMEOUT;
		n = recv(*(int *)ctx, p, len, 0);
		if (n <= 0)
			return MIG_CHAN_BROKEN;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

const struct mig_channel_ops sock_channel_ops = {
	.send = sock_send,
	.recv = sock_recv,
	.wait = sock_wait,
};

const char *fake_fault_name(enum fake_fault f)
{
	static const char *const names[] = { "none",	       "cut",	      "stall",
					     "corrupt",	       "source-dies", "dest-dies",
					     "vm-started-lost" };

	return names[f];
}

bool fake_fault_on_dest_side(enum fake_fault f)
{
	return f == FAULT_DEST_DIES || f == FAULT_VM_STARTED_LOST;
}

/** Counts the event; true when the fault strikes now. */
static bool strikes(struct faulty_link *l)
{
	int event = l->events++;

	if (l->fault_after_ns) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		if ((uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec < l->fault_after_ns)
			return false;
		l->fault_after_ns = 0;
		l->fault_at = event;
	}
	return l->kind != FAULT_NONE && l->kind != FAULT_VM_STARTED_LOST && event == l->fault_at;
}

static void cut(struct faulty_link *l)
{
	l->broken = true;
	shutdown(l->fd, SHUT_RDWR);
}

static int faulty_send(void *ctx, const void *buf, size_t len)
{
	struct faulty_link *l = ctx;
	uint8_t flipped[MIG_RECORD_HEADER_SIZE];

	if (l->broken)
		return -1;
	if (l->rate)
		usleep((useconds_t)(len * 1000000u / l->rate));
	if (l->kind == FAULT_VM_STARTED_LOST) {
		size_t at = mig_record_find(buf, len, MIG_REC_VM_STARTED);

		if (at < len) { /* what came before it goes out (PONG, in one flight) */
			if (at && sock_send(&l->fd, buf, at))
				return -1;
			cut(l); /* the VM runs here, the source never hears of it */
			return 0;
		}
	}
	if (strikes(l)) {
		switch (l->kind) {
		case FAULT_STALL:
			l->stalled = true;
			break;
		case FAULT_CORRUPT:
			/* A header, or the start of a payload: what a parser sees first. */
			memcpy(flipped, buf, len < sizeof(flipped) ? len : sizeof(flipped));
			flipped[0] ^= 0x5a;
			if (sock_send(&l->fd, flipped,
				      len < sizeof(flipped) ? len : sizeof(flipped)))
				return -1;
			return len > sizeof(flipped)
				       ? sock_send(&l->fd, (const uint8_t *)buf + sizeof(flipped),
						   len - sizeof(flipped))
				       : 0;
		default:
			cut(l);
			return -1;
		}
	}
	if (l->stalled)
		return 0; /* swallowed: the peer hears nothing */
	if (sock_send(&l->fd, buf, len))
		return -1;
	l->sent += len;
	return 0;
}

static int faulty_wait(void *ctx, unsigned timeout_ms)
{
	struct faulty_link *l = ctx;

	if (l->broken)
		return -1;
	if (l->stalled) {
		usleep(timeout_ms * 1000u);
		return 0;
	}
	if (l->fault_after_ns && strikes(l)) { /* a wait strikes by time only */
		if (l->kind == FAULT_STALL) {
			l->stalled = true;
			return 0;
		}
		cut(l);
		return -1;
	}
	return sock_wait(&l->fd, timeout_ms);
}

static int faulty_recv(void *ctx, void *buf, size_t len, unsigned timeout_ms)
{
	struct faulty_link *l = ctx;
	int err;

	if (l->broken)
		return MIG_CHAN_BROKEN;
	if (strikes(l)) {
		switch (l->kind) {
		case FAULT_STALL:
			l->stalled = true;
			break;
		case FAULT_CORRUPT:
			err = sock_recv(&l->fd, buf, len, timeout_ms);
			((uint8_t *)buf)[0] ^= 0x5a;
			return err;
		default:
			cut(l);
			return MIG_CHAN_BROKEN;
		}
	}
	if (l->stalled) {
		usleep(timeout_ms * 1000u);
		return MIG_CHAN_TIMEOUT;
	}
	err = sock_recv(&l->fd, buf, len, timeout_ms);
	if (!err && l->record)
		fwrite(buf, 1, len, l->record);
	return err;
}

const struct mig_channel_ops faulty_channel_ops = {
	.send = faulty_send,
	.recv = faulty_recv,
	.wait = faulty_wait,
};
