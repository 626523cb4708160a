/* SPDX-License-Identifier: Apache-2.0 */
/** The link benchmark's raw-frame and TCP modes, see link_bench.h. */
#include "system/link_bench.h"

#include <string.h>

#include "drivers/virtio_net.h"
#include "hyp/console.h"
#include "link/net.h"

#define PAYLOAD	     (VIRTIO_NET_FRAME_MAX - 15u) /* a full frame: header, kind byte, data */
#define KIND_PROBE   1
#define KIND_READY   2
#define KIND_DATA    3
#define KIND_DONE    4
#define DONE_REPEATS 8

void link_print_rate(const char *what, uint64_t bytes, uint64_t ms)
{
	uint64_t kbs = ms ? bytes / ms : 0; /* bytes per ms = kB/s */

	console_printf("link: %s %llu KiB in %llu ms: %llu.%02llu MB/s\n", what,
		       (unsigned long long)(bytes >> 10), (unsigned long long)ms,
		       (unsigned long long)(kbs / 1000), (unsigned long long)(kbs % 1000 / 10));
}

void link_print_profile(uint64_t bytes)
{
	struct virtio_net_stats s;
	struct link_net_tcp_counts t;
	uint64_t mib = bytes >> 20 ? bytes >> 20 : 1, lost_in, lost_out;

	virtio_net_stats(link_net_nic(), &s);
	link_net_losses(&lost_in, &lost_out);
	link_net_tcp_counts(&t);
	console_printf(
		"link: profile per MiB: %llu rx frames, %llu tx frames, %llu doorbells, "
		"%llu interrupts, %llu full-ring waits; in all %llu frames lost for want "
		"of a buffer, %llu given up on a full ring; TCP: %llu segments out, %llu in, "
		"%llu retransmitted, %llu dropped, %llu out of memory, %llu empty pools\n",
		(unsigned long long)(s.rx_frames / mib), (unsigned long long)(s.tx_frames / mib),
		(unsigned long long)(s.notifies / mib), (unsigned long long)(s.irqs / mib),
		(unsigned long long)(s.tx_full / mib), (unsigned long long)lost_in,
		(unsigned long long)lost_out, (unsigned long long)t.segments_out,
		(unsigned long long)t.segments_in, (unsigned long long)t.retransmitted,
		(unsigned long long)t.dropped, (unsigned long long)t.no_memory,
		(unsigned long long)t.pool_empty);
}

static struct {
	uint8_t mac[6];
	uint8_t peer_mac[6];
	bool peer_known, ready, done;
	uint64_t bytes, first_ms, last_ms;
} raw;

static void raw_frame(const uint8_t *f, size_t len)
{
	uint8_t kind = len > 14 ? f[14] : 0;

	if (!raw.peer_known) {
		memcpy(raw.peer_mac, f + 6, 6);
		raw.peer_known = true;
	}
	if (kind == KIND_PROBE) {
		uint8_t reply[60] = { 0 };

		memcpy(reply, f + 6, 6);
		memcpy(reply + 6, raw.mac, 6);
		reply[12] = LINK_BENCH_ETHERTYPE >> 8;
		reply[13] = LINK_BENCH_ETHERTYPE & 0xff;
		reply[14] = KIND_READY;
		link_net_send_raw(reply, sizeof(reply));
	} else if (kind == KIND_READY) {
		raw.ready = true;
	} else if (kind == KIND_DATA) {
		if (!raw.bytes)
			raw.first_ms = link_net_now_ms();
		raw.bytes += len - 15;
		raw.last_ms = link_net_now_ms();
	} else if (kind == KIND_DONE) {
		raw.done = true;
	}
}

static void raw_header(uint8_t *f, uint8_t kind)
{
	static const uint8_t broadcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

	memcpy(f, raw.peer_known ? raw.peer_mac : broadcast, 6);
	memcpy(f + 6, raw.mac, 6);
	f[12] = LINK_BENCH_ETHERTYPE >> 8;
	f[13] = LINK_BENCH_ETHERTYPE & 0xff;
	f[14] = kind;
}

bool link_bench_raw(const struct link_config *cfg, uint64_t bytes)
{
	static uint8_t frame[15 + PAYLOAD];
	uint64_t deadline = link_net_now_ms() + cfg->timeout_ms, t0;

	virtio_net_mac(link_net_nic(), raw.mac);
	link_net_set_bench_sink(raw_frame);
	if (cfg->listen) {
		while (!raw.done && raw.bytes < bytes && link_net_now_ms() < deadline + 60000)
			link_net_pump(10);
		link_print_rate(raw.bytes >= bytes ? "raw frames: received all"
						   : "raw frames: LOST SOME, received",
				raw.bytes, raw.last_ms - raw.first_ms);
		link_print_profile(raw.bytes);
		return raw.bytes >= bytes;
	}
	while (!raw.ready) {
		if (link_net_now_ms() >= deadline) {
			console_printf("link: raw frames: the peer never answered\n");
			return false;
		}
		raw_header(frame, KIND_PROBE);
		link_net_send_raw(frame, 60);
		link_net_pump(10);
	}
	t0 = link_net_now_ms();
	raw_header(frame, KIND_DATA);
	for (uint64_t sent = 0; sent < bytes;) {
		if (!link_net_send_raw(frame, sizeof(frame))) {
			if (link_net_now_ms() > t0 + 120000) {
				console_printf(
					"link: raw frames: the device stopped taking frames\n");
				return false;
			}
			link_net_pump(0);
			continue;
		}
		sent += PAYLOAD;
	}
	raw_header(frame, KIND_DONE);
	for (unsigned i = 0; i < DONE_REPEATS; i++) {
		link_net_pump(5);
		link_net_send_raw(frame, 60);
	}
	link_print_rate("raw frames: sent", bytes, link_net_now_ms() - t0);
	return true;
}

bool link_bench_tcp(const struct link_config *cfg, uint64_t bytes)
{
	static uint8_t buf[16384];
	char err[160];
	struct link_tcp *tcp = link_tcp_open(cfg, err, sizeof(err));
	struct link_io io;
	uint64_t t0, done = 0, deadline;

	if (!tcp) {
		console_printf("link: %s\n", err);
		return false;
	}
	io = link_tcp_io(tcp);
	t0 = link_net_now_ms();
	deadline = t0 + 120000;
	memset(buf, 0x5a, sizeof(buf));
	while (done < bytes && link_net_now_ms() < deadline) {
		size_t want = bytes - done < sizeof(buf) ? (size_t)(bytes - done) : sizeof(buf);
		int n = cfg->listen ? io.ops->recv(io.ctx, buf, want)
				    : io.ops->send(io.ctx, buf, want);

		if (n < 0)
			break;
		if (n == 0)
			io.ops->pump(io.ctx, 10, !cfg->listen);
		done += (uint64_t)n;
	}
	link_print_rate(cfg->listen ? "plain TCP: received" : "plain TCP: sent", done,
			link_net_now_ms() - t0);
	/*
	 * The sender waits for its last bytes to be acknowledged (a board that
	 * powers off with them unsent leaves its peer waiting for them until
	 * the connection times out); the receiver holds the connection a while.
	 */
	for (deadline = link_net_now_ms() + 5000;
	     !cfg->listen && link_tcp_unacked(tcp) && link_net_now_ms() < deadline;)
		link_net_pump(10);
	link_net_pump(100);
	link_print_profile(done);
	link_tcp_close(tcp);
	link_net_drain(LINK_DRAIN_MS);
	return done == bytes;
}
