/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The guest's virtio-net device (hyp/vnet.c, hyp/vnet_queue.c) driven as
 * a guest's driver would: the initialization of Virtio 1.1 section 3.1.1
 * through its registers, frames both ways through split rings in a fake
 * guest RAM, and a driver that lies about its rings in each way it can:
 * the device stops (DEVICE_NEEDS_RESET) and touches nothing outside RAM.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hyp/vnet.h"

#define RAM_IPA	  0x40000000ull
#define RAM_BYTES (1u << 20)
#define QN	  8u /* queue size the driver picks */

/* Where the driver keeps its rings and buffers, per queue. */
#define DESC(q)	 (RAM_IPA + 0x1000ull + (q)*0x1000ull)
#define AVAIL(q) (DESC(q) + 16u * QN)
#define USED(q)	 (RAM_IPA + 0x4000ull + (q)*0x1000ull)
#define BUF(i)	 (RAM_IPA + 0x10000ull + (i)*0x800ull)

static uint8_t ram[RAM_BYTES];
static uint64_t later_from; /* a page from here on "is not here yet"; 0: all are */
static unsigned writes;	    /* ranges mapped for writing */

static enum vnet_mem_status map(void *ctx, uint64_t ipa, uint64_t len, bool write, void **host)
{
	(void)ctx;
	if (ipa < RAM_IPA || ipa - RAM_IPA > RAM_BYTES || len > RAM_BYTES - (ipa - RAM_IPA))
		return VNET_MEM_BAD;
	if (later_from && ipa + len > later_from)
		return VNET_MEM_LATER;
	writes += write;
	*host = ram + (ipa - RAM_IPA);
	return VNET_MEM_OK;
}

/* What the device reported written after writing it: the ranges, in order. */
static struct {
	uint64_t ipa, len;
} wrote[8];
static unsigned wrote_count;

static void written(void *ctx, uint64_t ipa, uint64_t len)
{
	(void)ctx;
	if (wrote_count < 8)
		wrote[wrote_count].ipa = ipa, wrote[wrote_count].len = len;
	wrote_count++;
}

static const struct vnet_mem mem = { NULL, map, written };
static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static struct vnet dev;

static void *at(uint64_t ipa) { return ram + (ipa - RAM_IPA); }

static uint32_t rd(uint64_t off, unsigned size)
{
	struct mmio_access a = { .offset = off, .size = size };

	assert_true(vnet_mmio(&dev, &a));
	return (uint32_t)a.value;
}

static void wr(uint64_t off, uint32_t v)
{
	struct mmio_access a = { .offset = off, .size = 4, .write = true, .value = v };

	assert_true(vnet_mmio(&dev, &a));
}

static void queue_setup(unsigned q)
{
	wr(0x030, q);
	assert_int_equal(rd(0x034, 4), VNET_QUEUE_MAX);
	wr(0x038, QN);
	wr(0x080, (uint32_t)DESC(q)), wr(0x084, 0);
	wr(0x090, (uint32_t)AVAIL(q)), wr(0x094, 0);
	wr(0x0a0, (uint32_t)USED(q)), wr(0x0a4, 0);
	wr(0x044, 1);
	assert_int_equal(rd(0x044, 4), 1);
}

/* The driver's side of section 3.1.1, to DRIVER_OK. */
static void driver_init(void)
{
	assert_int_equal(rd(0x000, 4), 0x74726976u);
	assert_int_equal(rd(0x004, 4), 2);
	assert_int_equal(rd(0x008, 4), 1);
	wr(0x070, 0);
	wr(0x070, 1), wr(0x070, 3);
	wr(0x014, 1);
	assert_int_equal(rd(0x010, 4), 1); /* VERSION_1 */
	wr(0x014, 0);
	assert_int_equal(rd(0x010, 4), 1u << 5); /* MAC */
	wr(0x024, 0), wr(0x020, 1u << 5);
	wr(0x024, 1), wr(0x020, 1);
	wr(0x070, 11);
	assert_int_equal(rd(0x070, 4) & 8, 8);
	queue_setup(VNET_RX);
	queue_setup(VNET_TX);
	wr(0x070, 15);
	assert_true(vnet_live(&dev));
}

