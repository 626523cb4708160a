/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The board's network for the link: lwIP (NO_SYS, raw API) on the virtio-net
 * device, a static IPv4 address from the link configuration (docs/link.md).
 * Everything runs on the CPU that calls link_net_pump: the device is
 * polled, and while nothing happens the CPU sleeps until the device's
 * interrupt or lwIP's next timer.
 */
#ifndef LINK_NET_H
#define LINK_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct virtio_net;

#include "link/link_config.h"
#include "link/link_io.h"

/** Brings the interface up on the virtio-net device at base; false with err. */
bool link_net_up(const struct link_config *cfg, uintptr_t virtio_base, char *err, size_t err_size);

/** The link's network device (its interrupt, its counters). */
struct virtio_net *link_net_nic(void);

/**
 * Frames the link lost on this board since it came up: in, for want of a
 * buffer (TCP retransmits them, after its timeout); out, given up on a
 * device whose ring stayed full.
 */
void link_net_losses(uint64_t *in, uint64_t *out);

/** What TCP did on this board since the link came up (lwIP's counters). */
struct link_net_tcp_counts {
	uint64_t segments_out, segments_in;
	uint64_t retransmitted; /**< segments sent again (a timeout or three duplicate ACKs) */
	uint64_t dropped;	/**< segments TCP dropped (outside the window, no connection) */
	uint64_t no_memory;	/**< segments TCP could not buffer or send */
	uint64_t pool_empty;	/**< times a packet buffer pool was found empty */
};
void link_net_tcp_counts(struct link_net_tcp_counts *c);

/** Frames of the link benchmark's own EtherType (0x88b5, IEEE local experimental) go here, not to
 * lwIP. */
#define LINK_BENCH_ETHERTYPE 0x88b5
void link_net_set_bench_sink(void (*sink)(const uint8_t *frame, size_t len));

/** Sends one raw frame (the link benchmark); false when the device is full. */
bool link_net_send_raw(const void *frame, size_t len);

/**
 * Processes frames and timers; sleeps up to timeout_ms when there is nothing
 * to do, or until link_net_wake.
 */
void link_net_pump(unsigned timeout_ms);

/**
 * Has the pump return at its next look (from any CPU; kick the pumping CPU
 * too, out of its sleep): news for its caller that came some other way than
 * the link (the guests' LAN heard a migrated VM's announce).
 */
void link_net_wake(void);

/**
 * Work the pumping CPU also does while it waits for the network (the
 * board's management channel, the guests' LAN), called on every pump and
 * after every wake; NULL for none.
 */
void link_net_set_idle_work(void (*work)(void));

/**
 * Pumps until the device has sent every frame handed to it, at most
 * timeout_ms: before a board powers off or drops a connection, so that the
 * peer hears the close (FIN, RST, TLS alert) instead of silence. Frames
 * keep coming in while a peer sends: draining waits for the device, not for
 * a quiet wire.
 */
void link_net_drain(unsigned timeout_ms);

/** A live device sends within microseconds; a dead wire must not hold a board's power-off long. */
#define LINK_DRAIN_MS 500u

/** Milliseconds since boot. */
uint64_t link_net_now_ms(void);

struct link_tcp;

/**
 * A TCP connection to the peer of cfg: accepted (listen) or connected,
 * within cfg->timeout_ms; NULL with err. Keepalive probes after
 * liveness_ms of silence detect a vanished peer.
 */
struct link_tcp *link_tcp_open(const struct link_config *cfg, char *err, size_t err_size);

/** The same within wait_ms (a board looking for its peer now and then). */
struct link_tcp *link_tcp_open_within(const struct link_config *cfg, unsigned wait_ms, char *err,
				      size_t err_size);

/** The connection as the TLS layer's byte stream. */
struct link_io link_tcp_io(struct link_tcp *t);

/** Bytes written on the connection that the peer has not acknowledged yet (0: all in). */
size_t link_tcp_unacked(const struct link_tcp *t);

void link_tcp_close(struct link_tcp *t);

/**
 * Ends a broken connection at once with a reset (RFC 793 3.4): nothing of
 * it stays behind retransmitting or holding buffers the next connection
 * needs.
 */
void link_tcp_abort(struct link_tcp *t);

#endif
