/* SPDX-License-Identifier: Apache-2.0 */
/** The guests' LAN port, see lan.h. */
#include "system/lan.h"

#include <string.h>

#include "drivers/gicv3.h"
#include "drivers/virtio_net.h"
#include "hyp/arch.h"
#include "hyp/console.h"
#include "hyp/irq.h"

#define LAN_IRQ_PRIORITY 0x80
#define BACKLOG		 64u /* frames: some 100 ms of a guest's 1 ms datagrams */

static struct virtio_net nic;
static struct {
	bool present;
	uint32_t intid;
	struct vm *vm;
	struct {
		uint16_t len;
		uint8_t frame[VIRTIO_NET_FRAME_MAX];
	} backlog[BACKLOG];
	unsigned head, tail; /* backlog[tail % BACKLOG] is the oldest */
	bool announced;	     /* the VM's MAC, since it runs here */
	/* For the VM's report: frames to it (straight, or after waiting), from it, dropped. */
	uint64_t in, waited, out, dropped;
	uint64_t last_poll, longest_gap; /* counts: how long frames may wait for the control CPU */
} lan;

static void keep(const uint8_t *frame, size_t len)
{
	if (len > VIRTIO_NET_FRAME_MAX || lan.head - lan.tail == BACKLOG) {
		lan.dropped++;
		return;
	}
	lan.waited++;
	lan.backlog[lan.head % BACKLOG].len = (uint16_t)len;
	memcpy(lan.backlog[lan.head % BACKLOG].frame, frame, len);
	lan.head++;
}

/* Frames for the guest go in order: none overtakes one kept waiting. */
static void frame_in(void *ctx, const uint8_t *frame, size_t len)
{
	(void)ctx;
	if (!lan.vm || !len || len > VNET_FRAME_MAX)
		return; /* no VM on this board, or no frame a guest could take */
	lan.in++;
	if (lan.head != lan.tail || vm_net_receive(lan.vm, frame, len) == VNET_RX_NO_BUFFER)
		keep(frame, len);
}

static bool frame_out(void *ctx, const uint8_t *frame, size_t len)
{
	const void *parts[1] = { frame };

	(void)ctx;
	if (!virtio_net_send(&nic, parts, &len, 1))
		return false;
	lan.out++;
	return true;
}

static enum irq_outcome lan_irq(uint32_t intid, void *ctx)
{
	(void)intid, (void)ctx;
	virtio_net_irq_ack(&nic);
	return IRQ_DONE;
}

bool lan_init(const struct board_desc *b, bool link_present)
{
	const struct board_virtio *v = &b->virtio;
	int slot = virtio_mmio_find(v->base, v->stride, link_present ? v->link_slot : v->slot_count,
				    VIRTIO_ID_NET);
	char err[160];
	uint8_t mac[6];

	if (slot < 0)
		return false;
	lan.intid = v->first_intid + (uint32_t)slot;
	irq_register(lan.intid, lan_irq, NULL);
	if (!virtio_net_init(&nic, v->base + (uint64_t)slot * v->stride, frame_in, NULL, err,
			     sizeof(err))) {
		console_printf("lan: %s\n", err);
		return false;
	}
	virtio_net_mac(&nic, mac);
	console_printf("lan: the guests' network on virtio-net %02x:%02x:%02x:%02x:%02x:%02x\n",
		       mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	lan.present = true;
	return true;
}

bool lan_present(void) { return lan.present; }

/*
 * Where the VM runs now, said as QEMU's announce-self says it: a broadcast
 * RARP request (RFC 903) from its MAC, before any frame of its own, so the
 * switch sends its frames here from now on.
 */
static void announce(const struct vm *vm)
{
	uint8_t f[60] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	const void *parts[1] = { f };
	size_t len = sizeof(f);
	static const uint8_t rarp[10] = { 0x80, 0x35, 0, 1, 0x08, 0x00, 6, 4, 0, 3 };

	memcpy(f + 6, vm->cfg.mac, 6);
	memcpy(f + 12, rarp, sizeof(rarp)); /* EtherType, Ethernet, IPv4, 6, 4, request reverse */
	memcpy(f + 22, vm->cfg.mac, 6);	    /* sender: the VM, no address */
	memcpy(f + 32, vm->cfg.mac, 6);	    /* target: the VM */
	lan.announced = virtio_net_send(&nic, parts, &len, 1);
}

void lan_attach(struct vm *vm, unsigned cpu)
{
	lan_detach();
	lan.vm = vm && vm->cfg.has_nic ? vm : NULL;
	lan.head = lan.tail = 0;
	lan.announced = false;
	lan.in = lan.waited = lan.out = lan.dropped = 0;
	lan.last_poll = lan.longest_gap = 0;
	if (lan.vm)
		vm->net_backend_cpu = (int)cpu;
}

void lan_detach(void)
{
	if (!lan.vm)
		return;
	console_printf("lan: %s: %llu frames in (%llu waited for a buffer, %llu dropped, %u still "
		       "waiting), %llu out; polled at least every %llu us\n",
		       lan.vm->cfg.name, (unsigned long long)lan.in, (unsigned long long)lan.waited,
		       (unsigned long long)lan.dropped, lan.head - lan.tail,
		       (unsigned long long)lan.out,
		       (unsigned long long)(lan.longest_gap * 1000000u / arch_counter_freq()));
	lan.vm = NULL;
}

void lan_take_irq(void)
{
	if (lan.present)
		gicv3_spi_enable(lan.intid, LAN_IRQ_PRIORITY, arch_cpu_mpidr());
}

void lan_poll(void)
{
	uint64_t now = arch_counter_now();

	if (!lan.present)
		return;
	if (lan.vm && lan.last_poll && now - lan.last_poll > lan.longest_gap)
		lan.longest_gap = now - lan.last_poll;
	lan.last_poll = now;
	for (unsigned round = 0; round < 64; round++) {
		if (lan.vm) {
			vm_net_kicked(lan.vm);
			/* What waited goes first, while the guest has buffers for it. */
			while (lan.head != lan.tail) {
				unsigned i = lan.tail % BACKLOG;

				if (vm_net_receive(lan.vm, lan.backlog[i].frame,
						   lan.backlog[i].len) == VNET_RX_NO_BUFFER)
					break;
				lan.tail++;
			}
		}
		virtio_net_poll(&nic);
		if (lan.vm && !lan.announced && vm_net_running(lan.vm))
			announce(lan.vm);
		if (lan.vm && lan.announced)
			vm_net_transmit(lan.vm, frame_out, NULL);
		/* Its interrupt stays on: a frame while this CPU sleeps wakes it. */
		if (virtio_net_wait_arm(&nic))
			return;
	}
}
