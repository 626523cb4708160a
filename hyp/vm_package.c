/* SPDX-License-Identifier: Apache-2.0 */
/** The device package: save, load with every check, apply; see vm_package.h. */
#include "hyp/vm_package.h"

#include <string.h>

#include "lib/format.h"
#include "hyp/pstate.h"
#include "mig/hello.h"
#include "mig/wire.h"

/* ICH_VMCR_EL2 (GICv3 spec 12.4.10); VAckCtl [2] is RES0 with system registers. */
#define VMCR_VENG0	(1u << 0)
#define VMCR_VENG1	(1u << 1)
#define VMCR_VFIQEN	(1u << 3) /* RES1 with system registers */
#define VMCR_VCBPR	(1u << 4)
#define VMCR_VEOIM	(1u << 9)
#define VMCR_VBPR1	(7u << 18)
#define VMCR_VBPR0	(7u << 21)
#define VMCR_VPMR_SHIFT 24
#define VMCR_GUEST_BITS                                                                            \
	(VMCR_VENG0 | VMCR_VENG1 | VMCR_VFIQEN | VMCR_VCBPR | VMCR_VEOIM | VMCR_VBPR1 |            \
	 VMCR_VBPR0 | (0xffu << VMCR_VPMR_SHIFT))

/* CNTV_CTL_EL0 (Arm ARM D19.12.12): ENABLE [0], IMASK [1], ISTATUS [2] (read-only). */
#define CNTV_CTL_BITS 0x7ull

static uint64_t field(uint64_t reg, unsigned shift) { return (reg >> shift) & 0xf; }

uint64_t vm_package_pstate_features(uint64_t pfr0, uint64_t pfr1, uint64_t mmfr1, uint64_t mmfr2)
{
	uint64_t bits = 0;

	if (field(pfr0, 48)) /* DIT */
		bits |= PSTATE_DIT;
	if (field(pfr1, 0)) /* BT */
		bits |= PSTATE_BTYPE;
	if (field(pfr1, 4)) /* SSBS */
		bits |= PSTATE_SSBS;
	if (field(mmfr1, 20)) /* PAN */
		bits |= PSTATE_PAN;
	if (field(mmfr2, 4)) /* UAO */
		bits |= PSTATE_UAO;
	return bits;
}

/** The parts of a package, in the order they travel (docs/migration-protocol.md). */
enum part { PART_VM, PART_VCPU, PART_DIST, PART_REDIST, PART_UART, PART_NET };

static const struct {
	const struct mig_section *section;
	enum part part;
	bool per_vcpu; /**< once for each vCPU, in index order */
	bool nic_only; /**< only for a VM with a network device (both boards' configuration) */
} layout[] = {
	{ &mig_section_vm, PART_VM, false, false },
	{ &mig_section_vcpu, PART_VCPU, true, false },
	{ &mig_section_vgic_dist, PART_DIST, false, false },
	{ &mig_section_vgic_redist, PART_REDIST, true, false },
	{ &mig_section_pl011, PART_UART, false, false },
	{ &mig_section_vnet, PART_NET, false, true },
};

/* How many times a part goes in this VM's package. */
static unsigned copies(const struct vm *vm, size_t k)
{
	if (layout[k].nic_only && !vm->cfg.has_nic)
		return 0;
	return layout[k].per_vcpu ? vm->cfg.vcpu_count : 1;
}

/** Where a part of the package is in a stopped VM (its state at the stop: st). */
static const void *vm_part(const struct vm *vm, const struct mig_vm_state *st, enum part p,
			   unsigned i)
{
	switch (p) {
	case PART_VM:
		return st;
	case PART_VCPU:
		return &vm->vcpus[i].regs;
	case PART_DIST:
		return &vm->vgic;
	case PART_REDIST:
		return &vm->vgic.redist[i];
	case PART_UART:
		return &vm->uart;
	case PART_NET:
		break;
	}
	return &vm->net;
}

/** Where a part of the package goes when it is loaded. */
static void *pkg_part(struct vm_package *pkg, enum part p, unsigned i)
{
	switch (p) {
	case PART_VM:
		return &pkg->vm;
	case PART_VCPU:
		return &pkg->regs[i];
	case PART_DIST:
		return &pkg->vgic;
	case PART_REDIST:
		return &pkg->vgic.redist[i];
	case PART_UART:
		return &pkg->uart;
	case PART_NET:
		break;
	}
	return &pkg->net;
}

