/* SPDX-License-Identifier: Apache-2.0 */
/** virtio-console on virtio-mmio version 2, see virtio_console.h. */
#include "drivers/virtio_console.h"

#include <string.h>

#include "drivers/virtio_mmio.h"
#include "hyp/arch.h"

/*
 * Queues, Virtio 1.1 section 5.3.2: port 0's receiveq and transmitq, then
 * with MULTIPORT the control queues and port 1's. Without MULTIPORT the
 * channel is port 0; with it, port 1: QEMU reports a client's coming and
 * going only for a serial port (virtserialport), which cannot be port 0.
 */
#define CRXQ	    2u /* control receiveq */
#define CTXQ	    3u /* control transmitq */
#define MGMT_PORT   1u
#define PORT_RXQ(p) ((p) ? 2u + 2u * (p) : 0u)
#define PORT_TXQ(p) (PORT_RXQ(p) + 1u)

/* Virtio 1.1 section 5.3.3: the port-0 console may report who is connected. */
#define VIRTIO_CONSOLE_F_MULTIPORT (1ull << 1)

/* Control messages (struct virtio_console_control, section 5.3.6.2). */
#define CTRL_DEVICE_READY 0u
#define CTRL_PORT_ADD	  1u
#define CTRL_PORT_READY	  3u
#define CTRL_PORT_OPEN	  6u
#define CTRL_BUFS	  4u
#define CTRL_SIZE	  8u

#define RX_BUFS	 8u
#define TX_BUFS	 16u
#define BUF_SIZE 512u

/* How long a write waits for a transmit buffer before it gives up. */
#define TX_WAIT_US 20000u

static struct virtq rxq, txq, crxq, ctxq;
static uint8_t crx_buf[CTRL_BUFS][CTRL_SIZE] __attribute__((aligned(64)));
static uint8_t ctx_buf[CTRL_BUFS][CTRL_SIZE] __attribute__((aligned(64)));
static uint8_t rx_buf[RX_BUFS][BUF_SIZE] __attribute__((aligned(64)));
static uint8_t tx_buf[TX_BUFS][BUF_SIZE] __attribute__((aligned(64)));

static struct {
	struct virtio_mmio mmio;
	bool up;
	bool multiport;			     /**< the device tells when the host side connects */
	bool host_open;			     /**< a client is connected on the host side */
	uint16_t ctx_next;		     /**< the next control transmit buffer (round robin) */
	uint32_t port, rxq_index, txq_index; /**< the channel's port and its queues */
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

static void post_ctrl_rx(uint16_t id)
{
	crxq.desc[id] = (struct virtq_desc){ .addr = (uintptr_t)crx_buf[id],
					     .len = CTRL_SIZE,
					     .flags = VIRTQ_DESC_F_WRITE };
	virtq_offer(&crxq, id);
}

/* Sends a control message about the channel's port. */
static void send_ctrl(uint16_t event, uint16_t value)
{
	uint16_t id = con.ctx_next;
	uint8_t *b = ctx_buf[id];
	uint16_t used;
	uint32_t len;

	while (virtq_take_used(&ctxq, &used, &len))
		;
	con.ctx_next = (uint16_t)((id + 1) % CTRL_BUFS);
	b[0] = (uint8_t)con.port; /* le32 id */
	b[1] = b[2] = b[3] = 0;
	b[4] = (uint8_t)event;
	b[5] = (uint8_t)(event >> 8);
	b[6] = (uint8_t)value;
	b[7] = (uint8_t)(value >> 8);
	ctxq.desc[id] = (struct virtq_desc){ .addr = (uintptr_t)b, .len = CTRL_SIZE };
	virtq_offer(&ctxq, id);
	virtio_mmio_notify(&con.mmio, CTXQ, &ctxq);
}

bool virtio_console_init(uintptr_t base, char *err, size_t n)
{
	uint64_t got;

	con.mmio = (struct virtio_mmio){ base, "virtio-console" };
	got = virtio_mmio_begin(&con.mmio, VIRTIO_ID_CONSOLE, VIRTIO_F_VERSION_1,
				VIRTIO_CONSOLE_F_MULTIPORT, err, n);
	if (!got)
		return false;
	con.multiport = got & VIRTIO_CONSOLE_F_MULTIPORT;
	con.port = con.multiport ? MGMT_PORT : 0;
	con.rxq_index = PORT_RXQ(con.port);
	con.txq_index = PORT_TXQ(con.port);
	if (!virtio_mmio_queue(&con.mmio, con.rxq_index, &rxq, err, n) ||
	    !virtio_mmio_queue(&con.mmio, con.txq_index, &txq, err, n))
		return false;
	if (con.multiport && (!virtio_mmio_queue(&con.mmio, CRXQ, &crxq, err, n) ||
			      !virtio_mmio_queue(&con.mmio, CTXQ, &ctxq, err, n)))
		return false;
	virtq_interrupts(&rxq, false); /* polled by the control CPU */
	virtq_interrupts(&txq, false);
	if (con.multiport) {
		virtq_interrupts(&crxq, false);
		virtq_interrupts(&ctxq, false);
		for (uint16_t i = 0; i < CTRL_BUFS; i++)
			post_ctrl_rx(i);
	}
	for (uint16_t i = 0; i < RX_BUFS; i++)
		post_rx(i);
	for (uint16_t i = 0; i < TX_BUFS; i++)
		con.tx_free[i] = i;
	con.tx_free_count = TX_BUFS;
	virtio_mmio_ready(&con.mmio);
	virtio_mmio_kick(&con.mmio, con.rxq_index);
	if (con.multiport) {
		virtio_mmio_kick(&con.mmio, CRXQ);
		send_ctrl(CTRL_DEVICE_READY,
			  1); /* section 5.3.6.2: then the device adds its ports */
	}
	/* Without MULTIPORT nobody says who is there: a client is assumed. */
	con.host_open = !con.multiport;
	con.up = true;
	return true;
}

int virtio_console_poll_host(void)
{
	int change = 0;
	uint16_t id;
	uint32_t len;

	while (con.up && con.multiport && virtq_take_used(&crxq, &id, &len)) {
		const uint8_t *b;
		uint32_t port;
		uint16_t event, value;

		if (id >= CTRL_BUFS)
			continue; /* a device bug: never touch a buffer it cannot own */
		b = crx_buf[id];
		port = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
		       (uint32_t)b[3] << 24;
		event = (uint16_t)(b[4] | b[5] << 8);
		value = (uint16_t)(b[6] | b[7] << 8);
		post_ctrl_rx(id);
		virtio_mmio_notify(&con.mmio, CRXQ, &crxq);
		if (len < CTRL_SIZE || port != con.port)
			continue; /* only the channel's port is Ferry's */
		if (event == CTRL_PORT_ADD) {
			send_ctrl(CTRL_PORT_READY, 1);
			send_ctrl(CTRL_PORT_OPEN, 1); /* this side listens from now on */
		} else if (event == CTRL_PORT_OPEN && (value != 0) != con.host_open) {
			con.host_open = value != 0;
			change = con.host_open ? 1 : -1;
		}
	}
	return change;
}

bool virtio_console_host_open(void) { return con.up && con.host_open; }

bool virtio_console_tells_host(void) { return con.up && con.multiport; }

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
			virtio_mmio_notify(&con.mmio, con.rxq_index, &rxq);
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
		virtio_mmio_notify(&con.mmio, con.txq_index, &txq);
		p += n;
		len -= n;
	}
	return con.up;
}
