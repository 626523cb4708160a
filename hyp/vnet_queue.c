/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The guest's virtio-net queues, see vnet.h: split virtqueues (Virtio 1.1
 * section 2.6) read and written in the guest's RAM. What the guest wrote
 * there is read once into the device's own copy before it is checked and
 * used: the driver may rewrite its rings at any time.
 */
#include <string.h>

#include "hyp/vnet.h"

#define DESC_F_NEXT	     1u
#define DESC_F_WRITE	     2u
#define DESC_F_INDIRECT	     4u /* not offered (VIRTIO_F_INDIRECT_DESC): a lie */
#define AVAIL_F_NO_INTERRUPT 1u

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

/* The three parts of a queue, mapped for this pass. */
struct rings {
	const volatile struct desc *desc;
	volatile uint16_t *avail; /* flags, idx, ring[num] */
	volatile uint32_t *used;  /* flags|idx, then { id, len } x num */
};

static enum vnet_mem_status map_rings(const struct vnet_queue *q, const struct vnet_mem *m,
				      struct rings *r)
{
	void *p[3];
	enum vnet_mem_status st;

	if ((st = m->map(m->ctx, q->desc, 16ull * q->num, false, &p[0])) != VNET_MEM_OK ||
	    (st = m->map(m->ctx, q->avail, 6ull + 2ull * q->num, false, &p[1])) != VNET_MEM_OK ||
	    (st = m->map(m->ctx, q->used, 6ull + 8ull * q->num, true, &p[2])) != VNET_MEM_OK)
		return st;
	r->desc = p[0], r->avail = p[1], r->used = p[2];
	return VNET_MEM_OK;
}

/*
 * The guest broke the rules (section 2.1.2): the device stops using the
 * queues until the driver resets it, and says so with a configuration
 * change notification.
 */
static void broken(struct vnet *n)
{
	n->status |= VNET_S_NEEDS_RESET;
	n->isr |= VNET_ISR_CONFIG;
}

/* Entries the driver made available and the device has not taken; more than the queue holds is a
 * lie. */
static int pending(const struct vnet_queue *q, const struct rings *r)
{
	uint16_t idx = __atomic_load_n(&r->avail[1], __ATOMIC_ACQUIRE);
	uint16_t n = (uint16_t)(idx - q->last_avail);

	return n > q->num ? -1 : n;
}

static void push_used(struct vnet *n, struct vnet_queue *q, const struct rings *r,
		      const struct vnet_mem *m, uint16_t head, uint32_t len)
{
	volatile uint32_t *e = &r->used[1 + 2 * (q->used_idx % q->num)];

	e[0] = head;
	e[1] = len;
	q->used_idx++;
	q->last_avail++;
	/* The entry before its index (section 2.6.8.2); idx is the upper half of the first word. */
	__atomic_store_n((volatile uint16_t *)r->used + 1, q->used_idx, __ATOMIC_RELEASE);
	if (m->written)
		m->written(m->ctx, q->used, 6ull + 8ull * q->num);
	/*
	 * The index stored before the driver's flag is read (a store-load
	 * order: a release alone does not give it): a driver that clears
	 * NO_INTERRUPT, then looks at the used index again (Linux's
	 * virtqueue_enable_cb), sees this entry or gets the interrupt.
	 */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!(r->avail[0] & AVAIL_F_NO_INTERRUPT))
		n->isr |= VNET_ISR_USED;
}

/*
 * Walks the chain from `head`, calling `each` for every buffer: at most
 * `num` descriptors (a longer chain loops), each index in the table, none
 * indirect, each buffer wholly in RAM. Returns the map's verdict.
 */
typedef enum vnet_mem_status (*buffer_fn)(void *ctx, const struct desc *d);
static enum vnet_mem_status walk(const struct vnet_queue *q, const struct rings *r, uint16_t head,
				 buffer_fn each, void *ctx)
{
	uint16_t i = head;

	for (uint32_t seen = 0; seen < q->num; seen++) {
		struct desc d;
		enum vnet_mem_status st;

		if (i >= q->num)
			return VNET_MEM_BAD;
		d.addr = r->desc[i].addr;
		d.len = r->desc[i].len;
		d.flags = r->desc[i].flags;
		d.next = r->desc[i].next;
		if (d.flags & DESC_F_INDIRECT)
			return VNET_MEM_BAD;
		if ((st = each(ctx, &d)) != VNET_MEM_OK)
			return st;
		if (!(d.flags & DESC_F_NEXT))
			return VNET_MEM_OK;
		i = d.next;
	}
	return VNET_MEM_BAD;
}

struct gather {
	const struct vnet_mem *m;
	uint8_t *buf;
	size_t len, cap;
	bool too_long;
};

/* Transmit buffers are the driver's to fill: read-only for the device (section 2.6.5). */
static enum vnet_mem_status gather_one(void *ctx, const struct desc *d)
{
	struct gather *g = ctx;
	enum vnet_mem_status st;
	void *p;