static int setup(void **state)
{
	(void)state;
	memset(ram, 0, sizeof(ram));
	later_from = 0;
	writes = 0;
	wrote_count = 0;
	vnet_init(&dev, mac);
	driver_init();
	return 0;
}

static void set_desc(unsigned q, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
		     uint16_t next)
{
	uint8_t *d = at(DESC(q) + 16u * i);

	memcpy(d, &addr, 8), memcpy(d + 8, &len, 4), memcpy(d + 12, &flags, 2);
	memcpy(d + 14, &next, 2);
}

static void offer(unsigned q, uint16_t head)
{
	uint16_t *avail = at(AVAIL(q));

	avail[2 + avail[1] % QN] = head;
	avail[1]++;
}

static uint16_t used_idx(unsigned q) { return ((uint16_t *)at(USED(q)))[1]; }
static uint32_t used_id(unsigned q, unsigned k) { return ((uint32_t *)at(USED(q)))[1 + 2 * k]; }
static uint32_t used_len(unsigned q, unsigned k) { return ((uint32_t *)at(USED(q)))[2 + 2 * k]; }

static uint8_t sent[4][VNET_FRAME_MAX];
static size_t sent_len[4];
static unsigned sent_count, send_room = 4;

static bool send(void *ctx, const uint8_t *frame, size_t len)
{
	(void)ctx;
	if (sent_count >= send_room)
		return false;
	memcpy(sent[sent_count], frame, len);
	sent_len[sent_count++] = len;
	return true;
}

/* A frame of `len` bytes split over two descriptors, the header in the first. */
static void queue_tx_frame(uint16_t head, size_t len, uint8_t fill)
{
	set_desc(VNET_TX, head, BUF(head), VNET_HDR_BYTES, 1, (uint16_t)(head + 1));
	set_desc(VNET_TX, head + 1u, BUF(head + 1u), (uint32_t)len, 0, 0);
	memset(at(BUF(head + 1u)), fill, len);
	offer(VNET_TX, head);
}

static void test_config_space_is_the_mac(void **state)
{
	(void)state;
	for (unsigned i = 0; i < 6; i++)
		assert_int_equal(rd(0x100 + i, 1), mac[i]);
	assert_int_equal(rd(0x100, 4), 0x12005452u);
	assert_int_equal(rd(0x104, 2), 0x5634);
}

static void test_transmit_in_order(void **state)
{
	(void)state;
	sent_count = 0, send_room = 4;
	queue_tx_frame(0, 60, 0xa1);
	queue_tx_frame(2, VNET_FRAME_MAX, 0xb2);
	wr(0x050, VNET_TX);
	assert_true(dev.kicked[VNET_TX]);
	assert_int_equal(vnet_tx(&dev, &mem, send, NULL), 2);
	assert_int_equal(sent_count, 2);
	assert_int_equal(sent_len[0], 60);
	assert_int_equal(sent[0][59], 0xa1);
	assert_int_equal(sent_len[1], VNET_FRAME_MAX);
	assert_int_equal(sent[1][0], 0xb2);
	assert_int_equal(used_idx(VNET_TX), 2);
	assert_int_equal(used_id(VNET_TX, 0), 0);
	assert_int_equal(used_id(VNET_TX, 1), 2);
	assert_true(vnet_irq_level(&dev));
	wr(0x064, VNET_ISR_USED);
	assert_false(vnet_irq_level(&dev));
	assert_false(dev.kicked[VNET_TX]);
}

static void test_transmit_waits_for_room(void **state)
{
	(void)state;
	sent_count = 0, send_room = 1;
	queue_tx_frame(0, 60, 1);
	queue_tx_frame(2, 60, 2);
	assert_int_equal(vnet_tx(&dev, &mem, send, NULL), 1);
	assert_true(dev.kicked[VNET_TX]); /* the second is still the guest's */
	assert_int_equal(used_idx(VNET_TX), 1);
	send_room = 4;
	assert_int_equal(vnet_tx(&dev, &mem, send, NULL), 1);
	assert_int_equal(sent[1][0], 2);
	assert_int_equal(used_idx(VNET_TX), 2);
}

