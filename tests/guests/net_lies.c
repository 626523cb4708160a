/* SPDX-License-Identifier: Apache-2.0 */
/**
 * A guest whose network driver lies about its rings (Virtio 1.1 section
 * 2.6), one lie at a time: more entries available than the queue holds, a
 * descriptor index past the table, a chain that loops, a buffer on the
 * UART's registers, a receive buffer the device may only read. Each time
 * the device must stop (DEVICE_NEEDS_RESET, a configuration-change
 * interrupt status) and take nothing; after a reset an honest frame goes
 * out. Run with a network device (ferry run --lan): the board's own network
 * keeps working throughout (tests/support/lan_lies.py).
 */
#include "tests/guests/rt/guest.h"

const char test_name[] = "net_lies";

#define NET		 0x0a000000ul
#define MAGIC		 0x000
#define VERSION		 0x004
#define DEVICE_ID	 0x008
#define DEVICE_FEATURES	 0x010
#define DEV_FEATURES_SEL 0x014
#define DRV_FEATURES	 0x020
#define DRV_FEATURES_SEL 0x024
#define QUEUE_SEL	 0x030
#define QUEUE_NUM	 0x038
#define QUEUE_READY	 0x044
#define QUEUE_NOTIFY	 0x050
#define INT_STATUS	 0x060
#define INT_ACK		 0x064
#define STATUS		 0x070
#define QUEUE_DESC	 0x080
#define QUEUE_DRIVER	 0x090
#define QUEUE_DEVICE	 0x0a0

#define S_FEATURES_OK 8u
#define S_NEEDS_RESET 64u
#define QN	      8u
#define RX	      0u
#define TX	      1u

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

/* Each queue's rings, page-aligned, in the guest's own RAM. */
static struct {
	struct desc d[QN];
	uint16_t avail[3 + QN];
	uint8_t pad[4096 - QN * sizeof(struct desc) - (3 + QN) * 2];
	uint32_t used[2 + 2 * QN];
} __attribute__((aligned(4096))) q[2];
static uint8_t frame[128] __attribute__((aligned(64)));

static uint32_t rd(unsigned off) { return *(volatile uint32_t *)(NET + off); }
static void wr(unsigned off, uint32_t v) { *(volatile uint32_t *)(NET + off) = v; }

static void setup_queue(unsigned i)
{
	uint64_t desc = (uintptr_t)q[i].d, avail = (uintptr_t)q[i].avail,
		 used = (uintptr_t)q[i].used;

	for (unsigned k = 0; k < sizeof(q[i]); k++)
		((volatile uint8_t *)&q[i])[k] = 0;
	wr(QUEUE_SEL, i);
	wr(QUEUE_NUM, QN);
	wr(QUEUE_DESC, (uint32_t)desc), wr(QUEUE_DESC + 4, (uint32_t)(desc >> 32));
	wr(QUEUE_DRIVER, (uint32_t)avail), wr(QUEUE_DRIVER + 4, (uint32_t)(avail >> 32));
	wr(QUEUE_DEVICE, (uint32_t)used), wr(QUEUE_DEVICE + 4, (uint32_t)(used >> 32));
	wr(QUEUE_READY, 1);
	if (rd(QUEUE_READY) != 1)
		guest_fail("a queue set up as the spec says was refused");
}

/* The initialization of section 3.1.1, to DRIVER_OK. */
static void driver_init(void)
{
	wr(STATUS, 0);
	wr(STATUS, 1), wr(STATUS, 3);
	wr(DEV_FEATURES_SEL, 1);
	if (!(rd(DEVICE_FEATURES) & 1))
		guest_fail("no VERSION_1");
	wr(DRV_FEATURES_SEL, 0), wr(DRV_FEATURES, 1u << 5);
	wr(DRV_FEATURES_SEL, 1), wr(DRV_FEATURES, 1);
	wr(STATUS, 11);
	if (!(rd(STATUS) & S_FEATURES_OK))
		guest_fail("FEATURES_OK refused");
	setup_queue(RX);
	setup_queue(TX);
	wr(STATUS, 15);
}