size_t vm_package_save(const struct vm *vm, unsigned format, uint8_t *buf, size_t size)
{
	struct mig_vm_state st = {
		/* The guest's clock stopped with its vCPUs, not now. */
		.guest_counter = vm->paused_at - vm->ctl.cntvoff,
		.vcpu_count = vm->cfg.vcpu_count,
		.written_format = format,
		.next_check = MIG_NEXT_CHECK(vm->paused_at - vm->ctl.cntvoff),
	};
	struct mig_writer w;

	for (unsigned i = 0; i < vm->cfg.vcpu_count; i++)
		if (vm->vcpus[i].power == VCPU_ON)
			st.vcpu_on_mask |= 1u << i;
	mig_writer_init(&w, buf, size);
	for (size_t k = 0; k < sizeof(layout) / sizeof(layout[0]); k++)
		for (unsigned i = 0; i < copies(vm, k); i++)
			mig_section_save_as(layout[k].section, vm_part(vm, &st, layout[k].part, i),
					    &w, format < MIG_FORMAT_VERSION);
	return w.overflow ? 0 : w.len;
}

#define REFUSE(...)                                                                                \
	do {                                                                                       \
		format_snprintf(err, n, __VA_ARGS__);                                              \
		return false;                                                                      \
	} while (0)

/**
 * PSTATE becomes SPSR_EL2 at the guest's entry: an EL2 mode there would
 * run the peer's code at EL2. A guest holds EL0t, EL1t or EL1h in AArch64,
 * never an illegal state or a software step Ferry does not give it, and
 * only the feature bits its CPU has (Arm ARM C5.2.19).
 */
static bool check_pstate(unsigned i, uint64_t pstate, const struct vm_package_limits *lim,
			 char *err, size_t n)
{
	uint64_t mode = pstate & PSTATE_M;
	uint64_t allowed = PSTATE_M | PSTATE_DAIF | PSTATE_NZCV | lim->pstate_features;

	if (pstate & PSTATE_NRW)
		REFUSE("vcpu %u: PSTATE 0x%llx is AArch32 (M[4] set)", i,
		       (unsigned long long)pstate);
	if (mode != PSTATE_EL0T && mode != PSTATE_EL1T && mode != PSTATE_EL1H)
		REFUSE("vcpu %u: PSTATE 0x%llx has mode M[3:0] = 0x%llx (a guest runs at EL0t, "
		       "EL1t or EL1h)",
		       i, (unsigned long long)pstate, (unsigned long long)mode);
	if (pstate & PSTATE_IL)
		REFUSE("vcpu %u: PSTATE 0x%llx has IL set", i, (unsigned long long)pstate);
	if (pstate & ~allowed)
		REFUSE("vcpu %u: PSTATE 0x%llx has bits 0x%llx no guest here can hold", i,
		       (unsigned long long)pstate, (unsigned long long)(pstate & ~allowed));
	return true;
}

/** The virtual CPU interface goes into ICH_* registers: as the hardware could hold it. */
static bool check_cpu_if(unsigned i, const struct vgic_cpu_if *cif,
			 const struct vm_package_limits *lim, char *err, size_t n)
{
	uint32_t vpmr_low = (1u << (8 - lim->pri_bits)) - 1; /* unimplemented bits, RAZ */

	/* Saved after the list registers were synced back into the model: empty. */
	for (unsigned k = 0; k < VGIC_LR_MAX; k++)
		if (cif->ich_lr_el2[k])
			REFUSE("vcpu %u: ICH_LR%u_EL2 is not empty (0x%llx)", i, k,
			       (unsigned long long)cif->ich_lr_el2[k]);
	for (unsigned k = lim->apr_count; k < 4; k++)
		if (cif->ich_ap0r_el2[k] || cif->ich_ap1r_el2[k])
			REFUSE("vcpu %u: ICH_AP0R%u/AP1R%u_EL2 set, this board has %u of them", i,
			       k, k, lim->apr_count);
	if ((cif->ich_vmcr_el2 & ~VMCR_GUEST_BITS) ||
	    ((cif->ich_vmcr_el2 >> VMCR_VPMR_SHIFT) & vpmr_low))
		REFUSE("vcpu %u: ICH_VMCR_EL2 0x%x has bits no guest can set", i,
		       cif->ich_vmcr_el2);
	return true;
}

static bool check_vcpu(unsigned i, const struct vcpu_regs *r, const struct vm_package_limits *lim,
		       char *err, size_t n)
{
	if (!check_pstate(i, r->pstate, lim, err, n) || !check_cpu_if(i, &r->gic, lim, err, n))
		return false;
	if (r->timer.cntv_ctl_el0 & ~CNTV_CTL_BITS)
		REFUSE("vcpu %u: CNTV_CTL_EL0 0x%llx has RES0 bits set", i,
		       (unsigned long long)r->timer.cntv_ctl_el0);
	return true;
}

