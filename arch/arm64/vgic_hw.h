/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The raw EL2 save and restore of the GICv3 virtual CPU interface (ICH_*
 * registers, GICv3 spec 12.4), from and to a plain struct vgic_cpu_if.
 * The only code in Ferry that touches ICH_* registers.
 */
#ifndef ARCH_ARM64_VGIC_HW_H
#define ARCH_ARM64_VGIC_HW_H

#include "hyp/vcpu_regs.h"

/** How many ICH_AP0R<n>_EL2 (and AP1R<n>) registers this GIC has. */
unsigned vgic_hw_apr_count(void);

/** VMCR and active-priority registers (once per vCPU load). */
void vgic_hw_load(const struct vgic_cpu_if *cif);
void vgic_hw_save(struct vgic_cpu_if *cif);

/** List registers and ICH_HCR_EL2 (around every guest entry). */
void vgic_hw_load_lrs(const struct vgic_cpu_if *cif, unsigned lr_count);
void vgic_hw_save_lrs(struct vgic_cpu_if *cif, unsigned lr_count);

#endif
