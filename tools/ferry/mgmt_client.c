/* SPDX-License-Identifier: Apache-2.0 */
/** The host end of the management channel, see mgmt_client.h. */
#include "tools/ferry/mgmt_client.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "tools/ferry/link_options.h"
#include "tools/ferry/unix_path.h"

/* How long a board may take, once reached, to answer the negotiation (it may still be booting). */
#define NEGOTIATE_MS 20000u

static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static const char *token_file; /**< mgmt_client_use_token's, else FERRY_MGMT_TOKEN_FILE */
/* One board's own token file (mgmt_client_token_for), before the default. */
#define TOKENS_MAX 4
static struct {
	const char *socket, *file;
} tokens[TOKENS_MAX];
static unsigned tokens_count;

void mgmt_client_use_token(const char *path) { token_file = path; }

bool mgmt_client_token_for(const char *socket, const char *file)
{
	if (tokens_count == TOKENS_MAX)
		return false;
	tokens[tokens_count].socket = socket;
	tokens[tokens_count++].file = file;
	return true;
}

/**
 * The token file for the board at socket: its own; else the default, but
 * not FERRY_MGMT_TOKEN_FILE's once any board has its own (that file may be
 * another board's: its token is not for this one); NULL: none.
 */
static const char *token_file_for(const char *socket)
{
	for (unsigned i = 0; i < tokens_count; i++)
		if (!strcmp(tokens[i].socket, socket))
			return tokens[i].file;
	if (token_file || tokens_count)
		return token_file;
	return getenv("FERRY_MGMT_TOKEN_FILE");
}

/*
 * QMP's capabilities negotiation (QMP specification, section 4), once the
 * board greeted: the board drops what a client sent before it saw the
 * client come (docs/management.md). A board whose channel cannot tell a
 * client came (no MULTIPORT) never greets: after the wait the tool
 * negotiates anyway, and that board answers that it is in command mode
 * already, which is no failure. The management token goes only to a board
 * that asks for it.
 */
static bool negotiate(struct mgmt_client *c, const char *socket, unsigned timeout_ms, char *err,
		      size_t n)
{
	const char *file = token_file_for(socket);
	char command[192], token[MGMT_TOKEN_HEX + 1];
	long long give_up = now_ms() + timeout_ms;

	while (!c->greeted && now_ms() < give_up) {
		int got = mgmt_client_next(c, 100, err, n);

		if (got < 0)
			return false;
		if (got > 0)
			break; /* a line before any greeting: a board in command mode */
	}
	if (mgmt_client_command(c, "{\"execute\":\"qmp_capabilities\"}", (int)timeout_ms, NULL,
				NULL, err, n) ||
	    strstr(err, "negotiation is already complete"))
		return true;
	if (!strstr(err, "requires its management token"))
		return false;
	if (!file || !*file) {
		snprintf(err, n,
			 "the board requires its management token: name its file in "
			 "FERRY_MGMT_TOKEN_FILE (ferry creds made it: DIR/NAME/mgmt.token)");
		return false;
	}
	if (!mgmt_token_load(file, token, err, n))
		return false;
	snprintf(command, sizeof(command),
		 "{\"execute\":\"qmp_capabilities\",\"arguments\":{\"ferry-token\":\"%s\"}}",
		 token);
	return mgmt_client_command(c, command, (int)timeout_ms, NULL, NULL, err, n);
}

bool mgmt_client_open(struct mgmt_client *c, const char *path, unsigned timeout_ms, char *err,
		      size_t n)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	long long give_up = now_ms() + timeout_ms;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	if (!unix_path_fits("the management channel", path, err, n))
		return false;
	strcpy(addr.sun_path, path);
	for (;;) {
		c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (c->fd < 0) {
			snprintf(err, n, "socket: %s", strerror(errno));
			return false;
		}
		if (connect(c->fd, (struct sockaddr *)&addr, sizeof(addr)) == 0) {
			if (negotiate(c, path, timeout_ms + NEGOTIATE_MS, err, n))
				return true;
			mgmt_client_close(c);
			return false;
		}
		snprintf(err, n, "cannot reach the board's management channel %s: %s", path,
			 strerror(errno));
		close(c->fd);
		c->fd = -1;
		if (now_ms() >= give_up)
			return false;
		usleep(50000);
	}
}