/** One interrupt as a guest's writes can leave it (hyp/vgic_mmio.c). */
static bool check_irq(const char *where, uint32_t intid, const struct vgic_irq *irq, char *err,
		      size_t n)
{
	if (irq->priority & ~VGIC_PRIORITY_MASK)
		REFUSE("%s INTID %u: priority 0x%x uses unimplemented bits", where, intid,
		       irq->priority);
	if (intid < 16 && !irq->edge)
		REFUSE("%s SGI %u: level-sensitive (SGIs are edge-triggered)", where, intid);
	if (intid >= VGIC_PRIVATE_COUNT && (irq->irouter & ~VGIC_IROUTER_MASK))
		REFUSE("%s INTID %u: GICD_IROUTER 0x%llx has RES0 bits set", where, intid,
		       (unsigned long long)irq->irouter);
	return true;
}

static bool check_vgic(const struct vm *vm, const struct vgic_dist *g, char *err, size_t n)
{
	uint32_t fixed = GICD_CTLR_ARE | GICD_CTLR_DS;

	if (g->vcpu_count != vm->cfg.vcpu_count)
		REFUSE("vgic-dist: %u vCPUs, this board prepared %u", g->vcpu_count,
		       vm->cfg.vcpu_count);
	if ((g->ctlr & ~(GICD_CTLR_ENABLE_G0 | GICD_CTLR_ENABLE_G1)) != fixed)
		REFUSE("vgic-dist: GICD_CTLR 0x%x (affinity routing and DS are always on here)",
		       g->ctlr);
	for (uint32_t k = 0; k < VGIC_SPI_COUNT; k++)
		if (!check_irq("vgic-dist", VGIC_PRIVATE_COUNT + k, &g->spi[k], err, n))
			return false;
	for (unsigned i = 0; i < vm->cfg.vcpu_count; i++) {
		char where[24];

		/* The vCPU-to-redistributor mapping is this board's configuration. */
		if (g->redist[i].mpidr != vm->vgic.redist[i].mpidr)
			REFUSE("vgic-redist %u: MPIDR 0x%llx, this board's vCPU %u has 0x%llx", i,
			       (unsigned long long)g->redist[i].mpidr, i,
			       (unsigned long long)vm->vgic.redist[i].mpidr);
		format_snprintf(where, sizeof(where), "vgic-redist %u", i);
		for (uint32_t k = 0; k < VGIC_PRIVATE_COUNT; k++)
			if (!check_irq(where, k, &g->redist[i].priv[k], err, n))
				return false;
	}
	return true;
}

/*
 * The network device as its driver can leave it (hyp/vnet.c): only the
 * status bits a driver sets or the device adds, features agreed only with
 * VERSION_1, a queue ready only with a size and alignment it accepted, and
 * every entry taken also returned. Ring addresses are checked at each use.
 * Its MAC is the VM's, the same in this board's configuration.
 */
static bool check_vnet(const struct vm *vm, const struct vnet *net, char *err, size_t n)
{
	const uint32_t status_bits = VNET_S_ACKNOWLEDGE | VNET_S_DRIVER | VNET_S_DRIVER_OK |
				     VNET_S_FEATURES_OK | VNET_S_NEEDS_RESET | VNET_S_FAILED;

	if (memcmp(net->mac, vm->cfg.mac, 6) != 0)
		REFUSE("virtio-net: the VM's MAC is %02x:%02x:%02x:%02x:%02x:%02x, this board's "
		       "configuration has another",
		       net->mac[0], net->mac[1], net->mac[2], net->mac[3], net->mac[4],
		       net->mac[5]);
	if (net->status & ~status_bits)
		REFUSE("virtio-net: status 0x%x", net->status);
	if ((net->status & VNET_S_FEATURES_OK) &&
	    ((net->driver_features & ~VNET_FEATURES) || !(net->driver_features & VNET_F_VERSION_1)))
		REFUSE("virtio-net: features 0x%llx agreed",
		       (unsigned long long)net->driver_features);
	/* An interrupt or a breach only ever comes from a device in use; a config change only from
	 * a breach. */
	if ((net->isr || (net->status & VNET_S_NEEDS_RESET)) &&
	    (net->status & (VNET_S_FEATURES_OK | VNET_S_DRIVER_OK)) !=
		    (VNET_S_FEATURES_OK | VNET_S_DRIVER_OK))
		REFUSE("virtio-net: interrupt status 0x%x with status 0x%x", net->isr, net->status);
	if ((net->isr & VNET_ISR_CONFIG) && !(net->status & VNET_S_NEEDS_RESET))
		REFUSE("virtio-net: a configuration change without DEVICE_NEEDS_RESET");
	for (unsigned i = 0; i < 2; i++) {
		const struct vnet_queue *q = &net->q[i];

		if (q->ready && (!q->num || (q->num & (q->num - 1)) || (q->desc & 15) ||
				 (q->avail & 1) || (q->used & 3)))
			REFUSE("virtio-net: queue %u ready with size %u or misaligned parts", i,
			       q->num);
		if (q->last_avail != q->used_idx)
			REFUSE("virtio-net: queue %u took %u entries and returned %u", i,
			       q->last_avail, q->used_idx);
	}
	return true;
}