static void test_too_long_frame_is_dropped(void **state)
{
	(void)state;
	sent_count = 0, send_room = 4;
	queue_tx_frame(0, VNET_FRAME_MAX + 1, 3);
	queue_tx_frame(2, 60, 4);
	assert_int_equal(vnet_tx(&dev, &mem, send, NULL), 2);
	assert_int_equal(sent_count, 1);
	assert_int_equal(sent[0][0], 4);
	assert_int_equal(dev.stats.tx_dropped, 1);
	assert_true(vnet_live(&dev));
}

/* One call serves at most a queue's worth: a guest refilling as fast keeps no CPU. */
static void test_transmit_bounded(void **state)
{
	(void)state;
	sent_count = 0, send_room = 4;
	for (uint16_t i = 0; i < QN; i++) {
		set_desc(VNET_TX, i, BUF(i), VNET_HDR_BYTES + VNET_FRAME_MAX + 1, 0,
			 0); /* dropped */
		offer(VNET_TX, i);
	}
	assert_int_equal(vnet_tx(&dev, &mem, send, NULL), QN);
	assert_true(dev.kicked[VNET_TX]); /* the rest, if any, next time */
	assert_int_equal(dev.stats.tx_dropped, QN);
}

/* A descriptor too long for a frame is dropped unread: no work sized by its length. */
static void test_too_long_is_not_touched(void **state)
{
	(void)state;
	sent_count = 0;
	set_desc(VNET_TX, 0, BUF(0), RAM_BYTES - 0x10000u, 0, 0);
	offer(VNET_TX, 0);
	later_from = BUF(0); /* none of it here: a read would have to wait */
	assert_int_equal(vnet_tx(&dev, &mem, send, NULL), 1);
	assert_int_equal(dev.stats.tx_dropped, 1);
	assert_int_equal(sent_count, 0);
}

static void test_receive(void **state)
{
	uint8_t frame[100];

	(void)state;
	assert_int_equal(vnet_rx(&dev, &mem, frame, sizeof(frame)), VNET_RX_NO_BUFFER);
	set_desc(VNET_RX, 0, BUF(0), VNET_HDR_BYTES + VNET_FRAME_MAX, 2, 0);
	memset(at(BUF(0)), 0xee, 64);
	offer(VNET_RX, 0);
	for (unsigned i = 0; i < sizeof(frame); i++)
		frame[i] = (uint8_t)i;
	assert_int_equal(vnet_rx(&dev, &mem, frame, sizeof(frame)), VNET_RX_DELIVERED);
	assert_int_equal(used_idx(VNET_RX), 1);
	assert_int_equal(used_len(VNET_RX, 0), VNET_HDR_BYTES + sizeof(frame));
	assert_int_equal(((uint8_t *)at(BUF(0)))[0], 0);  /* flags: none */
	assert_int_equal(((uint8_t *)at(BUF(0)))[10], 1); /* num_buffers */
	assert_memory_equal((uint8_t *)at(BUF(0)) + VNET_HDR_BYTES, frame, sizeof(frame));
	/* Reported written: the buffer's bytes, then the used ring (for a migration's log). */
	assert_int_equal(wrote_count, 2);
	assert_true(wrote[0].ipa == BUF(0) && wrote[0].len == VNET_HDR_BYTES + sizeof(frame));
	assert_true(wrote[1].ipa == USED(VNET_RX) && wrote[1].len == 6u + 8u * QN);
	assert_true(vnet_irq_level(&dev));
	assert_int_equal(vnet_rx(&dev, &mem, frame, sizeof(frame)), VNET_RX_NO_BUFFER);
}

