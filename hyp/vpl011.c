/* SPDX-License-Identifier: Apache-2.0 */
/** Emulated PL011, see vpl011.h; register map from the PL011 TRM, section 3.2. */
#include "hyp/vpl011.h"

#include <string.h>

#define UARTDR	      0x000
#define UARTRSR	      0x004
#define UARTFR	      0x018
#define UARTILPR      0x020
#define UARTIBRD      0x024
#define UARTFBRD      0x028
#define UARTLCR_H     0x02c
#define UARTCR	      0x030
#define UARTIFLS      0x034
#define UARTIMSC      0x038
#define UARTRIS	      0x03c
#define UARTMIS	      0x040
#define UARTICR	      0x044
#define UARTDMACR     0x048
#define UARTPERIPHID0 0xfe0

#define FR_TXFF (1u << 5)
#define FR_RXFE (1u << 4)
#define FR_TXFE (1u << 7)
#define INT_RX	(1u << 4)
#define INT_TX	(1u << 5)
#define INT_RT	(1u << 6)

/* PL011 r1p5 peripheral and PrimeCell identification (TRM 3.3.14-3.3.15) */
static const uint8_t id_regs[8] = { 0x11, 0x10, 0x34, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };

void vpl011_init(struct vpl011 *u, const char *prefix,
		 void (*emit)(const char *prefix, const char *line, unsigned len))
{
	memset(u, 0, sizeof(*u));
	u->prefix = prefix;
	u->emit = emit;
	u->cr = 0x300; /* TXE, RXE: reset value */
	u->ifls = 0x12;
}

/* Held lines may not have room for one more whole line (PL011 TRM 3.3.3: TXFF). */
static bool tx_full(const struct vpl011 *u)
{
	return u->held && VPL011_HELD_BYTES - u->held->len < 1u + VPL011_LINE_MAX;
}

/* Transmission is instantaneous: the TX FIFO is empty, TXRIS set, unless lines are held. */
static uint32_t ris(const struct vpl011 *u)
{
	return (tx_full(u) ? 0 : INT_TX) | (u->rx_count ? INT_RX | INT_RT : 0) | u->ris_error;
}

bool vpl011_irq_level(const struct vpl011 *u) { return (ris(u) & u->imsc) != 0; }

static void transmit(struct vpl011 *u, char c)
{
	if (c == '\r')
		return;
	if (c != '\n')
		u->line[u->line_len++] = c;
	if ((c == '\n' || u->line_len == VPL011_LINE_MAX) && u->held) {
		struct vpl011_held *h = u->held;

		if (VPL011_HELD_BYTES - h->len >= 1u + u->line_len) {
			h->buf[h->len] = (uint8_t)u->line_len;
			memcpy(h->buf + h->len + 1, u->line, u->line_len);
			h->len += 1u + u->line_len;
		} else {
			h->dropped++; /* written while full: lost, as a real FIFO's overrun */
		}
		u->line_len = 0;
	} else if (c == '\n' || u->line_len == VPL011_LINE_MAX) {
		if (u->emit)
			u->emit(u->prefix, u->line, u->line_len);
		u->line_len = 0;
	}
}

bool vpl011_receive(struct vpl011 *u, uint8_t byte)
{
	if (u->rx_count == VPL011_RX_FIFO)
		return false;
	u->rx[(u->rx_head + u->rx_count++) % VPL011_RX_FIFO] = byte;
	return true;
}

static uint32_t read_dr(struct vpl011 *u)
{
	uint8_t b;

	if (!u->rx_count)
		return 0;
	b = u->rx[u->rx_head];
	u->rx_head = (u->rx_head + 1) % VPL011_RX_FIFO;
	u->rx_count--;
	return b;
}

static bool reg_read(struct vpl011 *u, uint64_t off, uint64_t *v)
{
	switch (off) {
	case UARTDR:
		*v = read_dr(u);
		return true;
	case UARTRSR:
	case UARTILPR:
		*v = 0;
		return true;
	case UARTFR:
		*v = (tx_full(u) ? FR_TXFF : FR_TXFE) | (u->rx_count ? 0 : FR_RXFE);
		return true;
	case UARTIBRD:
		*v = u->ibrd;
		return true;
	case UARTFBRD:
		*v = u->fbrd;
		return true;
	case UARTLCR_H:
		*v = u->lcr_h;
		return true;
	case UARTCR:
		*v = u->cr;
		return true;
	case UARTIFLS:
		*v = u->ifls;
		return true;
	case UARTIMSC:
		*v = u->imsc;
		return true;
	case UARTRIS:
		*v = ris(u);
		return true;
	case UARTMIS:
		*v = ris(u) & u->imsc;
		return true;
	case UARTDMACR:
		*v = u->dmacr;
		return true;
	default:
		if (off >= UARTPERIPHID0 && off < 0x1000 && !(off & 3)) {
			*v = id_regs[(off - UARTPERIPHID0) / 4];
			return true;
		}
		*v = 0;
		return true; /* reserved registers read as zero */
	}
}

static bool reg_write(struct vpl011 *u, uint64_t off, uint32_t v)
{
	switch (off) {
	case UARTDR:
		transmit(u, (char)(v & 0xff));
		return true;
	case UARTRSR:
		u->ris_error = 0;
		return true;
	case UARTIBRD:
		u->ibrd = v & VPL011_IBRD_MASK;
		return true;
	case UARTFBRD:
		u->fbrd = v & VPL011_FBRD_MASK;
		return true;
	case UARTLCR_H:
		u->lcr_h = v & VPL011_LCR_H_MASK;
		return true;
	case UARTCR:
		u->cr = v & VPL011_CR_MASK;
		return true;
	case UARTIFLS:
		u->ifls = v & VPL011_IFLS_MASK;
		return true;
	case UARTIMSC:
		u->imsc = v & VPL011_IMSC_MASK;
		return true;
	case UARTICR:
		u->ris_error &= ~v;
		return true;
	case UARTDMACR:
		u->dmacr = v & VPL011_DMACR_MASK;
		return true;
	default:
		return true; /* writes to read-only or reserved registers are ignored */
	}
}

bool vpl011_mmio(void *device, struct mmio_access *a)
{
	struct vpl011 *u = device;

	if (a->size > 4 || (a->offset & (a->size - 1)))
		return false;
	if (a->write)
		return reg_write(u, a->offset & ~3ull, (uint32_t)a->value);
	return reg_read(u, a->offset & ~3ull, &a->value);
}