	if (d->flags & DESC_F_WRITE)
		return VNET_MEM_BAD;
	/* Before any work sized by the guest's lengths: a frame this long is only dropped. */
	if (g->too_long || d->len > g->cap - g->len) {
		g->too_long = true;
		return VNET_MEM_OK;
	}
	if ((st = g->m->map(g->m->ctx, d->addr, d->len, false, &p)) != VNET_MEM_OK)
		return st;
	memcpy(g->buf + g->len, p, d->len);
	g->len += d->len;
	return VNET_MEM_OK;
}

unsigned vnet_tx(struct vnet *n, const struct vnet_mem *m, vnet_send_fn send, void *ctx)
{
	static uint8_t frame[VNET_HDR_BYTES + VNET_FRAME_MAX]; /* under the VM's lock */
	struct vnet_queue *q = &n->q[VNET_TX];
	struct rings r;
	unsigned taken = 0;
	enum vnet_mem_status st;
	int left = 0;

	n->kicked[VNET_TX] = false;
	if (!vnet_live(n) || !q->ready)
		return 0;
	if ((st = map_rings(q, m, &r)) != VNET_MEM_OK)
		goto stop;
	/* At most a queue's worth per call: a guest refilling it as fast keeps no CPU here. */
	while (taken < q->num && (left = pending(q, &r)) > 0) {
		uint16_t head = r.avail[2 + q->last_avail % q->num];
		struct gather g = { .m = m, .buf = frame, .cap = sizeof(frame) };

		if ((st = walk(q, &r, head, gather_one, &g)) != VNET_MEM_OK)
			goto stop;
		if (g.too_long || g.len <= VNET_HDR_BYTES) {
			/* No offloads: nothing this long or short is a frame. */
			n->stats.tx_dropped++;
		} else if (!send(ctx, frame + VNET_HDR_BYTES, g.len - VNET_HDR_BYTES)) {
			n->kicked[VNET_TX] = true; /* the back end is full: this frame next time */
			break;
		} else {
			n->stats.tx_frames++;
		}
		push_used(n, q, &r, m, head, 0);
		taken++;
	}
	if (taken == q->num)
		n->kicked[VNET_TX] = true; /* more may be there: the next call */
	if (left < 0)
		broken(n);
	return taken;
stop:
	if (st == VNET_MEM_BAD)
		broken(n);
	else
		n->kicked[VNET_TX] = true; /* a page not here yet: again when it is */
	return taken;
}

struct scatter {
	const struct vnet_mem *m;
	const uint8_t *src;
	size_t len, done;
};

/* Receive buffers are the device's to fill: write-only for it (section 2.6.5). */
static enum vnet_mem_status scatter_one(void *ctx, const struct desc *d)
{
	struct scatter *s = ctx;
	enum vnet_mem_status st;
	size_t take;
	void *p;

	if (!(d->flags & DESC_F_WRITE))
		return VNET_MEM_BAD;
	take = s->len - s->done < d->len ? s->len - s->done : d->len;
	if (!take)
		return VNET_MEM_OK;
	if ((st = s->m->map(s->m->ctx, d->addr, take, true, &p)) != VNET_MEM_OK)
		return st;
	memcpy(p, s->src + s->done, take);
	if (s->m->written)
		s->m->written(s->m->ctx, d->addr, take);
	s->done += take;
	return VNET_MEM_OK;
}

enum vnet_rx_result vnet_rx(struct vnet *n, const struct vnet_mem *m, const uint8_t *frame,
			    size_t len)
{
	static uint8_t buf[VNET_HDR_BYTES + VNET_FRAME_MAX]; /* under the VM's lock */
	struct vnet_queue *q = &n->q[VNET_RX];
	struct scatter s = { .m = m, .src = buf, .len = VNET_HDR_BYTES + len };
	enum vnet_mem_status st;
	struct rings r;
	uint16_t head;
	int left;

	if (!vnet_live(n) || !q->ready || len > VNET_FRAME_MAX || !len)
		return VNET_RX_DROPPED;
	if ((st = map_rings(q, m, &r)) != VNET_MEM_OK)
		goto stop;
	if ((left = pending(q, &r)) <= 0) {
		if (left < 0)
			broken(n);
		n->stats.rx_no_buffer += left == 0;
		return left < 0 ? VNET_RX_DROPPED : VNET_RX_NO_BUFFER;
	}
	/* No offloads, one buffer per frame: the header is all zero but num_buffers (5.1.6.4). */
	memset(buf, 0, VNET_HDR_BYTES);
	buf[10] = 1;
	memcpy(buf + VNET_HDR_BYTES, frame, len);
	head = r.avail[2 + q->last_avail % q->num];
	if ((st = walk(q, &r, head, scatter_one, &s)) != VNET_MEM_OK)
		goto stop;
	if (s.done < s.len) {
		/* A buffer too small for this frame goes back empty: the driver counts an error. */
		push_used(n, q, &r, m, head, 0);
		return VNET_RX_DROPPED;
	}
	push_used(n, q, &r, m, head, (uint32_t)s.len);
	n->stats.rx_frames++;
	return VNET_RX_DELIVERED;
stop:
	if (st == VNET_MEM_BAD) {
		broken(n);
		return VNET_RX_DROPPED;
	}
	return VNET_RX_NO_BUFFER;
}
