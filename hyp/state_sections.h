/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The device-state sections of a VM: each vCPU ("vcpu", with the "vtimer"
 * and "gic-cpu-if" subsections), the vGIC ("vgic-dist", with one
 * "vgic-redist" per vCPU), the UART ("pl011") and, for a VM with one, the
 * network device ("virtio-net"). The field tables name the
 * modelled device's state (register names of the Arm ARM and the GICv3
 * spec), never Ferry's bookkeeping: lr_pending, for instance, is not sent,
 * because state is saved only after the list registers were synced back.
 */
#ifndef HYP_STATE_SECTIONS_H
#define HYP_STATE_SECTIONS_H

#include "hyp/vcpu_regs.h"
#include "hyp/vgic.h"
#include "hyp/vnet.h"
#include "hyp/vpl011.h"
#include "mig/section.h"

extern const struct mig_section mig_section_vcpu; /**< struct vcpu_regs */
extern const struct mig_section
	mig_section_vgic_dist; /**< struct vgic_dist, without redistributors */
extern const struct mig_section mig_section_vgic_redist; /**< struct vgic_redist */
extern const struct mig_section mig_section_pl011;	 /**< struct vpl011 */
extern const struct mig_section mig_section_vnet;	 /**< struct vnet */

/** What belongs to the VM as a whole (section "vm"). */
struct mig_vm_state {
	uint64_t guest_counter; /**< the guest's virtual count when it stopped */
	uint32_t vcpu_count;
	uint32_t vcpu_on_mask; /**< vCPUs that were on (PSCI) */
	/*
	 * Carried only by the FERRY_FORMAT_NEXT test build (mig/hello.h): the
	 * format its "vm" section version 2 was written in, and its new
	 * optional subsection's check value.
	 */
	uint32_t written_format;
	uint64_t next_check;
};

/** The value a FERRY_FORMAT_NEXT build puts in next_check for a guest count. */
#define MIG_NEXT_CHECK(guest_counter) ((guest_counter) ^ 0x5eed5eed5eed5eedull)
extern const struct mig_section mig_section_vm; /**< struct mig_vm_state */

#endif
