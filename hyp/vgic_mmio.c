/* SPDX-License-Identifier: Apache-2.0 */
/**
 * vGIC register emulation, table-driven (after Bao's vgic handler table):
 * one row per group of per-interrupt registers, shared by the distributor
 * (SPIs) and the redistributors' SGI frames (SGIs and PPIs), plus the few
 * whole registers of each frame.
 */
#include "hyp/vgic_mmio.h"

#include <stddef.h>

#define VGIC_PIDR2 0x3bu /* ArchRev 3: GICv3 */
#define OFF_PIDR2  0xffe8u

/* Per-interrupt fields. */
static uint32_t get_group(const struct vgic_irq *i) { return i->group1; }
static void set_group(struct vgic_irq *i, uint32_t v) { i->group1 = v; }
static uint32_t get_enabled(const struct vgic_irq *i) { return i->enabled; }
static void set_enabled(struct vgic_irq *i, uint32_t v) { (void)v, i->enabled = true; }
static void clear_enabled(struct vgic_irq *i, uint32_t v) { (void)v, i->enabled = false; }
static uint32_t get_pending(const struct vgic_irq *i) { return vgic_irq_pending(i); }
static void set_pending(struct vgic_irq *i, uint32_t v) { (void)v, i->pending_latch = true; }
/* ICPENDR clears the latch; a level line that is still high stays pending (spec 4.1.1). */
static void clear_pending(struct vgic_irq *i, uint32_t v) { (void)v, i->pending_latch = false; }
static uint32_t get_active(const struct vgic_irq *i) { return i->active; }
static void set_active(struct vgic_irq *i, uint32_t v) { (void)v, i->active = true; }
static void clear_active(struct vgic_irq *i, uint32_t v) { (void)v, i->active = false; }
static uint32_t get_priority(const struct vgic_irq *i) { return i->priority; }
static void set_priority(struct vgic_irq *i, uint32_t v)
{
	i->priority = (uint8_t)(v & VGIC_PRIORITY_MASK);
}
static uint32_t get_config(const struct vgic_irq *i) { return i->edge ? 2u : 0u; }
static void set_config(struct vgic_irq *i, uint32_t v) { i->edge = (v & 2u) != 0; }

struct irq_field {
	uint32_t offset;
	uint32_t length;
	unsigned bits;
	bool write_ones_only; /**< set/clear registers act on the bits written as 1 */
	bool sgi_read_only;   /**< SGIs ignore writes (their ICFGR) */
	uint32_t (*get)(const struct vgic_irq *irq);
	void (*set)(struct vgic_irq *irq, uint32_t value);
};

static const struct irq_field irq_fields[] = {
	{ 0x0080, 0x80, 1, false, false, get_group, set_group },	/* IGROUPR */
	{ 0x0100, 0x80, 1, true, false, get_enabled, set_enabled },	/* ISENABLER */
	{ 0x0180, 0x80, 1, true, false, get_enabled, clear_enabled },	/* ICENABLER */
	{ 0x0200, 0x80, 1, true, false, get_pending, set_pending },	/* ISPENDR */
	{ 0x0280, 0x80, 1, true, false, get_pending, clear_pending },	/* ICPENDR */
	{ 0x0300, 0x80, 1, true, false, get_active, set_active },	/* ISACTIVER */
	{ 0x0380, 0x80, 1, true, false, get_active, clear_active },	/* ICACTIVER */
	{ 0x0400, 0x400, 8, false, false, get_priority, set_priority }, /* IPRIORITYR */
	{ 0x0c00, 0x100, 2, false, true, get_config, set_config },	/* ICFGR */
};

/**
 * Reads or writes the per-interrupt fields an access covers. `first` and
 * `count` bound the INTIDs this frame owns; others read as zero and ignore
 * writes (GICv3 spec 12.9: SGI/PPI bits of GICD registers with ARE = 1).
 */
static bool access_irq_field(struct vgic_dist *d, unsigned vcpu, const struct irq_field *f,
			     struct mmio_access *a, uint32_t first, uint32_t end)
{
	uint32_t rel = (uint32_t)a->offset - f->offset;
	uint32_t intid = rel * 8 / f->bits;
	unsigned count = a->size * 8 / f->bits;
	uint32_t mask = f->bits == 32 ? 0xffffffffu : (1u << f->bits) - 1;
	uint64_t value = 0;

	if (a->size > 4 || (a->size < 4 && f->bits != 8))
		return false; /* word accesses, bytes only for priorities */
	for (unsigned k = 0; k < count; k++) {
		uint32_t id = intid + k;
		struct vgic_irq *irq = id >= first && id < end ? vgic_irq(d, vcpu, id) : NULL;
		uint32_t field = (uint32_t)(a->value >> (k * f->bits)) & mask;

		if (!irq)
			continue;
		if (!a->write) {
			value |= (uint64_t)f->get(irq) << (k * f->bits);
		} else if (!(f->sgi_read_only && id < 16) && (!f->write_ones_only || field)) {
			f->set(irq, field);
		}
	}
	if (!a->write)
		a->value = value;
	return true;
}

