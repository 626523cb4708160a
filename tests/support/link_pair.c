/* SPDX-License-Identifier: Apache-2.0 */
/** Two TLS link ends on the host, see link_pair.h. */
#include "tests/support/link_pair.h"

#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "link/socket_io.h"

static bool read_text(const char *path, char *buf, size_t size, size_t *len)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return false;
	n = fread(buf, 1, size - 1, f);
	fclose(f);
	buf[n] = 0;
	if (len)
		*len = n;
	return true;
}

bool board_creds_load(const char *dir, const char *board, struct board_creds *bc, char *err,
		      size_t n)
{
	char path[512], conf[2048];
	size_t len;

	memset(bc, 0, sizeof(*bc));
	snprintf(path, sizeof(path), "%s/%s/link.conf", dir, board);
	if (!read_text(path, conf, sizeof(conf), &len)) {
		snprintf(err, n, "cannot read %s", path);
		return false;
	}
	if (!link_config_parse(conf, len, &bc->cfg, err, n))
		return false;
	if (bc->cfg.creds.auth == LINK_AUTH_CERT) {
		snprintf(path, sizeof(path), "%s/%s/ca.crt", dir, board);
		read_text(path, bc->ca, sizeof(bc->ca), NULL);
		snprintf(path, sizeof(path), "%s/%s/board.crt", dir, board);
		read_text(path, bc->cert, sizeof(bc->cert), NULL);
		snprintf(path, sizeof(path), "%s/%s/board.key", dir, board);
		read_text(path, bc->key, sizeof(bc->key), NULL);
		bc->cfg.creds.ca_pem = bc->ca;
		bc->cfg.creds.cert_pem = bc->cert;
		bc->cfg.creds.key_pem = bc->key;
	}
	return true;
}

struct end {
	struct board_creds *bc;
	int fd;
	bool server, plaintext, ok;
	size_t bytes;
	char error[160], suite[80];
};

#define TIMEOUT_MS 3000u

static uint32_t checksum(uint32_t sum, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sum = (sum ^ p[i]) * 16777619u; /* FNV-1a */
	return sum;
}

static void *run_end(void *arg)
{
	struct end *e = arg;
	struct link_io io = link_socket_io(&e->fd);
	struct link_tls *t;
	uint8_t buf[16384];
	uint32_t sum = 2166136261u, theirs;

	if (e->plaintext) {
		static const char hello[] = "HELLO FERRYMIG plaintext\n";

		e->ok = send(e->fd, hello, sizeof(hello), MSG_NOSIGNAL) > 0;
		usleep(300000);
		return NULL;
	}
	t = link_tls_open(&e->bc->cfg.creds, e->server, io, TIMEOUT_MS, e->error, sizeof(e->error));
	if (!t)
		return NULL;
	snprintf(e->suite, sizeof(e->suite), "%s", link_tls_suite(t));
	for (size_t done = 0; done < e->bytes;) {
		size_t n = e->bytes - done < sizeof(buf) ? e->bytes - done : sizeof(buf);

		if (e->server) {
			if (link_tls_recv(t, buf, n, TIMEOUT_MS))
				goto broken;
		} else {
			for (size_t i = 0; i < n; i++)
				buf[i] = (uint8_t)((done + i) * 7 + 3);
			if (link_tls_send(t, buf, n, TIMEOUT_MS))
				goto broken;
		}
		sum = checksum(sum, buf, n);
		done += n;
	}
	if (e->server) {
		if (link_tls_recv(t, &theirs, sizeof(theirs), TIMEOUT_MS))
			goto broken;
		if (theirs != sum) {
			snprintf(e->error, sizeof(e->error), "checksum mismatch");
			link_tls_close(t);
			return NULL;
		}
	} else if (link_tls_send(t, &sum, sizeof(sum), TIMEOUT_MS) ||
		   link_tls_recv(t, buf, 1, TIMEOUT_MS)) {
		goto broken; /* the server's one-byte confirmation */
	}
	if (e->server && link_tls_send(t, "k", 1, TIMEOUT_MS))
		goto broken;
	e->ok = true;
	link_tls_close(t);
	return NULL;
broken:
	snprintf(e->error, sizeof(e->error), "%s", link_tls_error(t));
	link_tls_close(t);
	return NULL;
}

struct relay {
	int a, b; /* client side, server side */
	enum relay_fault fault;
	size_t after;
};

