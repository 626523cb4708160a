/* SPDX-License-Identifier: Apache-2.0 */
/**
 * Fuzzes what a guest controls about the emulated devices: any sequence of
 * MMIO accesses to the vGIC distributor, the redistributors, the PL011 and
 * the network device, SGIs, interrupt lines, whatever a guest does to its
 * list registers between a flush and a sync, and whatever it writes in its
 * RAM where the network device reads its rings. Nothing may crash, and the
 * model must stay within bounds (the network device's RAM is exactly the
 * fake's: ASan sees a touch outside it).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hyp/vgic_mmio.h"
#include "hyp/vnet.h"
#include "hyp/vpl011.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void emit(const char *prefix, const char *line, unsigned len)
{
	(void)prefix, (void)line, (void)len;
}

#define RAM_IPA	  0x40000000ull
#define RAM_BYTES 0x4000u

static uint8_t *ram;
static bool ram_later; /* the pages are not here yet (postcopy) */

static enum vnet_mem_status map(void *ctx, uint64_t ipa, uint64_t len, bool write, void **host)
{
	(void)ctx, (void)write;
	if (ipa < RAM_IPA || ipa - RAM_IPA > RAM_BYTES || len > RAM_BYTES - (ipa - RAM_IPA))
		return VNET_MEM_BAD;
	if (ram_later)
		return VNET_MEM_LATER;
	*host = ram + (ipa - RAM_IPA);
	return VNET_MEM_OK;
}

/* What the device says it wrote lies in RAM, at most a frame and its header at once. */
static void written(void *ctx, uint64_t ipa, uint64_t len)
{
	(void)ctx;
	if (ipa < RAM_IPA || ipa - RAM_IPA > RAM_BYTES || len > RAM_BYTES - (ipa - RAM_IPA) ||
	    !len || len > VNET_HDR_BYTES + VNET_FRAME_MAX + 6ull + 8ull * VNET_QUEUE_MAX)
		__builtin_trap();
}

static bool sink(void *ctx, const uint8_t *frame, size_t len)
{
	(void)ctx;
	if (!len || len > VNET_FRAME_MAX)
		__builtin_trap(); /* a frame out is a frame */
	return frame[0] & 1;
}

static uint64_t take(const uint8_t **p, const uint8_t *end, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n && *p < end; i++)
		v |= (uint64_t) * (*p)++ << (8 * i);
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vgic_dist d;
	static struct vpl011 uart;
	static struct vpl011_held held; /* protection's output commit: lines held */
	static struct vnet net;
	static const uint8_t mac[6] = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 };
	static uint8_t frame[VNET_FRAME_MAX + 1];
	const struct vnet_mem mem = { NULL, map, written };
	struct vgic_cpu_if cif[2];
	const uint8_t *p = data, *end = data + size;

	vgic_init(&d, 2);
	vpl011_init(&uart, "vm0", emit);
	held.len = held.dropped = 0;
	uart.held = size && data[0] & 1 ? &held : NULL;
	vnet_init(&net, mac);
	ram = realloc(ram, RAM_BYTES); /* exactly this much: ASan bounds it */
	memset(ram, 0, RAM_BYTES);
	ram_later = false;
	memset(cif, 0, sizeof(cif));
	while (p < end) {
		unsigned op = (unsigned)take(&p, end, 1);
		struct mmio_access a = { 0 };

		a.size = 1u << (op >> 6);
		a.write = (op >> 5) & 1;
		a.vcpu = (op >> 4) & 1;
		switch (op & 0xf) {
		case 0:
			a.offset = take(&p, end, 2);
			a.value = take(&p, end, 8);
			vgic_mmio_dist(&d, &a);
			break;
		case 1:
			a.offset = take(&p, end, 3) % (2 * VGIC_REDIST_STRIDE + 64);
			a.value = take(&p, end, 8);
			vgic_mmio_redist(&d, &a);
			break;
		case 2:
			a.offset = take(&p, end, 2) % 0x1000;
			a.value = take(&p, end, 4);
			vpl011_mmio(&uart, &a);
			vgic_set_line(&d, 0, 33, vpl011_irq_level(&uart));
			if (held.len > VPL011_HELD_BYTES)
				__builtin_trap();
			if (held.len > VPL011_HELD_BYTES / 2 && (op & 0x80))
				held.len = 0; /* taken by a checkpoint */
			break;
		case 3:
			vgic_send_sgi(&d, a.vcpu, take(&p, end, 8));
			break;
		case 4:
			vgic_set_line(&d, a.vcpu, (uint32_t)take(&p, end, 1), op & 0x80);
			break;
		case 5:
			vgic_flush_lrs(&d, a.vcpu, &cif[a.vcpu], 4);
			break;
		case 6: /* the guest changes list-register states, then we sync */
			for (unsigned n = 0; n < 4; n++)
				cif[a.vcpu].ich_lr_el2[n] ^=
					take(&p, end, 1) & 0x3 ? 3ull << 62 : 0;
			vgic_sync_lrs(&d, a.vcpu, &cif[a.vcpu], 4);
			break;
		case 7:
			vpl011_receive(&uart, (uint8_t)take(&p, end, 1));
			break;
		case 8:
			a.size = op & 0x80 ? 4 : a.size;
			a.offset = take(&p, end, 2) % 0x240;
			a.value = take(&p, end, 4);
			vnet_mmio(&net, &a);
			break;
		case 9: { /* the guest writes its RAM: rings, descriptors, indices */
			uint64_t at = take(&p, end, 2) % RAM_BYTES, n = take(&p, end, 1);

			for (uint64_t i = 0; i < n && at + i < RAM_BYTES && p < end; i++)
				ram[at + i] = (uint8_t)take(&p, end, 1);
			break;
		}
		case 10:
			vnet_tx(&net, &mem, sink, NULL);
			break;
		case 11:
			vnet_rx(&net, &mem, frame, take(&p, end, 2) % sizeof(frame));
			break;
		case 12:
			ram_later = op & 0x80;
			break;
		default:
			vgic_vcpu_has_pending(&d, a.vcpu);
			break;
		}
	}
	for (unsigned v = 0; v < 2; v++) {
		vgic_flush_lrs(&d, v, &cif[v], 4);
		for (unsigned n = 4; n < VGIC_LR_MAX; n++)
			if (cif[v].ich_lr_el2[n])
				__builtin_trap(); /* never more LRs than the hardware has */
	}
	return 0;
}
