/* SPDX-License-Identifier: Apache-2.0 */
/**
 * `ferry lan`: the guests' LAN for emulated boards, one process: a
 * learning switch (lan_switch.h) whose ports are the boards' LAN devices,
 * QEMU `-netdev stream` clients of one unix socket (each frame a 4-byte
 * big-endian length and the frame), and the host's endpoint, a user-mode
 * TCP/IP stack (Debian's libslirp, as QEMU's `-netdev user`) at 10.0.2.2
 * that forwards host ports to the guest: tests and the demo talk to the
 * guest through 127.0.0.1 with plain sockets, without privileges or host
 * network setup. The guest is 10.0.2.15 (its own setting or slirp's DHCP);
 * what it opens itself leaves from the host's loopback address only.
 *
 *   ferry lan --socket PATH [--udp HOSTPORT:GUESTPORT]... [--tcp HOSTPORT:GUESTPORT]...
 *             [--json]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <slirp/libslirp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "tools/ferry/json_line.h"
#include "tools/ferry/commands.h"
#include "tools/ferry/lan_switch.h"
#include "tools/ferry/unix_path.h"

/* The host endpoint is port 0; boards take 1 on. */
#define HOST_PORT 0u
/* A frame as QEMU's stream netdev may send one (its NET_BUFSIZE is 68 KiB). */
#define FRAME_MAX 65536u
/* Bytes waiting for a board that reads slowly: a frame that does not fit is dropped. */
#define OUT_MAX	     (1u << 20)
#define TIMERS_MAX   16u
#define FORWARDS_MAX 16u
#define POLL_MAX     256u
/* The LAN's addresses, as QEMU's user network has them (docs/running-guests.md). */
#define HOST_IP	 "10.0.2.2"
#define GUEST_IP "10.0.2.15"

struct port {
	int fd;
	uint8_t in[4 + FRAME_MAX];
	size_t have;
	uint8_t *out;
	size_t out_len;
};

struct timer {
	SlirpTimerCb cb;
	void *opaque;
	int64_t expire_ms; /* -1: not armed */
	bool used;
};

static struct {
	struct lan_switch sw;
	struct port ports[LAN_PORTS_MAX];
	struct timer timers[TIMERS_MAX];
	Slirp *slirp;
	struct pollfd pfd[POLL_MAX];
	unsigned npfd;
	uint64_t dropped_out;
} lan;

static volatile sig_atomic_t quit;
/* --json: what the switch tells people on stderr, also as JSON lines on stdout. */
static bool as_json;

/* One JSON line: {"event": name, port or the switch's counters}. */
static void json_event(const char *name, int port, const char *socket)
{
	char buf[8192]; /* a socket's path is at most 107 bytes */
	struct json_out o;

	if (!as_json)
		return;
	json_line_begin(&o, buf, sizeof(buf));
	json_out_str(&o, "event", name);
	if (port >= 0)
		json_out_u64(&o, "port", (uint64_t)port);
	if (socket) {
		json_out_str(&o, "socket", socket);
		json_out_str(&o, "host", HOST_IP);
		json_out_str(&o, "guest", GUEST_IP);
	}
	if (!strcmp(name, "stopped")) {
		json_out_u64(&o, "frames-in", lan.sw.frames_in);
		json_out_u64(&o, "dropped", lan.sw.frames_dropped + lan.dropped_out);
		json_out_u64(&o, "stations-moved", lan.sw.moves);
	}
	json_line_print(&o);
}

static void on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void port_close(unsigned p)
{
	close(lan.ports[p].fd);
	free(lan.ports[p].out);
	lan.ports[p] = (struct port){ .fd = -1 };
	lan_switch_port(&lan.sw, p, false);
	fprintf(stderr, "lan: port %u left\n", p);
	json_event("port-left", (int)p, NULL);
}

/* A frame for a board: queued behind what it has not read yet, or dropped. */
static void port_send(unsigned p, const uint8_t *frame, size_t len)
{
	struct port *pt = &lan.ports[p];
	uint32_t be = htonl((uint32_t)len);

	if (pt->out_len + 4 + len > OUT_MAX) {
		lan.dropped_out++;
		return;
	}
	memcpy(pt->out + pt->out_len, &be, 4);
	memcpy(pt->out + pt->out_len + 4, frame, len);
	pt->out_len += 4 + len;
}