void mgmt_client_close(struct mgmt_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

bool mgmt_client_send(struct mgmt_client *c, const char *json)
{
	size_t len = strlen(json), done = 0;

	while (done < len + 1) {
		const char *p = done < len ? json + done : "\n";
		size_t want = done < len ? len - done : 1;
		ssize_t w = send(c->fd, p, want, MSG_NOSIGNAL);

		if (w <= 0) {
			if (w < 0 && errno == EINTR)
				continue;
			return false;
		}
		done += (size_t)w;
	}
	return true;
}

/** Takes a whole line out of the buffer into c->line; false when none is complete. */
static bool take_line(struct mgmt_client *c)
{
	char *nl = memchr(c->buf, '\n', c->len);
	size_t n;

	if (!nl)
		return false;
	n = (size_t)(nl - c->buf);
	if (n >= sizeof(c->line))
		n = sizeof(c->line) - 1; /* longer than any answer: cut, then refused as JSON */
	memcpy(c->line, c->buf, n);
	c->line[n] = '\0';
	memmove(c->buf, nl + 1, c->len - (size_t)(nl + 1 - c->buf));
	c->len -= (size_t)(nl + 1 - c->buf);
	return true;
}

int mgmt_client_next(struct mgmt_client *c, int timeout_ms, char *err, size_t n)
{
	long long give_up = now_ms() + timeout_ms;

	for (;;) {
		struct pollfd p = { .fd = c->fd, .events = POLLIN };
		long long left;
		ssize_t r;

		if (take_line(c)) {
			size_t len = strlen(c->line);

			while (len && c->line[len - 1] == '\r')
				c->line[--len] = '\0';
			if (!len)
				continue;
			c->count = json_parse(c->line, len, c->toks, MGMT_CLIENT_TOKENS, err, n);
			if (c->count < 1) {
				char why[96];

				snprintf(why, sizeof(why), "%s", err);
				snprintf(err, n, "the board sent a line that is not JSON (%s)",
					 why);
				return -1;
			}
			if (json_get(c->line, c->toks, 0, "QMP") >= 0) {
				c->greeted = true; /* a board that saw us connect */
				continue;
			}
			return 1;
		}
		if (c->len == sizeof(c->buf)) {
			snprintf(err, n, "the board sent a line longer than %zu bytes",
				 sizeof(c->buf));
			return -1;
		}
		left = give_up - now_ms();
		if (left <= 0)
			return 0;
		if (poll(&p, 1, (int)left) < 0) {
			if (errno == EINTR)
				return 0; /* a signal: let the caller look */
			snprintf(err, n, "poll: %s", strerror(errno));
			return -1;
		}
		if (!(p.revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		r = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
		if (r < 0 && errno == EINTR)
			return 0;
		if (r <= 0) {
			snprintf(err, n, "the board closed its management channel");
			return -1;
		}
		c->len += (size_t)r;
	}
}

int mgmt_client_get(const struct mgmt_client *c, int obj, const char *key)
{
	if (c->count <= 0 || obj < 0)
		return -1;
	return json_get(c->line, c->toks, obj, key);
}

const char *mgmt_client_str(const struct mgmt_client *c, int obj, const char *key, char *out,
			    size_t size)
{
	int t = mgmt_client_get(c, obj, key);

	if (t < 0 || !json_get_string(c->line, &c->toks[t], out, size))
		out[0] = '\0';
	return out;
}

unsigned long long mgmt_client_u64(const struct mgmt_client *c, int obj, const char *key)
{
	int t = mgmt_client_get(c, obj, key);
	uint64_t v = 0;

	if (t < 0 || !json_get_uint(c->line, &c->toks[t], UINT64_MAX, &v))
		return 0;
	return v;
}

bool mgmt_client_command(struct mgmt_client *c, const char *json, int timeout_ms,
			 void (*on_event)(void *ctx, struct mgmt_client *c), void *ctx, char *err,
			 size_t n)
{
	long long give_up = now_ms() + timeout_ms;

	c->count = 0; /* the last line is this command's answer, or none */
	if (!mgmt_client_send(c, json)) {
		snprintf(err, n, "the board's management channel is closed");
		return false;
	}
	for (;;) {
		long long left = give_up - now_ms();
		int got = left > 0 ? mgmt_client_next(c, (int)left, err, n) : 0;
		int e;

		if (got == 0 && now_ms() < give_up)
			continue; /* a signal: the wait goes on */
		if (got == 0)
			snprintf(err, n, "no answer from the board within %d ms", timeout_ms);
		if (got <= 0)
			return false;
		if (mgmt_client_get(c, 0, "event") >= 0) {
			if (on_event)
				on_event(ctx, c);
			continue;
		}
		if (mgmt_client_get(c, 0, "return") >= 0)
			return true;
		e = mgmt_client_get(c, 0, "error");
		mgmt_client_str(c, e, "desc", err, n);
		if (!err[0])
			snprintf(err, n, "an answer without return or error");
		return false;
	}
}
