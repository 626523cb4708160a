/* SPDX-License-Identifier: Apache-2.0 */
/** The link's TCP connection on lwIP's raw API, see net.h. */
#include <stdlib.h>
#include <string.h>

#include "drivers/virtio_net.h"
#include "hyp/console.h"
#include "lib/format.h"
#include "link/net.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/tcp.h"

/*
 * Received chains, not yet read; each keeps its own (16-bit) length. A
 * chain that arrives is appended to the last one while their sum fits in
 * 16 bits, so any two neighbours hold more than 64 KiB and the ring holds
 * far more than the receive window: lwIP never sees it full. A refused
 * chain would make lwIP drop every segment after it until it offers that
 * chain again (from its timer, or the next segment's arrival), and the
 * sender waits for its retransmission timeout: the stall that many tiny
 * return-path records used to cause when each took a slot of its own.
 */
#define RX_CHAINS 128

struct link_tcp {
	struct tcp_pcb *pcb, *listener;
	struct pbuf *rx[RX_CHAINS];
	unsigned rx_head, rx_count;
	bool closed; /**< the peer closed or reset, or keepalive gave up */
	err_t error;
	unsigned refused; /**< connections the listener refused (said up to REFUSALS_TOLD) */
};

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct link_tcp *t = arg;

	(void)pcb;
	if (!p || err != ERR_OK) {
		t->closed = true;
		if (p)
			pbuf_free(p);
		return ERR_OK;
	}
	if (t->rx_count) {
		struct pbuf *last = t->rx[(t->rx_head + t->rx_count - 1) % RX_CHAINS];

		if ((uint32_t)last->tot_len + p->tot_len <= 0xffff) {
			pbuf_cat(last, p);
			return ERR_OK;
		}
	}
	if (t->rx_count == RX_CHAINS)
		return ERR_MEM; /* never with the window lwipopts.h sets; lwIP offers it again */
	t->rx[(t->rx_head + t->rx_count++) % RX_CHAINS] = p;
	return ERR_OK;
}

static void on_error(void *arg, err_t err)
{
	struct link_tcp *t = arg;

	t->pcb = NULL; /* lwIP freed it */
	t->closed = true;
	t->error = err;
}

static void adopt(struct link_tcp *t, struct tcp_pcb *pcb, const struct link_config *cfg)
{
	t->pcb = pcb;
	tcp_arg(pcb, t);
	tcp_recv(pcb, on_recv);
	tcp_err(pcb, on_error);
	tcp_nagle_disable(pcb); /* the return path's records are small and urgent */
	/*
	 * A vanished peer on an idle link: keepalive probes (RFC 1122 4.2.3.6).
	 * Every layer above times out on silence after liveness_ms itself; the
	 * probes start only after five times that, so a board the host stalls
	 * for a few seconds (emulation on a loaded machine) is not cut off.
	 */
	ip_set_option(pcb, SOF_KEEPALIVE);
	pcb->keep_idle = 5u * cfg->liveness_ms;
	pcb->keep_intvl = cfg->liveness_ms;
	pcb->keep_cnt = 4;
}

/*
 * How long a listener whose wait is over stays open for a connection it is
 * still opening: its peer's ACK may follow the SYN-ACK by a retransmitted
 * SYN (1 s, link_tcp_open_within) and a SYN-ACK again.
 */
#define LISTEN_GRACE_MS 2000u

/*
 * A connection the listener is opening: its SYN came, the SYN-ACK went,
 * the ACK has not come. Closed now, the listener leaves it to lwIP to
 * reset when the ACK comes (tcp_in.c: "listen pcb might be closed by
 * now"), and its peer, which counts it open, finds it closed at its first
 * record: a migration's handshake failed so, with nothing said here.
 */
static bool opening(const struct tcp_pcb *listener, uint32_t peer_ip)
{
	for (const struct tcp_pcb *p = tcp_active_pcbs; p; p = p->next)
		if (p->state == SYN_RCVD && (const void *)p->listener == (const void *)listener &&
		    ip4_addr_get_u32(&p->remote_ip) == lwip_htonl(peer_ip))
			return true;
	return false;
}

