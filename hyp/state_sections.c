/* SPDX-License-Identifier: Apache-2.0 */
/** Field tables of the VM's device state, see state_sections.h. */
#include "hyp/state_sections.h"

#include <stddef.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* --- vCPU: general, FP/SIMD and EL1 system registers (Arm ARM D19.2) --- */

static const struct mig_field vtimer_fields[] = {
	MIG_FIELD(struct vcpu_regs, timer.cntv_ctl_el0, 1),
	MIG_FIELD(struct vcpu_regs, timer.cntv_cval_el0, 1),
};

static const struct mig_section vtimer_section = {
	"vtimer", 1, 1, vtimer_fields, COUNT(vtimer_fields), NULL, 0, 0, 0,
};

static const struct mig_field gic_cpu_if_fields[] = {
	MIG_FIELD_ARRAY(struct vcpu_regs, gic.ich_lr_el2, 1),
	MIG_FIELD_ARRAY(struct vcpu_regs, gic.ich_ap0r_el2, 1),
	MIG_FIELD_ARRAY(struct vcpu_regs, gic.ich_ap1r_el2, 1),
	MIG_FIELD(struct vcpu_regs, gic.ich_vmcr_el2, 1),
};

static const struct mig_section gic_cpu_if_section = {
	"gic-cpu-if", 1, 1, gic_cpu_if_fields, COUNT(gic_cpu_if_fields), NULL, 0, 0, 0,
};

static const struct mig_subsection vcpu_subsections[] = {
	{ &vtimer_section, NULL, false },
	{ &gic_cpu_if_section, NULL, false },
};

static const struct mig_field vcpu_fields[] = {
	MIG_FIELD_ARRAY(struct vcpu_regs, x, 1),
	MIG_FIELD(struct vcpu_regs, pc, 1),
	MIG_FIELD(struct vcpu_regs, pstate, 1),
	MIG_FIELD_ARRAY(struct vcpu_regs, fp.v, 1),
	MIG_FIELD(struct vcpu_regs, fp.fpsr, 1),
	MIG_FIELD(struct vcpu_regs, fp.fpcr, 1),
	MIG_FIELD(struct vcpu_regs, sys.sctlr_el1, 1),
	MIG_FIELD(struct vcpu_regs, sys.actlr_el1, 1),
	MIG_FIELD(struct vcpu_regs, sys.cpacr_el1, 1),
	MIG_FIELD(struct vcpu_regs, sys.ttbr0_el1, 1),
	MIG_FIELD(struct vcpu_regs, sys.ttbr1_el1, 1),
	MIG_FIELD(struct vcpu_regs, sys.tcr_el1, 1),
	MIG_FIELD(struct vcpu_regs, sys.mair_el1, 1),
	MIG_FIELD(struct vcpu_regs, sys.amair_el1, 1),
	MIG_FIELD(struct vcpu_regs, sys.esr_el1, 1),
	MIG_FIELD(struct vcpu_regs, sys.far_el1, 1),
	MIG_FIELD(struct vcpu_regs, sys.afsr0_el1, 1),
	MIG_FIELD(struct vcpu_regs, sys.afsr1_el1, 1),
	MIG_FIELD(struct vcpu_regs, sys.par_el1, 1),
	MIG_FIELD(struct vcpu_regs, sys.vbar_el1, 1),
	MIG_FIELD(struct vcpu_regs, sys.contextidr_el1, 1),
	MIG_FIELD(struct vcpu_regs, sys.tpidr_el0, 1),
	MIG_FIELD(struct vcpu_regs, sys.tpidrro_el0, 1),
	MIG_FIELD(struct vcpu_regs, sys.tpidr_el1, 1),
	MIG_FIELD(struct vcpu_regs, sys.sp_el0, 1),
	MIG_FIELD(struct vcpu_regs, sys.sp_el1, 1),
	MIG_FIELD(struct vcpu_regs, sys.elr_el1, 1),
	MIG_FIELD(struct vcpu_regs, sys.spsr_el1, 1),
	MIG_FIELD(struct vcpu_regs, sys.cntkctl_el1, 1),
	MIG_FIELD(struct vcpu_regs, sys.csselr_el1, 1),
	MIG_FIELD(struct vcpu_regs, sys.mdscr_el1, 1),
};