/* Forwards both ways; from client to server it applies the fault. */
static void *run_relay(void *arg)
{
	struct relay *r = arg;
	size_t forwarded = 0;
	bool silent = false, flipped = false;
	uint8_t buf[4096];

	for (;;) {
		struct pollfd p[2] = { { .fd = r->a, .events = POLLIN },
				       { .fd = r->b, .events = POLLIN } };

		if (poll(p, 2, 5000) <= 0)
			break;
		for (int i = 0; i < 2; i++) {
			ssize_t n;

			if (!(p[i].revents & (POLLIN | POLLHUP)))
				continue;
			n = recv(p[i].fd, buf, sizeof(buf), 0);
			if (n <= 0)
				goto out;
			if (i == 0) {
				if (r->fault == RELAY_FLIP_BYTE && !flipped &&
				    forwarded + (size_t)n > r->after) {
					buf[r->after - forwarded] ^= 0x01;
					flipped = true;
				}
				if (r->fault == RELAY_GO_SILENT && forwarded + (size_t)n > r->after)
					silent = true;
				forwarded += (size_t)n;
			}
			if (!silent && send(i == 0 ? r->b : r->a, buf, (size_t)n, MSG_NOSIGNAL) < 0)
				goto out;
		}
	}
out:
	shutdown(r->a, SHUT_RDWR);
	shutdown(r->b, SHUT_RDWR);
	return NULL;
}

void link_pair_run(struct board_creds *s, struct board_creds *c, size_t bytes,
		   bool plaintext_client, enum relay_fault fault, size_t after,
		   struct link_pair_result *res)
{
	int client_side[2], server_side[2];
	struct end se = { .bc = s, .server = true, .bytes = bytes };
	struct end ce = { .bc = c, .plaintext = plaintext_client, .bytes = bytes };
	struct relay r = { .fault = fault, .after = after };
	pthread_t st, ct, rt;

	memset(res, 0, sizeof(*res));
	socketpair(AF_UNIX, SOCK_STREAM, 0, client_side);
	socketpair(AF_UNIX, SOCK_STREAM, 0, server_side);
	ce.fd = client_side[0];
	r.a = client_side[1];
	r.b = server_side[1];
	se.fd = server_side[0];
	pthread_create(&rt, NULL, run_relay, &r);
	pthread_create(&st, NULL, run_end, &se);
	pthread_create(&ct, NULL, run_end, &ce);
	pthread_join(ct, NULL);
	pthread_join(st, NULL);
	shutdown(client_side[0], SHUT_RDWR);
	shutdown(server_side[0], SHUT_RDWR);
	pthread_join(rt, NULL);
	for (int i = 0; i < 2; i++) {
		close(client_side[i]);
		close(server_side[i]);
	}
	res->server_ok = se.ok;
	res->client_ok = ce.ok;
	snprintf(res->server_error, sizeof(res->server_error), "%s", se.error);
	snprintf(res->client_error, sizeof(res->client_error), "%s", ce.error);
	snprintf(res->suite, sizeof(res->suite), "%s", se.suite);
	res->bytes = bytes;
}

void link_pair_scripted(struct board_creds *bc, bool server, const uint8_t *say, size_t len,
			struct link_pair_result *res, uint8_t *heard, size_t heard_size,
			size_t *heard_len)
{
	int fds[2];
	struct end e = { .bc = bc, .server = server };
	pthread_t t;
	uint8_t buf[4096];

	memset(res, 0, sizeof(*res));
	*heard_len = 0;
	socketpair(AF_UNIX, SOCK_STREAM, 0, fds);
	e.fd = fds[0];
	pthread_create(&t, NULL, run_end, &e);
	/* A client speaks first: its hello is read and set aside. */
	if (!server) {
		struct pollfd p = { .fd = fds[1], .events = POLLIN };

		if (poll(&p, 1, (int)TIMEOUT_MS) > 0)
			(void)!recv(fds[1], buf, sizeof(buf), 0);
	}
	(void)!send(fds[1], say, len, MSG_NOSIGNAL);
	for (;;) {
		struct pollfd p = { .fd = fds[1], .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, (int)TIMEOUT_MS) <= 0)
			break;
		n = recv(fds[1], buf, sizeof(buf), 0);
		if (n <= 0)
			break;
		for (ssize_t i = 0; i < n && *heard_len < heard_size; i++)
			heard[(*heard_len)++] = buf[i];
	}
	shutdown(fds[1], SHUT_RDWR);
	pthread_join(t, NULL);
	close(fds[0]);
	close(fds[1]);
	(server ? &res->server_ok : &res->client_ok)[0] = e.ok;
	snprintf(server ? res->server_error : res->client_error, sizeof(res->server_error), "%s",
		 e.error);
}
