/* SPDX-License-Identifier: Apache-2.0 */
/** PL011 driver (Arm DDI 0183G, PrimeCell UART r1p5 TRM, chapter 3). */
#include "drivers/pl011.h"

#include "drivers/mmio.h"

#define UARTDR	  0x000
#define UARTFR	  0x018
#define UARTIBRD  0x024
#define UARTFBRD  0x028
#define UARTLCR_H 0x02c
#define UARTCR	  0x030
#define UARTIMSC  0x038
#define UARTICR	  0x044

#define FR_RXFE	    (1u << 4)
#define FR_TXFF	    (1u << 5)
#define FR_BUSY	    (1u << 3)
#define LCR_H_FEN   (1u << 4)
#define LCR_H_WLEN8 (3u << 5)
#define CR_UARTEN   (1u << 0)
#define CR_TXE	    (1u << 8)
#define CR_RXE	    (1u << 9)

static uintptr_t pl011_base;

void pl011_init(uintptr_t base, uint32_t clock_hz, uint32_t baud)
{
	/* Divisor = clock / (16 * baud) as a 16.6 fixed-point number (TRM 3.3.6). */
	uint32_t div64 = (uint32_t)(((uint64_t)clock_hz * 4 + baud / 2) / baud);

	pl011_base = base;
	while (mmio_read32(base + UARTFR) & FR_BUSY)
		;
	mmio_write32(base + UARTCR, 0);
	mmio_write32(base + UARTIBRD, div64 >> 6);
	mmio_write32(base + UARTFBRD, div64 & 0x3f);
	mmio_write32(base + UARTLCR_H, LCR_H_WLEN8 | LCR_H_FEN);
	mmio_write32(base + UARTIMSC, 0);
	mmio_write32(base + UARTICR, 0x7ff);
	mmio_write32(base + UARTCR, CR_UARTEN | CR_TXE | CR_RXE);
}

static void pl011_putc(char c)
{
	while (mmio_read32(pl011_base + UARTFR) & FR_TXFF)
		;
	mmio_write32(pl011_base + UARTDR, (uint8_t)c);
}

void pl011_write(const char *buf, size_t len)
{
	if (!pl011_base)
		return;
	for (size_t i = 0; i < len; i++) {
		if (buf[i] == '\n')
			pl011_putc('\r');
		pl011_putc(buf[i]);
	}
}

void pl011_rx_irq_enable(void)
{
	if (pl011_base)
		mmio_write32(pl011_base + UARTIMSC, (1u << 4) | (1u << 6)); /* RXIM, RTIM */
}

void pl011_rx_irq_disable(void)
{
	if (pl011_base)
		mmio_write32(pl011_base + UARTIMSC, 0);
}

int pl011_getc(void)
{
	if (!pl011_base || (mmio_read32(pl011_base + UARTFR) & FR_RXFE))
		return -1;
	return (int)(mmio_read32(pl011_base + UARTDR) & 0xff);
}
