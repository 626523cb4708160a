/* SPDX-License-Identifier: Apache-2.0 */
/** vGIC interrupt state: reset, lines, routing and SGIs (GICv3 spec chapter 4). */
#include "hyp/vgic.h"

#include <string.h>

void vgic_init(struct vgic_dist *d, unsigned vcpu_count)
{
	memset(d, 0, sizeof(*d));
	d->vcpu_count = vcpu_count > VM_VCPU_MAX ? VM_VCPU_MAX : vcpu_count;
	/* Affinity routing cannot be turned off, DS = 1: single security state. */
	d->ctlr = GICD_CTLR_ARE | GICD_CTLR_DS;
	for (unsigned v = 0; v < VM_VCPU_MAX; v++) {
		d->redist[v].processor_sleep = true;
		d->redist[v].mpidr = v;
		/* SGIs are always edge-triggered (GICv3 spec 12.11.7) */
		for (unsigned i = 0; i < 16; i++)
			d->redist[v].priv[i].edge = true;
	}
}

struct vgic_irq *vgic_irq(struct vgic_dist *d, unsigned vcpu, uint32_t intid)
{
	if (intid < VGIC_PRIVATE_COUNT)
		return vcpu < d->vcpu_count ? &d->redist[vcpu].priv[intid] : NULL;
	if (intid < VGIC_INTID_COUNT)
		return &d->spi[intid - VGIC_PRIVATE_COUNT];
	return NULL;
}

bool vgic_irq_pending(const struct vgic_irq *irq)
{
	return irq->pending_latch || (!irq->edge && irq->line_level);
}

unsigned vgic_spi_target(const struct vgic_dist *d, uint32_t intid)
{
	uint64_t route = d->spi[intid - VGIC_PRIVATE_COUNT].irouter;

	/* IROUTER.Interrupt_Routing_Mode (bit 31): 1-of-N, we choose vCPU 0. */
	if (route & (1ull << 31))
		return 0;
	/* Our vCPUs have Aff0 = index and zero upper affinity. */
	if ((route & 0xff00ffff00ull) == 0 && (route & 0xff) < d->vcpu_count)
		return (unsigned)(route & 0xff);
	return 0;
}

int vgic_set_line(struct vgic_dist *d, unsigned vcpu, uint32_t intid, bool level)
{
	struct vgic_irq *irq = vgic_irq(d, vcpu, intid);
	bool was;

	if (!irq)
		return -1;
	was = vgic_irq_pending(irq);
	if (irq->edge) {
		if (level && !irq->line_level)
			irq->pending_latch = true;
		irq->line_level = level;
	} else {
		irq->line_level = level;
	}
	if (vgic_irq_pending(irq) == was)
		return -1;
	return intid < VGIC_PRIVATE_COUNT ? (int)vcpu : (int)vgic_spi_target(d, intid);
}

void vgic_set_hw(struct vgic_dist *d, unsigned vcpu, uint32_t intid, uint32_t hw_intid)
{
	struct vgic_irq *irq = vgic_irq(d, vcpu, intid);

	if (irq) {
		irq->hw = true;
		irq->hw_intid = (uint16_t)hw_intid;
	}
}

uint32_t vgic_send_sgi(struct vgic_dist *d, unsigned from, uint64_t sgir)
{
	/* ICC_SGI1R_EL1: TargetList [15:0], Aff1 [23:16], INTID [27:24], Aff2 [39:32],
	 * IRM [40], RS [47:44], Aff3 [55:48] */
	uint32_t intid = (uint32_t)((sgir >> 24) & 0xf);
	bool all_but_self = (sgir >> 40) & 1;
	uint64_t upper_aff = (sgir >> 16) & 0xff; /* Aff1 */
	unsigned rs = (unsigned)((sgir >> 44) & 0xf);
	uint32_t hit = 0;

	upper_aff |= ((sgir >> 32) & 0xff) | ((sgir >> 48) & 0xff);
	for (unsigned v = 0; v < d->vcpu_count; v++) {
		bool target;

		if (all_but_self)
			target = v != from;
		else
			target = upper_aff == 0 && v / 16 == rs && ((sgir >> (v % 16)) & 1);
		if (target) {
			d->redist[v].priv[intid].pending_latch = true;
			hit |= 1u << v;
		}
	}
	return hit;
}

static bool group_enabled(const struct vgic_dist *d, const struct vgic_irq *irq)
{
	return d->ctlr & (irq->group1 ? GICD_CTLR_ENABLE_G1 : GICD_CTLR_ENABLE_G0);
}

/** Whether `irq` wants a list register of its vCPU. */
static bool wants_lr(const struct vgic_dist *d, const struct vgic_irq *irq)
{
	return irq->active || (vgic_irq_pending(irq) && irq->enabled && group_enabled(d, irq));
}

bool vgic_vcpu_has_pending(const struct vgic_dist *d, unsigned vcpu)
{
	for (uint32_t i = 0; i < VGIC_INTID_COUNT; i++) {
		const struct vgic_irq *irq = i < VGIC_PRIVATE_COUNT
						     ? &d->redist[vcpu].priv[i]
						     : &d->spi[i - VGIC_PRIVATE_COUNT];

		if (i >= VGIC_PRIVATE_COUNT && vgic_spi_target(d, i) != vcpu)
			continue;
		if (vgic_irq_pending(irq) && irq->enabled && group_enabled(d, irq))
			return true;
	}
	return false;
}

/* ICH_LR<n>_EL2 (GICv3 spec 12.4.8) */
#define LR_STATE_PENDING  (1ull << 62)
#define LR_STATE_ACTIVE	  (2ull << 62)
#define LR_HW		  (1ull << 61)
#define LR_GROUP1	  (1ull << 60)
#define LR_PRIORITY_SHIFT 48
#define LR_PINTID_SHIFT	  32
#define ICH_HCR_EN	  (1u << 0)
#define ICH_HCR_UIE	  (1u << 1)

