/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The PL011 UART a guest sees (Arm DDI 0183, PrimeCell UART TRM): output
 * goes to the board console a line at a time, prefixed with the VM's name;
 * input comes from the board console. Interrupt line: UARTINTR
 * (RIS & IMSC), level-sensitive.
 */
#ifndef HYP_VPL011_H
#define HYP_VPL011_H

#include <stdbool.h>
#include <stdint.h>

#include "hyp/mmio.h"

#define VPL011_RX_FIFO	32
#define VPL011_LINE_MAX 160

/* The register bits this PL011 implements (TRM 3.3): what a guest can set. */
#define VPL011_IBRD_MASK  0xffffu
#define VPL011_FBRD_MASK  0x3fu
#define VPL011_LCR_H_MASK 0xffu
#define VPL011_CR_MASK	  0xffffu
#define VPL011_IFLS_MASK  0x3fu
#define VPL011_IMSC_MASK  0x7ffu
#define VPL011_DMACR_MASK 0x7u

/** Output commit: finished lines kept until released, each a u8 length and its bytes. */
#define VPL011_HELD_BYTES 4096u

struct vpl011_held {
	uint8_t buf[VPL011_HELD_BYTES];
	unsigned len;
	unsigned dropped; /**< lines a guest wrote while told the FIFO was full */
};

struct vpl011 {
	const char *prefix; /**< VM name */
	uint32_t cr, lcr_h, ibrd, fbrd, ifls, imsc, dmacr;
	uint32_t ris_error; /**< latched error bits of RIS; TX and RX bits are computed */
	uint8_t rx[VPL011_RX_FIFO];
	unsigned rx_head, rx_count;
	char line[VPL011_LINE_MAX];
	unsigned line_len;
	/** Where finished lines go (the board console; a buffer in tests). */
	void (*emit)(const char *prefix, const char *line, unsigned len);
	/**
	 * Set: finished lines are kept here instead, and the transmit FIFO
	 * reads full (FR.TXFF, no TX interrupt) while a whole line might not
	 * fit: a guest that waits for room waits until they are released.
	 */
	struct vpl011_held *held;
};

void vpl011_init(struct vpl011 *u, const char *prefix,
		 void (*emit)(const char *prefix, const char *line, unsigned len));

/** mmio_handler_fn; device is the struct vpl011. */
bool vpl011_mmio(void *device, struct mmio_access *access);

/** Queues a received byte; false when the FIFO is full (the byte is dropped). */
bool vpl011_receive(struct vpl011 *u, uint8_t byte);

/** The level of the UART's interrupt output. */
bool vpl011_irq_level(const struct vpl011 *u);

#endif