/* Refusals said one by one; past that counted, and said once as a number. */
#define REFUSALS_TOLD 4u

static const struct link_config *accept_cfg;

static err_t on_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct link_tcp *t = arg;

	if (err != ERR_OK || !pcb)
		return ERR_VAL;
	/* Said, for a connection its peer then finds closed at its handshake. */
	if (t->pcb || ip4_addr_get_u32(&pcb->remote_ip) != lwip_htonl(accept_cfg->peer_ip)) {
		uint32_t ip = lwip_ntohl(ip4_addr_get_u32(&pcb->remote_ip));

		if (t->refused++ < REFUSALS_TOLD)
			console_printf("link: a connection from %u.%u.%u.%u:%u refused: %s\n",
				       ip >> 24, ip >> 16 & 255, ip >> 8 & 255, ip & 255,
				       pcb->remote_port,
				       t->pcb ? "one at a time, and one is accepted"
					      : "not the configured peer");
		tcp_abort(pcb);
		return ERR_ABRT;
	}
	adopt(t, pcb, accept_cfg);
	return ERR_OK;
}

static err_t on_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
	(void)arg;
	(void)pcb;
	(void)err;
	return ERR_OK;
}

struct link_tcp *link_tcp_open(const struct link_config *cfg, char *err, size_t n)
{
	return link_tcp_open_within(cfg, cfg->timeout_ms, err, n);
}

struct link_tcp *link_tcp_open_within(const struct link_config *cfg, unsigned wait_ms, char *err,
				      size_t n)
{
	struct link_tcp *t = calloc(1, sizeof(*t));
	uint64_t deadline = link_net_now_ms() + wait_ms;
	ip4_addr_t peer;
	struct virtio_net_stats before, after;
	unsigned attempts = 0, refused = 0;

	if (!t) {
		format_snprintf(err, n, "out of memory for the TCP connection");
		return NULL;
	}
	ip4_addr_set_u32(&peer, lwip_htonl(cfg->peer_ip));
	virtio_net_stats(link_net_nic(), &before);
	if (cfg->listen) {
		struct tcp_pcb *pcb = tcp_new();

		if (pcb)
			ip_set_option(pcb, SOF_REUSEADDR);
		if (!pcb || tcp_bind(pcb, IP4_ADDR_ANY, cfg->port) != ERR_OK ||
		    !(t->listener = tcp_listen(pcb))) {
			format_snprintf(err, n, "cannot listen on TCP port %u", cfg->port);
			free(t);
			return NULL;
		}
		accept_cfg = cfg;
		tcp_arg(t->listener, t);
		tcp_accept(t->listener, on_accept);
		while (!t->pcb && (link_net_now_ms() < deadline ||
				   (opening(t->listener, cfg->peer_ip) &&
				    link_net_now_ms() < deadline + LISTEN_GRACE_MS)))
			link_net_pump(10);
		tcp_close(t->listener);
		t->listener = NULL;
		if (t->refused > REFUSALS_TOLD)
			console_printf("link: %u more connections refused\n",
				       t->refused - REFUSALS_TOLD);
	} else {
		/* The listener may boot later: try again until the deadline. */
		while (!t->pcb || t->pcb->state != ESTABLISHED) {
			if (link_net_now_ms() >= deadline)
				break;
			if (!t->pcb || t->closed) {
				struct tcp_pcb *pcb = tcp_new();

				refused += attempts && t->error == ERR_RST;
				attempts++;
				t->closed = false;
				t->error = ERR_OK;
				if (!pcb)
					break;
				adopt(t, pcb, cfg);
				/*
				 * A lost SYN goes again after 1 s (RFC 6298 section 2.1's
				 * initial RTO), not lwIP's 3 s: a board-to-board link
				 * allows seconds for its connection, and at 3 s one lost
				 * SYN and its retransmission use them up. lwIP keeps this
				 * RTO, unbacked-off, while the connection is opening.
				 */
				pcb->rto = (s16_t)(1000 / TCP_SLOW_INTERVAL);
				if (tcp_connect(pcb, &peer, cfg->port, on_connected) != ERR_OK)
					break;
			}
			link_net_pump(10);
			if (t->closed && t->pcb)
				t->pcb = NULL;
		}
	}
	if (!t->pcb || t->pcb->state != ESTABLISHED) {
		/* What crossed the wire meanwhile tells a silent peer from a refusing one. */
		virtio_net_stats(link_net_nic(), &after);
		format_snprintf(err, n,
				"no TCP connection with %u.%u.%u.%u:%u within %u ms (attempts: %u, "
				"refused: %u; frames: %llu out, %llu in)",
				cfg->peer_ip >> 24, cfg->peer_ip >> 16 & 255,
				cfg->peer_ip >> 8 & 255, cfg->peer_ip & 255, cfg->port, wait_ms,
				attempts, refused + (t->error == ERR_RST),
				(unsigned long long)(after.tx_frames - before.tx_frames),
				(unsigned long long)(after.rx_frames - before.rx_frames));
		link_tcp_close(t);
		return NULL;
	}
	return t;
}