/* A buffer split in two, and one too small, which goes back empty. */
static void test_receive_scattered_and_short(void **state)
{
	uint8_t frame[300];

	(void)state;
	memset(frame, 7, sizeof(frame));
	set_desc(VNET_RX, 0, BUF(0), 100, 3, 1);
	set_desc(VNET_RX, 1, BUF(1), 1500, 2, 0);
	offer(VNET_RX, 0);
	set_desc(VNET_RX, 2, BUF(2), 50, 2, 0);
	offer(VNET_RX, 2);
	assert_int_equal(vnet_rx(&dev, &mem, frame, sizeof(frame)), VNET_RX_DELIVERED);
	assert_int_equal(((uint8_t *)at(BUF(1)))[300 + VNET_HDR_BYTES - 100 - 1], 7);
	assert_int_equal(vnet_rx(&dev, &mem, frame, sizeof(frame)), VNET_RX_DROPPED);
	assert_int_equal(used_idx(VNET_RX), 2);
	assert_int_equal(used_len(VNET_RX, 1), 0);
	assert_true(vnet_live(&dev));
}

/* A page not here yet (postcopy): nothing taken, nothing lost, all of it later. */
static void test_missing_page_waits(void **state)
{
	uint8_t frame[60] = { 9 };

	(void)state;
	sent_count = 0, send_room = 4;
	queue_tx_frame(0, 60, 5);
	later_from = BUF(1) & ~0xfffull;
	assert_int_equal(vnet_tx(&dev, &mem, send, NULL), 0);
	assert_true(dev.kicked[VNET_TX]);
	set_desc(VNET_RX, 0, BUF(2), 1526, 2, 0);
	offer(VNET_RX, 0);
	assert_int_equal(vnet_rx(&dev, &mem, frame, sizeof(frame)), VNET_RX_NO_BUFFER);
	later_from = 0;
	assert_int_equal(vnet_tx(&dev, &mem, send, NULL), 1);
	assert_int_equal(vnet_rx(&dev, &mem, frame, sizeof(frame)), VNET_RX_DELIVERED);
	assert_true(vnet_live(&dev));
}

static void assert_broken(void)
{
	assert_false(vnet_live(&dev));
	assert_int_equal(rd(0x070, 4) & VNET_S_NEEDS_RESET, VNET_S_NEEDS_RESET);
	assert_int_equal(rd(0x060, 4) & VNET_ISR_CONFIG, VNET_ISR_CONFIG);
	/* and stays so: nothing more is taken until a reset */
	sent_count = 0;
	assert_int_equal(vnet_tx(&dev, &mem, send, NULL), 0);
	wr(0x070, 0);
	assert_int_equal(rd(0x070, 4), 0);
	assert_int_equal(rd(0x060, 4), 0);
	driver_init();
}

static void test_lie_avail_idx(void **state)
{
	(void)state;
	((uint16_t *)at(AVAIL(VNET_TX)))[1] = QN + 1; /* more than the queue holds */
	vnet_tx(&dev, &mem, send, NULL);
	assert_broken();
}

static void test_lie_desc_index(void **state)
{
	(void)state;
	offer(VNET_TX, QN); /* past the table */
	vnet_tx(&dev, &mem, send, NULL);
	assert_broken();
}

static void test_lie_chain_loops(void **state)
{
	(void)state;
	set_desc(VNET_TX, 0, BUF(0), 1, 1, 1);
	set_desc(VNET_TX, 1, BUF(1), 1, 1, 0);
	offer(VNET_TX, 0);
	vnet_tx(&dev, &mem, send, NULL);
	assert_broken();
}

static void test_lie_buffer_outside_ram(void **state)
{
	uint8_t frame[60] = { 0 };

	(void)state;
	set_desc(VNET_RX, 0, RAM_IPA + RAM_BYTES - 16, 1526, 2, 0); /* runs past RAM's end */
	offer(VNET_RX, 0);
	assert_int_equal(vnet_rx(&dev, &mem, frame, sizeof(frame)), VNET_RX_DROPPED);
	assert_broken();
	set_desc(VNET_TX, 0, 0x09000000ull, 64, 0, 0); /* the UART's registers */
	offer(VNET_TX, 0);
	vnet_tx(&dev, &mem, send, NULL);
	assert_broken();
}