static void deliver(unsigned in, const uint8_t *frame, size_t len)
{
	uint32_t to = lan_switch_frame(&lan.sw, in, frame, len, (uint64_t)now_ns());

	for (unsigned p = 0; p < LAN_PORTS_MAX; p++) {
		if (!(to & (1u << p)))
			continue;
		if (p == HOST_PORT)
			slirp_input(lan.slirp, frame, (int)len);
		else
			port_send(p, frame, len);
	}
}

/* --- the host endpoint's callbacks (libslirp.h) ---------------------------- */

static ssize_t slirp_send(const void *buf, size_t len, void *opaque)
{
	(void)opaque;
	if (len <= FRAME_MAX)
		deliver(HOST_PORT, buf, len);
	return (ssize_t)len;
}

static void slirp_guest_error(const char *msg, void *opaque)
{
	(void)opaque;
	fprintf(stderr, "lan: host endpoint: %s\n", msg);
}

static int64_t slirp_clock(void *opaque)
{
	(void)opaque;
	return now_ns();
}

static void *slirp_timer_new(SlirpTimerCb cb, void *cb_opaque, void *opaque)
{
	(void)opaque;
	for (unsigned i = 0; i < TIMERS_MAX; i++)
		if (!lan.timers[i].used) {
			lan.timers[i] = (struct timer){ cb, cb_opaque, -1, true };
			return &lan.timers[i];
		}
	fprintf(stderr, "lan: host endpoint: out of timers\n");
	exit(1);
}

static void slirp_timer_free(void *timer, void *opaque)
{
	(void)opaque;
	((struct timer *)timer)->used = false;
}

static void slirp_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
	(void)opaque;
	((struct timer *)timer)->expire_ms = expire_ms;
}

static void slirp_fd_nothing(int fd, void *opaque) { (void)fd, (void)opaque; }
static void slirp_notify(void *opaque) { (void)opaque; }

static const SlirpCb callbacks = {
	.send_packet = slirp_send,
	.guest_error = slirp_guest_error,
	.clock_get_ns = slirp_clock,
	.timer_new = slirp_timer_new,
	.timer_free = slirp_timer_free,
	.timer_mod = slirp_timer_mod,
	.register_poll_fd = slirp_fd_nothing,
	.unregister_poll_fd = slirp_fd_nothing,
	.notify = slirp_notify,
};

static int slirp_add_poll(int fd, int events, void *opaque)
{
	short ev = (short)(((events & SLIRP_POLL_IN) ? POLLIN : 0) |
			   ((events & SLIRP_POLL_OUT) ? POLLOUT : 0) |
			   ((events & SLIRP_POLL_PRI) ? POLLPRI : 0));

	(void)opaque;
	if (lan.npfd == POLL_MAX)
		return -1;
	lan.pfd[lan.npfd] = (struct pollfd){ .fd = fd, .events = ev };
	return (int)lan.npfd++;
}

static int slirp_get_revents(int idx, void *opaque)
{
	short re;

	(void)opaque;
	if (idx < 0 || (unsigned)idx >= lan.npfd)
		return 0;
	re = lan.pfd[idx].revents;
	return ((re & POLLIN) ? SLIRP_POLL_IN : 0) | ((re & POLLOUT) ? SLIRP_POLL_OUT : 0) |
	       ((re & POLLPRI) ? SLIRP_POLL_PRI : 0) | ((re & POLLERR) ? SLIRP_POLL_ERR : 0) |
	       ((re & POLLHUP) ? SLIRP_POLL_HUP : 0);
}

static Slirp *host_endpoint(void)
{
	/*
	 * Restricted mode would drop the guest's answers to the forwards; the
	 * guest's own connections leave from the host's loopback address
	 * instead, so they reach the host's local services and nothing beyond.
	 */
	static struct sockaddr_in loopback_only = { .sin_family = AF_INET };
	SlirpConfig cfg = {
		.version = 4,
		.outbound_addr = &loopback_only,
		.in_enabled = true,
		.if_mtu = 1500,
		.if_mru = 1500,
		.disable_dns = true,
	};

	loopback_only.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	inet_pton(AF_INET, "10.0.2.0", &cfg.vnetwork);
	inet_pton(AF_INET, "255.255.255.0", &cfg.vnetmask);
	inet_pton(AF_INET, HOST_IP, &cfg.vhost);
	inet_pton(AF_INET, GUEST_IP, &cfg.vdhcp_start);
	inet_pton(AF_INET, "10.0.2.3", &cfg.vnameserver);
	return slirp_new(&cfg, &callbacks, NULL);
}

/* --- boards' ports ------------------------------------------------------------ */

