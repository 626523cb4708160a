/* SPDX-License-Identifier: Apache-2.0 */
/** Split virtqueues, see virtqueue.h. */
#include "drivers/virtqueue.h"

/*
 * Ordering (Virtio 1.1 section 2.6.13): the descriptor and its ring entry
 * are visible before the index that publishes them; the used index is read
 * before the entries it covers. Inner-shareable barriers: the device is
 * another observer of normal memory.
 */
#define dmb_ish() __asm__ volatile("dmb ish" ::: "memory")

void virtq_offer(struct virtq *q, uint16_t id)
{
	q->avail.ring[q->avail.idx % VIRTQ_SIZE] = id;
	dmb_ish();
	*(volatile uint16_t *)&q->avail.idx = (uint16_t)(q->avail.idx + 1);
	q->in_flight++;
}

bool virtq_take_used(struct virtq *q, uint16_t *id, uint32_t *len)
{
	uint16_t used_idx = *(volatile uint16_t *)&q->used.idx;

	if (used_idx == q->last_used)
		return false;
	dmb_ish();
	*id = (uint16_t)q->used.ring[q->last_used % VIRTQ_SIZE].id;
	*len = q->used.ring[q->last_used % VIRTQ_SIZE].len;
	q->last_used++;
	q->in_flight--;
	return true;
}

bool virtq_need_notify(struct virtq *q)
{
	uint16_t new_idx = q->avail.idx, old_idx = q->notified_idx;
	bool need;

	/* The new index is visible before the device's wish is read (section 2.6.13.6). */
	__asm__ volatile("dmb ish" ::: "memory");
	if (q->event_idx) {
		uint16_t event = *(const volatile uint16_t *)&q->used.avail_event;

		/* vring_need_event: the device wants a kick once idx passes event. */
		need = (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old_idx);
	} else {
		need = !(*(const volatile uint16_t *)&q->used.flags & VIRTQ_USED_F_NO_NOTIFY);
	}
	if (need)
		q->notified_idx = new_idx;
	return need;
}

void virtq_interrupts(struct virtq *q, bool on)
{
	if (q->event_idx)
		/* used_event: interrupt when the used index passes it; behind us: never. */
		*(volatile uint16_t *)&q->avail.used_event =
			on ? q->last_used : (uint16_t)(q->last_used - 1);
	else
		*(volatile uint16_t *)&q->avail.flags =
			(uint16_t)(on ? 0 : VIRTQ_AVAIL_F_NO_INTERRUPT);
	__asm__ volatile("dmb ish" ::: "memory");
}
