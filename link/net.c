/* SPDX-License-Identifier: Apache-2.0 */
/** lwIP on the virtio-net device, see net.h. */
#include "link/net.h"

#include <string.h>

#include "drivers/virtio_net.h"
#include "hyp/arch.h"
#include "lib/format.h"
#include "lwip/etharp.h"
#include "lwip/init.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/stats.h"
#include "lwip/timeouts.h"
#include "netif/ethernet.h"

/* A jumbo frame with an 802.1Q tag, without the FCS. */
#define LINK_FRAME_MAX (FERRY_LINK_MTU + 18u)
/* pbuf_alloc takes a 16-bit length. */
_Static_assert(LINK_FRAME_MAX <= 0xffffu, "a link frame fits a pbuf");
/* Half the ring: the window (lwipopts.h) is some 15 full frames, the rest are acknowledgements. */
#define LINK_BUFS 128u

static struct netif netif;
static struct virtio_net nic;
static uint8_t nic_storage[VIRTIO_NET_STORAGE_BYTES(LINK_FRAME_MAX, LINK_BUFS)]
	__attribute__((aligned(64)));

static uint64_t lost_in, lost_out;

struct virtio_net *link_net_nic(void) { return &nic; }

void link_net_losses(uint64_t *in, uint64_t *out)
{
	*in = lost_in;
	*out = lost_out;
}

/* Gathers a pbuf chain into one frame for the device (lwIP's linkoutput). */
void link_net_tcp_counts(struct link_net_tcp_counts *c)
{
	uint64_t empty = 0;

	for (unsigned i = 0; i < MEMP_MAX; i++)
		empty += lwip_stats.memp[i] ? lwip_stats.memp[i]->err : 0;
	*c = (struct link_net_tcp_counts){ .segments_out = lwip_stats.tcp.xmit,
					   .segments_in = lwip_stats.tcp.recv,
					   .retransmitted = lwip_stats.mib2.tcpretranssegs,
					   .dropped = lwip_stats.tcp.drop,
					   .no_memory = lwip_stats.tcp.memerr,
					   .pool_empty = empty + lwip_stats.mem.err };
}

static err_t link_output(struct netif *n, struct pbuf *p)
{
	const void *parts[16];
	size_t lens[16];
	unsigned count = 0;

	(void)n;
	for (struct pbuf *q = p; q; q = q->next) {
		if (count == 16)
			return ERR_BUF;
		parts[count] = q->payload;
		lens[count++] = q->len;
	}
	/* A full ring drains within microseconds: wait for it rather than drop the frame
	 * (virtio_net_send only reaps finished transmissions: no frame comes in meanwhile,
	 * lwIP is not re-entered from its own output). */
	for (unsigned spins = 0; !virtio_net_send(&nic, parts, lens, count); spins++)
		if (spins == 100000) {
			lost_out++;
			return ERR_MEM;
		}
	return ERR_OK;
}

static void (*bench_sink)(const uint8_t *frame, size_t len);

void link_net_set_bench_sink(void (*sink)(const uint8_t *frame, size_t len)) { bench_sink = sink; }

bool link_net_send_raw(const void *frame, size_t len)
{
	const void *parts[1] = { frame };
	size_t lens[1] = { len };

	return virtio_net_send(&nic, parts, lens, 1);
}

static void frame_in(void *ctx, const uint8_t *frame, size_t len)
{
	struct pbuf *p;

	(void)ctx;
	if (bench_sink && len >= 14 && (frame[12] << 8 | frame[13]) == LINK_BENCH_ETHERTYPE) {
		bench_sink(frame, len);
		return;
	}
	p = pbuf_alloc(PBUF_RAW, (u16_t)len, PBUF_POOL);
	if (!p) {
		lost_in++;
		return; /* out of buffers: TCP retransmits */
	}
	pbuf_take(p, frame, (u16_t)len);
	if (netif.input(p, &netif) != ERR_OK)
		pbuf_free(p);
}

static err_t netif_setup(struct netif *n)
{
	n->name[0] = 'v';
	n->name[1] = 'n';
	n->output = etharp_output;
	n->linkoutput = link_output;
	n->mtu = FERRY_LINK_MTU;
	n->hwaddr_len = 6;
	virtio_net_mac(&nic, n->hwaddr);
	n->flags =
		NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET | NETIF_FLAG_LINK_UP;
	return ERR_OK;
}

bool link_net_up(const struct link_config *cfg, uintptr_t virtio_base, char *err, size_t n)
{
	ip4_addr_t ip, mask, gw;

	static const struct virtio_net_bufs bufs = { nic_storage, LINK_FRAME_MAX, LINK_BUFS };

	if (!virtio_net_init(&nic, virtio_base, &bufs, frame_in, NULL, err, n))
		return false;
	lwip_init();
	ip4_addr_set_u32(&ip, lwip_htonl(cfg->ip));
	ip4_addr_set_u32(&mask, lwip_htonl(cfg->netmask));
	ip4_addr_set_zero(&gw);
	if (!netif_add(&netif, &ip, &mask, &gw, NULL, netif_setup, ethernet_input)) {
		format_snprintf(err, n, "lwIP refused the interface");
		return false;
	}
	netif_set_default(&netif);
	netif_set_up(&netif);
	return true;
}

uint64_t link_net_now_ms(void) { return arch_counter_now() / (arch_counter_freq() / 1000); }

static void (*idle_work)(void);
static bool wake_asked;

void link_net_wake(void) { __atomic_store_n(&wake_asked, true, __ATOMIC_RELEASE); }

void link_net_set_idle_work(void (*work)(void)) { idle_work = work; }

void link_net_pump(unsigned timeout_ms)
{
	uint64_t freq = arch_counter_freq(), ticks_per_ms = freq / 1000;
	uint64_t deadline = arch_counter_now() + timeout_ms * ticks_per_ms;

	for (;;) {
		unsigned frames;

		/* Again after every wake: an interrupt for the idle work ends the sleep too. */
		if (idle_work)
			idle_work();
		frames = virtio_net_poll(&nic);
		uint64_t now;

		sys_check_timeouts();
		now = arch_counter_now();
		if (frames || now >= deadline ||
		    __atomic_exchange_n(&wake_asked, false, __ATOMIC_ACQ_REL))
			return;
		/* Nothing yet: sleep until the device's interrupt or the deadline. */
		if (!virtio_net_wait_arm(&nic))
			continue;
		arch_timer_arm(deadline - now);
		arch_idle_wait();
		virtio_net_wait_done(&nic);
	}
}

void link_net_drain(unsigned timeout_ms)
{
	uint64_t deadline = link_net_now_ms() + timeout_ms;

	while (!virtio_net_tx_idle(&nic) && link_net_now_ms() < deadline)
		link_net_pump(1);
}