static void test_lie_directions(void **state)
{
	uint8_t frame[60] = { 0 };

	(void)state;
	set_desc(VNET_TX, 0, BUF(0), 64, 2, 0); /* a transmit buffer for the device to write */
	offer(VNET_TX, 0);
	vnet_tx(&dev, &mem, send, NULL);
	assert_broken();
	set_desc(VNET_RX, 0, BUF(0), 1526, 0, 0); /* a receive buffer it may only read */
	offer(VNET_RX, 0);
	vnet_rx(&dev, &mem, frame, sizeof(frame));
	assert_broken();
	set_desc(VNET_TX, 0, BUF(0), 64, 4, 0); /* indirect, never offered */
	offer(VNET_TX, 0);
	vnet_tx(&dev, &mem, send, NULL);
	assert_broken();
}

static void test_rings_outside_ram(void **state)
{
	(void)state;
	wr(0x030, VNET_TX);
	wr(0x044, 0);
	wr(0x080, 0x10000000u); /* below RAM */
	wr(0x044, 1);
	offer(VNET_TX, 0);
	vnet_tx(&dev, &mem, send, NULL);
	assert_broken();
}

static void test_queue_set_up_refused(void **state)
{
	(void)state;
	wr(0x030, VNET_RX);
	wr(0x044, 0);
	wr(0x038, 3); /* not a power of two */
	wr(0x044, 1);
	assert_int_equal(rd(0x044, 4), 0);
	wr(0x038, 2 * VNET_QUEUE_MAX);
	wr(0x044, 1);
	assert_int_equal(rd(0x044, 4), 0);
	wr(0x038, QN);
	wr(0x080, (uint32_t)DESC(0) + 8); /* misaligned */
	wr(0x044, 1);
	assert_int_equal(rd(0x044, 4), 0);
	wr(0x030, 2); /* no such queue */
	assert_int_equal(rd(0x034, 4), 0);
}

static void test_features_refused(void **state)
{
	(void)state;
	wr(0x070, 0);
	wr(0x070, 3);
	wr(0x024, 0), wr(0x020, 1u << 5 | 1u << 0); /* CSUM, never offered */
	wr(0x024, 1), wr(0x020, 1);
	wr(0x070, 11);
	assert_int_equal(rd(0x070, 4) & 8, 0);
	wr(0x070, 0);
	wr(0x070, 3);
	wr(0x024, 1), wr(0x020, 0); /* no VERSION_1: a legacy driver */
	wr(0x070, 11);
	assert_int_equal(rd(0x070, 4) & 8, 0);
	wr(0x070, 15); /* going on regardless: the queues stay unused */
	assert_false(vnet_live(&dev));
}

static void test_accesses_refused(void **state)
{
	struct mmio_access a = { .offset = 0x70, .size = 2 };

	(void)state;
	assert_false(vnet_mmio(&dev, &a)); /* registers are 32-bit */
	a = (struct mmio_access){ .offset = 0x71, .size = 4 };
	assert_false(vnet_mmio(&dev, &a));
	a = (struct mmio_access){ .offset = 0x200, .size = 4 };
	assert_false(vnet_mmio(&dev, &a));
	a = (struct mmio_access){ .offset = 0x100, .size = 8 };
	assert_false(vnet_mmio(&dev, &a));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_config_space_is_the_mac, setup),
		cmocka_unit_test_setup(test_transmit_in_order, setup),
		cmocka_unit_test_setup(test_transmit_waits_for_room, setup),
		cmocka_unit_test_setup(test_too_long_frame_is_dropped, setup),
		cmocka_unit_test_setup(test_transmit_bounded, setup),
		cmocka_unit_test_setup(test_too_long_is_not_touched, setup),
		cmocka_unit_test_setup(test_receive, setup),
		cmocka_unit_test_setup(test_receive_scattered_and_short, setup),
		cmocka_unit_test_setup(test_missing_page_waits, setup),
		cmocka_unit_test_setup(test_lie_avail_idx, setup),
		cmocka_unit_test_setup(test_lie_desc_index, setup),
		cmocka_unit_test_setup(test_lie_chain_loops, setup),
		cmocka_unit_test_setup(test_lie_buffer_outside_ram, setup),
		cmocka_unit_test_setup(test_lie_directions, setup),
		cmocka_unit_test_setup(test_rings_outside_ram, setup),
		cmocka_unit_test_setup(test_queue_set_up_refused, setup),
		cmocka_unit_test_setup(test_features_refused, setup),
		cmocka_unit_test_setup(test_accesses_refused, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