static void offer(unsigned i, uint16_t head)
{
	q[i].avail[2 + q[i].avail[1] % QN] = head;
	__asm__ volatile("dmb ish" ::: "memory"); /* the entry before its index (2.6.13) */
	q[i].avail[1]++;
	__asm__ volatile("dmb ish" ::: "memory");
	wr(QUEUE_NOTIFY, i);
}

/* The device stops within a second, takes nothing, and says so; then a reset. */
static void expect_stop(const char *lie, unsigned i)
{
	uint64_t give_up = guest_counter() + guest_counter_freq();

	while (!(rd(STATUS) & S_NEEDS_RESET))
		if (guest_counter() > give_up)
			guest_fail("the device went on with a lie");
	if (!(rd(INT_STATUS) & 2))
		guest_fail("no configuration-change interrupt status");
	if (*(volatile uint16_t *)((uintptr_t)q[i].used + 2) != 0)
		guest_fail("the device took an entry of a lying ring");
	guest_printf("%s: DEVICE_NEEDS_RESET\n", lie);
	wr(INT_ACK, 2);
	driver_init();
}

void test_main(unsigned cpu)
{
	uint64_t give_up;

	(void)cpu;
	if (rd(MAGIC) != 0x74726976u || rd(VERSION) != 2 || rd(DEVICE_ID) != 1)
		guest_fail("no virtio-mmio version 2 network device at 0x0a000000");
	driver_init();

	q[TX].avail[1] = QN + 1; /* more available than the queue holds */
	wr(QUEUE_NOTIFY, TX);
	expect_stop("an index past the queue", TX);

	offer(TX, QN); /* a descriptor past the table */
	expect_stop("a descriptor past the table", TX);

	q[TX].d[0] = (struct desc){ (uintptr_t)frame, 16, 1, 1 };
	q[TX].d[1] = (struct desc){ (uintptr_t)frame, 16, 1, 0 };
	offer(TX, 0); /* 0 -> 1 -> 0 ... */
	expect_stop("a chain that loops", TX);

	q[TX].d[0] = (struct desc){ 0x09000000ul, 64, 0, 0 };
	offer(TX, 0); /* the UART's registers as a buffer */
	expect_stop("a buffer outside its RAM", TX);

	q[RX].d[0] = (struct desc){ (uintptr_t)frame, sizeof(frame), 0, 0 };
	offer(RX, 0); /* a receive buffer the device may only read; a frame will come */
	give_up = guest_counter() + 10 * guest_counter_freq();
	while (!(rd(STATUS) & S_NEEDS_RESET))
		if (guest_counter() > give_up)
			guest_fail("no frame came to find the read-only receive buffer");
	expect_stop("a receive buffer the device may only read", RX);

	/* Honest now: a broadcast frame goes out, the device takes it and says so. */
	for (unsigned k = 0; k < sizeof(frame); k++)
		frame[k] = 0;
	for (unsigned k = 0; k < 6; k++)
		frame[12 + k] = 0xff;			      /* after the 12-byte header: dst */
	frame[18] = 0x52, frame[19] = 0x54, frame[23] = 0x56; /* src */
	frame[24] = 0x88, frame[25] = 0xb5;		      /* local experimental EtherType */
	q[TX].d[0] = (struct desc){ (uintptr_t)frame, 12 + 60, 0, 0 };
	offer(TX, 0);
	give_up = guest_counter() + guest_counter_freq();
	while (*(volatile uint16_t *)((uintptr_t)q[TX].used + 2) != 1)
		if (guest_counter() > give_up)
			guest_fail("an honest frame was not taken");
	if (rd(STATUS) & S_NEEDS_RESET)
		guest_fail("the device stopped on an honest frame");
	guest_printf("an honest frame after a reset: taken\n");
	guest_pass();
}