const struct mig_section mig_section_vcpu = {
	"vcpu", 1, 1, vcpu_fields, COUNT(vcpu_fields), vcpu_subsections, COUNT(vcpu_subsections),
	0,	0,
};

/*
 * --- vGIC (GICv3 spec chapter 12): each interrupt's state, pending latch and line apart ---
 * Which virtual interrupt a physical one backs (hw, hw_intid) is the
 * destination's own configuration, never the stream's: versions 2 and 3 do not
 * carry it (a guest could otherwise deactivate a physical interrupt Ferry
 * owns).
 */

#define IRQ_FIELD(owner, array, member, kind_, n, max_)                                            \
	{                                                                                          \
#array "." #member,                                                                \
			(uint32_t)(offsetof(owner, array) + offsetof(struct vgic_irq, member)),    \
			(uint8_t)sizeof(((struct vgic_irq *)0)->member), (kind_), (n),             \
			(uint32_t)sizeof(struct vgic_irq), 1, (max_)                               \
	}

#define IRQ_FIELDS(owner, array, n)                                                                \
	IRQ_FIELD(owner, array, priority, MIG_UINT, n, 0),                                         \
		IRQ_FIELD(owner, array, group1, MIG_BOOL, n, 0),                                   \
		IRQ_FIELD(owner, array, enabled, MIG_BOOL, n, 0),                                  \
		IRQ_FIELD(owner, array, pending_latch, MIG_BOOL, n, 0),                            \
		IRQ_FIELD(owner, array, line_level, MIG_BOOL, n, 0),                               \
		IRQ_FIELD(owner, array, active, MIG_BOOL, n, 0),                                   \
		IRQ_FIELD(owner, array, edge, MIG_BOOL, n, 0)

static const struct mig_field redist_fields[] = {
	IRQ_FIELDS(struct vgic_redist, priv, VGIC_PRIVATE_COUNT),
	{ "processor_sleep", (uint32_t)offsetof(struct vgic_redist, processor_sleep), 1, MIG_BOOL,
	  1, 0, 1, 0 },
	MIG_FIELD(struct vgic_redist, mpidr, 1),
};

const struct mig_section mig_section_vgic_redist = {
	"vgic-redist", 3, 2, redist_fields, COUNT(redist_fields), NULL, 0, 3, 0,
};

static const struct mig_field dist_fields[] = {
	MIG_FIELD(struct vgic_dist, ctlr, 1),
	{ "vcpu_count", (uint32_t)offsetof(struct vgic_dist, vcpu_count), (uint8_t)sizeof(unsigned),
	  MIG_UINT, 1, 0, 1, VM_VCPU_MAX },
	IRQ_FIELDS(struct vgic_dist, spi, VGIC_SPI_COUNT),
	IRQ_FIELD(struct vgic_dist, spi, irouter, MIG_UINT, VGIC_SPI_COUNT, 0),
};

const struct mig_section mig_section_vgic_dist = {
	"vgic-dist", 3, 2, dist_fields, COUNT(dist_fields), NULL, 0, 3, 0,
};

/* --- PL011 (PL011 TRM 3.2): registers, receive FIFO, the unfinished output line --- */

static const struct mig_field pl011_fields[] = {
	MIG_FIELD_MAX(struct vpl011, cr, 1, VPL011_CR_MASK),
	MIG_FIELD_MAX(struct vpl011, lcr_h, 1, VPL011_LCR_H_MASK),
	MIG_FIELD_MAX(struct vpl011, ibrd, 1, VPL011_IBRD_MASK),
	MIG_FIELD_MAX(struct vpl011, fbrd, 1, VPL011_FBRD_MASK),
	MIG_FIELD_MAX(struct vpl011, ifls, 1, VPL011_IFLS_MASK),
	MIG_FIELD_MAX(struct vpl011, imsc, 1, VPL011_IMSC_MASK),
	MIG_FIELD_MAX(struct vpl011, dmacr, 1, VPL011_DMACR_MASK),
	MIG_FIELD(struct vpl011, ris_error, 1),
	MIG_FIELD_ARRAY(struct vpl011, rx, 1),
	{ "rx_head", (uint32_t)offsetof(struct vpl011, rx_head), (uint8_t)sizeof(unsigned),
	  MIG_UINT, 1, 0, 1, VPL011_RX_FIFO - 1 },
	{ "rx_count", (uint32_t)offsetof(struct vpl011, rx_count), (uint8_t)sizeof(unsigned),
	  MIG_UINT, 1, 0, 1, VPL011_RX_FIFO },
	MIG_FIELD_ARRAY(struct vpl011, line, 1),
	{ "line_len", (uint32_t)offsetof(struct vpl011, line_len), (uint8_t)sizeof(unsigned),
	  MIG_UINT, 1, 0, 1, VPL011_LINE_MAX - 1 },
};