static bool check(const struct vm *vm, const struct vm_package_limits *lim,
		  const struct vm_package *pkg, char *err, size_t n)
{
	uint32_t all = (1u << vm->cfg.vcpu_count) - 1;

	if (!pkg->vm.vcpu_on_mask || (pkg->vm.vcpu_on_mask & ~all))
		REFUSE("vm: vCPUs on 0x%x, this board's VM has %u", pkg->vm.vcpu_on_mask,
		       vm->cfg.vcpu_count);
	for (unsigned i = 0; i < vm->cfg.vcpu_count; i++)
		if (!check_vcpu(i, &pkg->regs[i], lim, err, n))
			return false;
	if (pkg->uart.ris_error)
		REFUSE("pl011: error status 0x%x (this UART never reports errors)",
		       pkg->uart.ris_error);
	if (vm->cfg.has_nic && !check_vnet(vm, &pkg->net, err, n))
		return false;
	return check_vgic(vm, &pkg->vgic, err, n);
}

bool vm_package_load(const struct vm *vm, const struct vm_package_limits *lim, const uint8_t *buf,
		     size_t len, struct vm_package *pkg, char *err, size_t n)
{
	struct mig_reader r;

	mig_reader_init(&r, buf, len);
	/* Starting values: what a field the package lacks keeps (section.h). */
	memset(&pkg->vm, 0, sizeof(pkg->vm));
	pkg->vgic = vm->vgic;
	pkg->uart = vm->uart;
	pkg->net = vm->net;
	for (unsigned i = 0; i < vm->cfg.vcpu_count; i++)
		pkg->regs[i] = vm->vcpus[i].regs;
	for (size_t k = 0; k < sizeof(layout) / sizeof(layout[0]); k++) {
		for (unsigned i = 0; i < copies(vm, k); i++)
			if (!mig_section_load(layout[k].section, &r,
					      pkg_part(pkg, layout[k].part, i), err, n))
				return false;
		/* The VM's shape first: the per-vCPU parts follow it. */
		if (layout[k].part == PART_VM && pkg->vm.vcpu_count != vm->cfg.vcpu_count)
			REFUSE("the VM has %u vCPUs, this board prepared %u", pkg->vm.vcpu_count,
			       vm->cfg.vcpu_count);
	}
	if (mig_remaining(&r))
		REFUSE("%zu bytes after the device sections", mig_remaining(&r));
	return check(vm, lim, pkg, err, n);
}

/** An interrupt as loaded, with this board's forwarding and nothing in a list register. */
static void take_irq(struct vgic_irq *dst, const struct vgic_irq *src)
{
	bool hw = dst->hw;
	uint16_t hw_intid = dst->hw_intid;

	*dst = *src;
	dst->hw = hw;
	dst->hw_intid = hw_intid;
	dst->lr_pending = false;
}

void vm_package_apply(struct vm *vm, const struct vm_package *pkg, uint64_t now)
{
	for (unsigned i = 0; i < vm->cfg.vcpu_count; i++) {
		vm->vcpus[i].regs = pkg->regs[i];
		vm->vcpus[i].power = (pkg->vm.vcpu_on_mask >> i) & 1 ? VCPU_ON : VCPU_OFF;
	}
	arch_spin_lock(&vm->lock);
	vm->vgic.ctlr = pkg->vgic.ctlr;
	for (uint32_t k = 0; k < VGIC_SPI_COUNT; k++)
		take_irq(&vm->vgic.spi[k], &pkg->vgic.spi[k]);
	for (unsigned i = 0; i < vm->cfg.vcpu_count; i++) {
		vm->vgic.redist[i].processor_sleep = pkg->vgic.redist[i].processor_sleep;
		for (uint32_t k = 0; k < VGIC_PRIVATE_COUNT; k++)
			take_irq(&vm->vgic.redist[i].priv[k], &pkg->vgic.redist[i].priv[k]);
	}
	vm->uart = pkg->uart;
	if (vm->cfg.has_nic) {
		vm->net = pkg->net;
		/* Whatever the guest queued before the stop is served at once here. */
		vm->net.kicked[VNET_RX] = vm->net.kicked[VNET_TX] = true;
		/* Its line is what its state says, whatever the vGIC's section said. */
		vgic_set_line(&vm->vgic, 0, GUEST_NET_INTID, vnet_irq_level(&vm->net));
	}
	arch_spin_unlock(&vm->lock);
	/* The guest's count goes on from where it stopped: it never goes backwards. */
	vm->ctl.cntvoff = now - pkg->vm.guest_counter;
}