static int tcp_stream_send(void *ctx, const uint8_t *buf, size_t len)
{
	struct link_tcp *t = ctx;
	size_t room;

	if (!t->pcb || t->closed)
		return -1;
	room = tcp_sndbuf(t->pcb);
	if (len > room)
		len = room;
	if (len > 0xffff)
		len = 0xffff; /* tcp_write takes a u16 length */
	if (!len)
		return 0;
	if (tcp_write(t->pcb, buf, (u16_t)len, TCP_WRITE_FLAG_COPY) != ERR_OK)
		return 0;
	tcp_output(t->pcb);
	return (int)len;
}

static int tcp_stream_recv(void *ctx, uint8_t *buf, size_t len)
{
	struct link_tcp *t = ctx;
	struct pbuf **head = &t->rx[t->rx_head];
	u16_t n;

	if (!t->rx_count)
		return t->closed ? -1 : 0;
	n = (u16_t)(len < (*head)->tot_len ? len : (*head)->tot_len);
	pbuf_copy_partial(*head, buf, n, 0);
	*head = pbuf_free_header(*head, n);
	if (!*head) {
		t->rx_head = (t->rx_head + 1) % RX_CHAINS;
		t->rx_count--;
	}
	if (t->pcb)
		tcp_recved(t->pcb, n);
	return n;
}

static void tcp_stream_pump(void *ctx, unsigned timeout_ms, bool writing)
{
	(void)ctx;
	(void)writing;
	link_net_pump(timeout_ms);
}

static uint64_t tcp_stream_now(void *ctx)
{
	(void)ctx;
	return link_net_now_ms();
}

static const struct link_io_ops tcp_stream_ops = { tcp_stream_send, tcp_stream_recv,
						   tcp_stream_pump, tcp_stream_now };

size_t link_tcp_unacked(const struct link_tcp *t)
{
	return t->pcb && !t->closed ? (size_t)(TCP_SND_BUF - tcp_sndbuf(t->pcb)) : 0;
}

struct link_io link_tcp_io(struct link_tcp *t) { return (struct link_io){ &tcp_stream_ops, t }; }

static void release(struct link_tcp *t, bool abort)
{
	if (!t)
		return;
	if (t->pcb) {
		tcp_arg(t->pcb, NULL);
		tcp_recv(t->pcb, NULL);
		tcp_err(t->pcb, NULL);
		if (abort || tcp_close(t->pcb) != ERR_OK)
			tcp_abort(t->pcb);
	}
	if (t->listener)
		tcp_close(t->listener);
	for (; t->rx_count; t->rx_count--, t->rx_head = (t->rx_head + 1) % RX_CHAINS)
		pbuf_free(t->rx[t->rx_head]);
	free(t);
}

void link_tcp_close(struct link_tcp *t) { release(t, false); }

void link_tcp_abort(struct link_tcp *t) { release(t, true); }