const struct mig_section mig_section_pl011 = {
	"pl011", 1, 1, pl011_fields, COUNT(pl011_fields), NULL, 0, 0, 0,
};

/* --- the network device (hyp/vnet.h): what its driver wrote, and where the queues are --- */

/* One field of queue i: its name under the queue's prefix, its member, its size, kind and limit. */
#define VNET_QUEUE_FIELD(i, name, member, size, kind, max)                                         \
	{                                                                                          \
		name, (uint32_t)offsetof(struct vnet, q[i].member), size, kind, 1, 0, 1, max       \
	}
#define VNET_QUEUE_FIELDS(i, prefix)                                                               \
	VNET_QUEUE_FIELD(i, prefix "num", num, 4, MIG_UINT, VNET_QUEUE_MAX),                       \
		VNET_QUEUE_FIELD(i, prefix "ready", ready, 1, MIG_BOOL, 0),                        \
		VNET_QUEUE_FIELD(i, prefix "desc", desc, 8, MIG_UINT, 0),                          \
		VNET_QUEUE_FIELD(i, prefix "driver", avail, 8, MIG_UINT, 0),                       \
		VNET_QUEUE_FIELD(i, prefix "device", used, 8, MIG_UINT, 0),                        \
		VNET_QUEUE_FIELD(i, prefix "last_avail", last_avail, 2, MIG_UINT, 0),              \
		VNET_QUEUE_FIELD(i, prefix "used_idx", used_idx, 2, MIG_UINT, 0)

static const struct mig_field vnet_fields[] = {
	MIG_FIELD_ARRAY(struct vnet, mac, 1),
	MIG_FIELD(struct vnet, status, 1),
	MIG_FIELD(struct vnet, device_features_sel, 1),
	MIG_FIELD(struct vnet, driver_features_sel, 1),
	MIG_FIELD(struct vnet, driver_features, 1), /* any, until FEATURES_OK */
	MIG_FIELD(struct vnet, queue_sel, 1),
	MIG_FIELD_MAX(struct vnet, isr, 1, VNET_ISR_USED | VNET_ISR_CONFIG),
	VNET_QUEUE_FIELDS(0, "rx_"),
	VNET_QUEUE_FIELDS(1, "tx_"),
};

const struct mig_section mig_section_vnet = {
	"virtio-net", 1, 1, vnet_fields, COUNT(vnet_fields), NULL, 0, 0, 0,
};

/* --- the VM: the destination computes its own CNTVOFF from the count at stop --- */

static const struct mig_field vm_fields[] = {
	MIG_FIELD(struct mig_vm_state, guest_counter, 1),
	{ "vcpu_count", (uint32_t)offsetof(struct mig_vm_state, vcpu_count), 4, MIG_UINT, 1, 0, 1,
	  VM_VCPU_MAX },
	MIG_FIELD(struct mig_vm_state, vcpu_on_mask, 1),
#ifdef FERRY_FORMAT_NEXT
	/* The next release's "vm" version 2: one more field. */
	MIG_FIELD(struct mig_vm_state, written_format, 2),
#endif
};

#ifdef FERRY_FORMAT_NEXT
/* ... and a new optional subsection, never written for a format-2 peer. */
static const struct mig_field vm_next_fields[] = {
	MIG_FIELD(struct mig_vm_state, next_check, 1),
};

static const struct mig_section vm_next_section = {
	"vm-next", 1, 1, vm_next_fields, COUNT(vm_next_fields), NULL, 0, 0, 0,
};

static const struct mig_subsection vm_subsections[] = {
	{ &vm_next_section, NULL, true },
};

const struct mig_section mig_section_vm = {
	"vm", 2, 1, vm_fields, COUNT(vm_fields), vm_subsections, COUNT(vm_subsections), 0, 1,
};
#else
const struct mig_section mig_section_vm = {
	"vm", 1, 1, vm_fields, COUNT(vm_fields), NULL, 0, 0, 0,
};
#endif