static void port_accept(int listener)
{
	int fd = accept(listener, NULL, NULL);

	if (fd < 0)
		return;
	for (unsigned p = 1; p < LAN_PORTS_MAX; p++)
		if (lan.ports[p].fd < 0) {
			lan.ports[p] = (struct port){ .fd = fd, .out = malloc(OUT_MAX) };
			if (!lan.ports[p].out) {
				close(fd);
				lan.ports[p].fd = -1;
				return;
			}
			fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
			lan_switch_port(&lan.sw, p, true);
			fprintf(stderr, "lan: port %u joined\n", p);
			json_event("port-joined", (int)p, NULL);
			return;
		}
	fprintf(stderr, "lan: no port left for another board\n");
	close(fd);
}

/* What a board sent: whole frames go on; a length over FRAME_MAX is no stream of frames. */
static void port_read(unsigned p)
{
	struct port *pt = &lan.ports[p];
	ssize_t n = read(pt->fd, pt->in + pt->have, sizeof(pt->in) - pt->have);

	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		port_close(p);
		return;
	}
	if (n < 0)
		return;
	pt->have += (size_t)n;
	while (pt->have >= 4) {
		uint32_t len;

		memcpy(&len, pt->in, 4);
		len = ntohl(len);
		if (len > FRAME_MAX) {
			fprintf(stderr, "lan: port %u sent a frame of %u bytes: closed\n", p, len);
			port_close(p);
			return;
		}
		if (pt->have < 4 + len)
			break;
		deliver(p, pt->in + 4, len);
		memmove(pt->in, pt->in + 4 + len, pt->have - 4 - len);
		pt->have -= 4 + len;
	}
}

static void port_write(unsigned p)
{
	struct port *pt = &lan.ports[p];
	ssize_t n = write(pt->fd, pt->out, pt->out_len);

	if (n < 0 && errno != EAGAIN && errno != EINTR) {
		port_close(p);
		return;
	}
	if (n > 0) {
		memmove(pt->out, pt->out + n, pt->out_len - (size_t)n);
		pt->out_len -= (size_t)n;
	}
}