static const struct irq_field *find_field(uint64_t offset)
{
	for (size_t i = 0; i < sizeof(irq_fields) / sizeof(irq_fields[0]); i++)
		if (offset >= irq_fields[i].offset &&
		    offset < irq_fields[i].offset + irq_fields[i].length)
			return &irq_fields[i];
	return NULL;
}

static bool read_only_value(struct mmio_access *a, uint64_t value)
{
	if (!a->write)
		a->value = value;
	return true;
}

/** GICD_IROUTER<n>: 64-bit, one per SPI, at 0x6000 + 8n (GICv3 spec 12.9.22). */
static bool access_irouter(struct vgic_dist *d, struct mmio_access *a)
{
	uint32_t intid = (uint32_t)(a->offset - 0x6000) / 8;
	unsigned shift = (unsigned)(a->offset & 4) * 8;
	struct vgic_irq *irq;
	uint64_t mask;

	if (intid < VGIC_PRIVATE_COUNT || intid >= VGIC_INTID_COUNT)
		return read_only_value(a, 0);
	if (!(a->size == 8 && !(a->offset & 7)) && a->size != 4)
		return false;
	irq = &d->spi[intid - VGIC_PRIVATE_COUNT];
	mask = a->size == 8 ? ~0ull : 0xffffffffull << shift;
	if (a->write) {
		uint64_t v = (irq->irouter & ~mask) | ((a->value << shift) & mask);

		irq->irouter = v & VGIC_IROUTER_MASK;
	} else {
		a->value = (irq->irouter & mask) >> shift;
	}
	return true;
}

bool vgic_mmio_dist(void *device, struct mmio_access *a)
{
	struct vgic_dist *d = device;
	const struct irq_field *f;

	if (a->offset & (a->size - 1))
		return false; /* unaligned */
	switch (a->offset) {
	case 0x0000: /* GICD_CTLR */
		if (a->size != 4)
			return false;
		if (a->write)
			d->ctlr =
				GICD_CTLR_ARE | GICD_CTLR_DS |
				((uint32_t)a->value & (GICD_CTLR_ENABLE_G0 | GICD_CTLR_ENABLE_G1));
		else
			a->value = d->ctlr;
		return true;
	case 0x0004: /* GICD_TYPER: IDbits = 9 (10-bit INTIDs), ITLinesNumber */
		return read_only_value(a, (9u << 19) | (VGIC_INTID_COUNT / 32 - 1));
	case 0x0008:
		return read_only_value(a, VGIC_IIDR);
	case OFF_PIDR2:
		return read_only_value(a, VGIC_PIDR2);
	default:
		break;
	}
	if (a->offset >= 0x6000 && a->offset < 0x8000)
		return access_irouter(d, a);
	f = find_field(a->offset);
	if (f)
		return access_irq_field(d, 0, f, a, VGIC_PRIVATE_COUNT, VGIC_INTID_COUNT);
	/* Everything else of the distributor reads as zero and ignores writes. */
	return read_only_value(a, 0);
}

static bool access_rd_frame(struct vgic_dist *d, unsigned v, struct mmio_access *a)
{
	struct vgic_redist *r = &d->redist[v];

	switch (a->offset) {
	case 0x0004: /* GICR_IIDR */
		return read_only_value(a, VGIC_IIDR);
	case 0x0008:   /* GICR_TYPER [31:0]: Processor_Number, Last */
	case 0x000c: { /* GICR_TYPER [63:32]: Affinity */
		uint64_t typer = (r->mpidr & 0xffffff) << 32 | (uint64_t)v << 8 |
				 (v + 1 == d->vcpu_count ? 1u << 4 : 0);

		if (a->size == 8 && a->offset == 0x8)
			return read_only_value(a, typer);
		return read_only_value(a, a->offset == 0x8 ? (uint32_t)typer : typer >> 32);
	}
	case 0x0014: /* GICR_WAKER: ProcessorSleep [1], ChildrenAsleep [2] */
		if (a->write)
			r->processor_sleep = (a->value & 2) != 0;
		else
			a->value = r->processor_sleep ? 6u : 0u;
		return true;
	case OFF_PIDR2:
		return read_only_value(a, VGIC_PIDR2);
	default:
		/* GICR_CTLR (no LPIs), PROPBASER, PENDBASER, ...: zero, writes ignored */
		return read_only_value(a, 0);
	}
}

bool vgic_mmio_redist(void *device, struct mmio_access *a)
{
	struct vgic_dist *d = device;
	unsigned v = (unsigned)(a->offset / VGIC_REDIST_STRIDE);
	struct mmio_access local = *a;
	const struct irq_field *f;
	bool ok;

	if (v >= d->vcpu_count || (a->offset & (a->size - 1)))
		return false;
	local.offset = a->offset % VGIC_REDIST_STRIDE;
	if (local.offset < 0x10000) {
		ok = access_rd_frame(d, v, &local);
	} else {
		local.offset -= 0x10000; /* SGI_base frame */
		f = find_field(local.offset);
		ok = f ? access_irq_field(d, v, f, &local, 0, VGIC_PRIVATE_COUNT)
		       : read_only_value(&local, local.offset == OFF_PIDR2 ? VGIC_PIDR2 : 0);
	}
	a->value = local.value;
	return ok;
}
