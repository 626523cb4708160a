/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The virtual GICv3 of a VM (GICv3 spec, Arm IHI 0069H): the state of every
 * interrupt, the distributor and one redistributor per vCPU, as plain data
 * (after KVM's vgic split): register emulation in vgic_mmio.c, the
 * interrupt state and the list registers' images here (vgic.c); only
 * arch/arm64/vgic_hw.c touches ICH_* registers.
 *
 * The guest sees a GIC with a single security state (GICD_CTLR.DS = 1),
 * affinity routing always on, no LPIs and VGIC_INTID_COUNT interrupt IDs.
 */
#ifndef HYP_VGIC_H
#define HYP_VGIC_H

#include <stdbool.h>
#include <stdint.h>

#include "hyp/vcpu_regs.h"
#include "lib/vm_config.h"

#define VGIC_INTID_COUNT 96	     /* GICD_TYPER.ITLinesNumber = 2 */
#define VGIC_IIDR	 0x4600043bu /* ProductID 'F', implementer Arm (JEP106 0x43b) */
/* Priority bits the virtual CPU interface implements (ICH_VTR_EL2.PRIbits = 5). */
#define VGIC_PRIORITY_MASK 0xf8u
/* GICD_IROUTER: Aff3 [39:32], IRM [31], Aff2..0 [23:0]; the rest is RES0 (spec 12.9.22). */
#define VGIC_IROUTER_MASK  0xff80ffffffull
#define VGIC_PRIVATE_COUNT 32
#define VGIC_SPI_COUNT	   (VGIC_INTID_COUNT - VGIC_PRIVATE_COUNT)

/** GICD_CTLR bits with DS = 1 (GICv3 spec 12.9.4). */
#define GICD_CTLR_ENABLE_G0 (1u << 0)
#define GICD_CTLR_ENABLE_G1 (1u << 1)
#define GICD_CTLR_ARE	    (1u << 4)
#define GICD_CTLR_DS	    (1u << 6)

/** One interrupt. Pending is the latch OR (for level interrupts) the line. */
struct vgic_irq {
	uint8_t priority;
	bool group1;
	bool enabled;
	bool pending_latch; /**< set by an edge or a write to ISPENDR */
	bool line_level;    /**< the level of the input line (level interrupts) */
	bool active;
	bool edge; /**< GICD_ICFGR: edge-triggered */
	bool hw;   /**< forwarded physical interrupt (hw_intid) */
	/**
	 * The pending state was handed to a list register at the last flush
	 * (the latch, or for a forwarded interrupt the line): it comes back at
	 * the next sync if the guest did not take it. Meanwhile a new
	 * assertion sets the latch again and is not lost.
	 */
	bool lr_pending;
	uint16_t hw_intid;
	uint64_t irouter; /**< SPIs: GICD_IROUTER */
};

/** A redistributor and the private interrupts (SGIs, PPIs) of one vCPU. */
struct vgic_redist {
	struct vgic_irq priv[VGIC_PRIVATE_COUNT];
	bool processor_sleep; /**< GICR_WAKER.ProcessorSleep */
	uint64_t mpidr;
};

struct vgic_dist {
	uint32_t ctlr;
	unsigned vcpu_count;
	struct vgic_irq spi[VGIC_SPI_COUNT];
	struct vgic_redist redist[VM_VCPU_MAX];
};

/** Resets to the GIC's reset state; vCPU i gets MPIDR Aff0 = i. */
void vgic_init(struct vgic_dist *d, unsigned vcpu_count);

/** The state of INTID `intid` as seen by vCPU `vcpu`; NULL when out of range. */
struct vgic_irq *vgic_irq(struct vgic_dist *d, unsigned vcpu, uint32_t intid);

/** True when the interrupt counts as pending (GICv3 spec 4.1.1). */
bool vgic_irq_pending(const struct vgic_irq *irq);

/** vCPU an SPI is routed to (GICD_IROUTER, 1-of-N routing goes to vCPU 0). */
unsigned vgic_spi_target(const struct vgic_dist *d, uint32_t intid);

/**
 * Drives an interrupt's input: a level interrupt follows `level`, an edge
 * interrupt latches on a rising call. Returns the vCPU that should look at
 * its interrupts, or -1 when nothing changed.
 */
int vgic_set_line(struct vgic_dist *d, unsigned vcpu, uint32_t intid, bool level);

/** Marks a private interrupt as forwarded from physical `hw_intid` (the timer). */
void vgic_set_hw(struct vgic_dist *d, unsigned vcpu, uint32_t intid, uint32_t hw_intid);

/**
 * A guest's write of ICC_SGI1R_EL1 from vCPU `from` (GICv3 spec 12.11.24).
 * Returns the bit mask of vCPUs that received the SGI.
 */
uint32_t vgic_send_sgi(struct vgic_dist *d, unsigned from, uint64_t sgir);

/** True when vCPU has an interrupt it could take (enabled and pending). */
bool vgic_vcpu_has_pending(const struct vgic_dist *d, unsigned vcpu);

/**
 * Fills the list registers of `vcpu` (lr_count of them) with its most
 * urgent interrupts before it runs; asks for an underflow maintenance
 * interrupt when more were waiting than fit.
 */
void vgic_flush_lrs(struct vgic_dist *d, unsigned vcpu, struct vgic_cpu_if *cif, unsigned lr_count);

/** True when a list register still holds a pending interrupt (the guest has one to take). */
bool vgic_lrs_hold_pending(const struct vgic_cpu_if *cif, unsigned lr_count);

/**
 * The guest holds intid in some state: pending or active in the model, or
 * in one of the list registers it runs with.
 */
bool vgic_irq_held(struct vgic_dist *d, unsigned vcpu, const struct vgic_cpu_if *cif,
		   unsigned lr_count, uint32_t intid);

/** Takes back what the guest did with the list registers after it ran. */
void vgic_sync_lrs(struct vgic_dist *d, unsigned vcpu, struct vgic_cpu_if *cif, unsigned lr_count);

#endif