static int listen_on(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char err[256];
	int fd;

	if (!unix_path_fits("the LAN's socket", path, err, sizeof(err))) {
		fprintf(stderr, "ferry lan: %s\n", err);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 8)) {
		fprintf(stderr, "ferry lan: cannot listen on %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* HOSTPORT:GUESTPORT, both 1-65535. */
static bool parse_forward(const char *arg, int *host, int *guest)
{
	char *end;
	long h = strtol(arg, &end, 10), g;

	if (end == arg || *end != ':')
		return false;
	arg = end + 1;
	g = strtol(arg, &end, 10);
	if (end == arg || *end || h < 1 || h > 65535 || g < 1 || g > 65535)
		return false;
	*host = (int)h;
	*guest = (int)g;
	return true;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: ferry lan --socket PATH [--udp HOSTPORT:GUESTPORT]... "
		"[--tcp HOSTPORT:GUESTPORT]... [--json]\n"
		"  The guests' LAN: boards join with 'ferry run --lan PATH'. The host is\n"
		"  " HOST_IP " on it, the guest " GUEST_IP "; --udp and --tcp forward\n"
		"  127.0.0.1:HOSTPORT to the guest's GUESTPORT (at most %u). It runs until\n"
		"  SIGINT or SIGTERM, then says how many frames it carried and dropped.\n"
		"  --json: boards joining and leaving, readiness and the counts as JSON\n"
		"  lines on stdout.\n",
		FORWARDS_MAX);
}

/* The next slirp timer due, in ms from now (at most `cap`). */
static uint32_t next_timer_ms(uint32_t cap)
{
	int64_t now = now_ns() / 1000000;

	for (unsigned i = 0; i < TIMERS_MAX; i++) {
		const struct timer *t = &lan.timers[i];

		if (t->used && t->expire_ms >= 0)
			cap = t->expire_ms <= now ? 0
			      : (uint64_t)(t->expire_ms - now) < cap
				      ? (uint32_t)(t->expire_ms - now)
				      : cap;
	}
	return cap;
}

static void run_timers(void)
{
	int64_t now = now_ns() / 1000000;

	for (unsigned i = 0; i < TIMERS_MAX; i++) {
		struct timer *t = &lan.timers[i];

		if (t->used && t->expire_ms >= 0 && t->expire_ms <= now) {
			t->expire_ms = -1;
			t->cb(t->opaque);
		}
	}
}

int cmd_lan(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' }, { "udp", required_argument, NULL, 'u' },
		{ "tcp", required_argument, NULL, 't' },    { "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },	    { NULL, 0, NULL, 0 }
	};
	struct {
		int udp, host, guest;
	} fwd[FORWARDS_MAX];
	unsigned nfwd = 0;
	const char *path = NULL;
	struct in_addr loopback, guest_ip;
	int c, listener;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 's') {
			path = optarg;
		} else if (c == 'j') {
			as_json = true;
		} else if (c == 'h') {
			usage(stdout);
			return 0;
		} else if ((c == 'u' || c == 't') && nfwd == FORWARDS_MAX) {
			fprintf(stderr, "ferry lan: at most %u forwards\n", FORWARDS_MAX);
			return 2;
		} else if (c == 'u' || c == 't') {
			fwd[nfwd].udp = c == 'u';
			if (!parse_forward(optarg, &fwd[nfwd].host, &fwd[nfwd].guest)) {
				fprintf(stderr,
					"ferry lan: bad forward '%s' (HOSTPORT:GUESTPORT)\n",
					optarg);
				return 2;
			}
			nfwd++;
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (!path || optind != argc) {
		usage(stderr);
		return 2;
	}
	lan_switch_init(&lan.sw);
	for (unsigned p = 0; p < LAN_PORTS_MAX; p++)
		lan.ports[p].fd = -1;
	lan.slirp = host_endpoint();
	if (!lan.slirp) {
		fprintf(stderr, "ferry lan: the host endpoint did not start\n");
		return 1;
	}
	lan_switch_port(&lan.sw, HOST_PORT, true);
	inet_pton(AF_INET, "127.0.0.1", &loopback);
	inet_pton(AF_INET, GUEST_IP, &guest_ip);
	for (unsigned i = 0; i < nfwd; i++)
		if (slirp_add_hostfwd(lan.slirp, fwd[i].udp, loopback, fwd[i].host, guest_ip,
				      fwd[i].guest)) {
			fprintf(stderr, "ferry lan: cannot forward %s 127.0.0.1:%d (in use?)\n",
				fwd[i].udp ? "udp" : "tcp", fwd[i].host);
			return 1;
		}
	listener = listen_on(path);
	if (listener < 0)
		return 1;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	fprintf(stderr, "lan: boards join at %s; host endpoint " HOST_IP ", guest " GUEST_IP "\n",
		path);
	json_event("ready", -1, path);
	while (!quit) {
		uint32_t timeout = next_timer_ms(100);
		unsigned at[LAN_PORTS_MAX];
		int rc;

		lan.npfd = 0;
		lan.pfd[lan.npfd++] = (struct pollfd){ .fd = listener, .events = POLLIN };
		for (unsigned p = 1; p < LAN_PORTS_MAX; p++) {
			at[p] = lan.npfd;
			if (lan.ports[p].fd >= 0)
				lan.pfd[lan.npfd++] = (struct pollfd){
					.fd = lan.ports[p].fd,
					.events = (short)(POLLIN |
							  (lan.ports[p].out_len ? POLLOUT : 0))
				};
		}
		slirp_pollfds_fill(lan.slirp, &timeout, slirp_add_poll, NULL);
		rc = poll(lan.pfd, lan.npfd, (int)timeout);
		if (rc < 0 && errno != EINTR)
			break;
		slirp_pollfds_poll(lan.slirp, rc < 0, slirp_get_revents, NULL);
		run_timers();
		if (rc <= 0)
			continue;
		if (lan.pfd[0].revents & POLLIN)
			port_accept(listener);
		for (unsigned p = 1; p < LAN_PORTS_MAX; p++) {
			short re;

			if (lan.ports[p].fd < 0 || at[p] >= lan.npfd ||
			    lan.pfd[at[p]].fd != lan.ports[p].fd)
				continue;
			re = lan.pfd[at[p]].revents;
			if (re & (POLLIN | POLLHUP | POLLERR))
				port_read(p);
			if (lan.ports[p].fd >= 0 && (re & POLLOUT))
				port_write(p);
		}
		/* What the frames just read sent on goes now, not after another poll. */
		for (unsigned p = 1; p < LAN_PORTS_MAX; p++)
			if (lan.ports[p].fd >= 0 && lan.ports[p].out_len)
				port_write(p);
	}
	fprintf(stderr, "lan: %llu frames in, %llu dropped, %llu stations moved\n",
		(unsigned long long)lan.sw.frames_in,
		(unsigned long long)(lan.sw.frames_dropped + lan.dropped_out),
		(unsigned long long)lan.sw.moves);
	json_event("stopped", -1, NULL);
	unlink(path);
	slirp_cleanup(lan.slirp);
	return 0;
}
