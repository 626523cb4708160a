/* SPDX-License-Identifier: Apache-2.0 */
/** virtio-console on virtio-mmio version 2, see virtio_console.h. */
#include "drivers/virtio_console.h"

#include <string.h>

#include "drivers/virtio_mmio.h"
#include "hyp/arch.h"

#define RXQ 0u /* receiveq (port 0), Virtio 1.1 section 5.3.2 */
#define TXQ 1u /* transmitq (port 0) */

#define RX_BUFS	 8u
#define TX_BUFS	 16u
#define BUF_SIZE 512u

/* How long a write waits for a transmit buffer before it gives up. */
#define TX_WAIT_US 20000u

static struct virtq rxq, txq;
static uint8_t rx_buf[RX_BUFS][BUF_SIZE] __attribute__((aligned(64)));
static uint8_t tx_buf[TX_BUFS][BUF_SIZE] __attribute__((aligned(64)));

static struct {
	struct virtio_mmio mmio;
	bool up;
	uint16_t tx_free[TX_BUFS], tx_free_count;
	/* The used receive buffer being read: its id, length and read offset. */
	bool rx_held;
	uint16_t rx_id;
	uint32_t rx_len, rx_off;
} con;

static void post_rx(uint16_t id)
{
	rxq.desc[id] = (struct virtq_desc){ .addr = (uintptr_t)rx_buf[id],
					    .len = BUF_SIZE,
					    .flags = VIRTQ_DESC_F_WRITE };
	virtq_offer(&rxq, id);
}

bool virtio_console_init(uintptr_t base, char *err, size_t n)
{
	con.mmio = (struct virtio_mmio){ base, "virtio-console" };
	if (!virtio_mmio_begin(&con.mmio, VIRTIO_ID_CONSOLE, VIRTIO_F_VERSION_1, 0, err, n) ||
	    !virtio_mmio_queue(&con.mmio, RXQ, &rxq, err, n) ||
	    !virtio_mmio_queue(&con.mmio, TXQ, &txq, err, n))
		return false;
	virtq_interrupts(&rxq, false); /* polled by the control CPU */
	virtq_interrupts(&txq, false);
	for (uint16_t i = 0; i < RX_BUFS; i++)
		post_rx(i);
	for (uint16_t i = 0; i < TX_BUFS; i++)
		con.tx_free[i] = i;
	con.tx_free_count = TX_BUFS;
	virtio_mmio_ready(&con.mmio);
	virtio_mmio_kick(&con.mmio, RXQ);
	con.up = true;
	return true;
}

size_t virtio_console_read(void *buf, size_t size)
{
	uint8_t *out = buf;
	size_t done = 0;

	while (con.up && done < size) {
		uint32_t take;

		if (!con.rx_held) {
			uint16_t id;
			uint32_t len;

			if (!virtq_take_used(&rxq, &id, &len))
				break;
			if (id >= RX_BUFS)
				continue; /* a device bug: never touch a buffer it cannot own */
			con.rx_held = true;
			con.rx_id = id;
			con.rx_len = len > BUF_SIZE ? BUF_SIZE : len;
			con.rx_off = 0;
		}
		take = con.rx_len - con.rx_off;
		if (take > size - done)
			take = (uint32_t)(size - done);
		memcpy(out + done, rx_buf[con.rx_id] + con.rx_off, take);
		done += take;
		con.rx_off += take;
		if (con.rx_off == con.rx_len) {
			con.rx_held = false;
			post_rx(con.rx_id);
			virtio_mmio_notify(&con.mmio, RXQ, &rxq);
		}
	}
	return done;
}

static bool take_tx(uint16_t *id)
{
	uint64_t give_up = arch_counter_now() + arch_counter_freq() / 1000000u * TX_WAIT_US;

	for (;;) {
		uint16_t used;
		uint32_t len;

		while (virtq_take_used(&txq, &used, &len))
			if (used < TX_BUFS && con.tx_free_count < TX_BUFS)
				con.tx_free[con.tx_free_count++] = used;
		if (con.tx_free_count) {
			*id = con.tx_free[--con.tx_free_count];
			return true;
		}
		if (arch_counter_now() >= give_up)
			return false;
	}
}

bool virtio_console_write(const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (con.up && len) {
		uint32_t n = len > BUF_SIZE ? BUF_SIZE : (uint32_t)len;
		uint16_t id;

		if (!take_tx(&id))
			return false;
		memcpy(tx_buf[id], p, n);
		txq.desc[id] = (struct virtq_desc){ .addr = (uintptr_t)tx_buf[id], .len = n };
		virtq_offer(&txq, id);
		virtio_mmio_notify(&con.mmio, TXQ, &txq);
		p += n;
		len -= n;
	}
	return con.up;
}