static uint64_t lr_encode(uint32_t intid, const struct vgic_irq *irq, bool pending)
{
	uint64_t lr = intid | ((uint64_t)irq->priority << LR_PRIORITY_SHIFT);

	if (irq->group1)
		lr |= LR_GROUP1;
	if (pending)
		lr |= LR_STATE_PENDING;
	if (irq->active)
		lr |= LR_STATE_ACTIVE;
	if (irq->hw)
		lr |= LR_HW | ((uint64_t)irq->hw_intid << LR_PINTID_SHIFT);
	return lr;
}

/**
 * Orders candidates for the list registers: active interrupts first (the
 * guest is inside their handlers; without an LR its deactivation would be
 * lost, and a forwarded interrupt would stay active in the physical GIC),
 * then lower priority values, then lower INTIDs.
 */
static bool more_urgent(const struct vgic_irq *a, uint32_t ia, const struct vgic_irq *b,
			uint32_t ib)
{
	if (a->active != b->active)
		return a->active;
	return a->priority < b->priority || (a->priority == b->priority && ia < ib);
}

void vgic_flush_lrs(struct vgic_dist *d, unsigned vcpu, struct vgic_cpu_if *cif, unsigned lr_count)
{
	uint32_t best[VGIC_LR_MAX];
	unsigned used = 0, waiting = 0;

	if (lr_count > VGIC_LR_MAX)
		lr_count = VGIC_LR_MAX;
	for (unsigned n = 0; n < VGIC_LR_MAX; n++)
		cif->ich_lr_el2[n] = 0;
	/*
	 * One pass keeps the lr_count most urgent interrupts in `best`, sorted
	 * (an insertion into at most 16 slots): this runs on every guest entry.
	 */
	for (uint32_t i = 0; i < VGIC_INTID_COUNT; i++) {
		struct vgic_irq *irq = vgic_irq(d, vcpu, i);
		unsigned pos;

		if (!irq || !wants_lr(d, irq))
			continue;
		if (i >= VGIC_PRIVATE_COUNT && vgic_spi_target(d, i) != vcpu)
			continue;
		pos = used;
		while (pos > 0 &&
		       more_urgent(irq, i, vgic_irq(d, vcpu, best[pos - 1]), best[pos - 1]))
			pos--;
		if (pos == lr_count) {
			waiting++;
			continue;
		}
		if (used == lr_count)
			waiting++; /* the least urgent one drops out */
		else
			used++;
		for (unsigned k = used - 1; k > pos; k--)
			best[k] = best[k - 1];
		best[pos] = i;
	}
	for (unsigned n = 0; n < used; n++) {
		struct vgic_irq *irq = vgic_irq(d, vcpu, best[n]);
		bool pending = vgic_irq_pending(irq) && irq->enabled && group_enabled(d, irq);

		/* Never pending and active at once with HW = 1 (GICv3 spec 12.4.8). */
		if (irq->hw && irq->active)
			pending = false;
		cif->ich_lr_el2[n] = lr_encode(best[n], irq, pending);
		irq->lr_pending = false;
		if (pending && irq->hw) {
			irq->line_level = false;
			irq->lr_pending = true;
		} else if (pending && irq->pending_latch) {
			irq->pending_latch = false;
			irq->lr_pending = true;
		}
	}
	cif->ich_hcr_el2 = ICH_HCR_EN | (waiting ? ICH_HCR_UIE : 0);
}

void vgic_sync_lrs(struct vgic_dist *d, unsigned vcpu, struct vgic_cpu_if *cif, unsigned lr_count)
{
	if (lr_count > VGIC_LR_MAX)
		lr_count = VGIC_LR_MAX;
	for (unsigned n = 0; n < lr_count; n++) {
		uint64_t lr = cif->ich_lr_el2[n];
		struct vgic_irq *irq;

		if (!lr)
			continue;
		irq = vgic_irq(d, vcpu, (uint32_t)(lr & 0xffffffffu));
		if (!irq)
			continue;
		irq->active = (lr & LR_STATE_ACTIVE) != 0;
		/*
		 * Still pending in the LR: the state handed over comes back. A
		 * pending state the guest took is gone, and whatever was
		 * asserted since the flush (a new SGI, a new edge) stays.
		 */
		if ((lr & LR_STATE_PENDING) && irq->lr_pending) {
			if (irq->hw)
				irq->line_level = true;
			else
				irq->pending_latch = true;
		}
		irq->lr_pending = false;
		cif->ich_lr_el2[n] = 0;
	}
}

bool vgic_irq_held(struct vgic_dist *d, unsigned vcpu, const struct vgic_cpu_if *cif,
		   unsigned lr_count, uint32_t intid)
{
	const struct vgic_irq *irq = vgic_irq(d, vcpu, intid);

	if (!irq)
		return false;
	if (vgic_irq_pending(irq) || irq->active || irq->lr_pending)
		return true;
	for (unsigned n = 0; n < lr_count && n < VGIC_LR_MAX; n++)
		if ((cif->ich_lr_el2[n] & (LR_STATE_PENDING | LR_STATE_ACTIVE)) &&
		    (uint32_t)(cif->ich_lr_el2[n] & 0xffffffffu) == intid)
			return true;
	return false;
}

bool vgic_lrs_hold_pending(const struct vgic_cpu_if *cif, unsigned lr_count)
{
	for (unsigned n = 0; n < lr_count && n < VGIC_LR_MAX; n++)
		if (cif->ich_lr_el2[n] & LR_STATE_PENDING)
			return true;
	return false;
}
