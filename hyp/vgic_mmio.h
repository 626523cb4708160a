/* SPDX-License-Identifier: Apache-2.0 */
/**
 * Guest accesses to the emulated GICv3 distributor and redistributors
 * (GICv3 spec 12.9 and 12.10-12.11). The frames are laid out as on QEMU
 * virt: GICD 64 KiB; per vCPU a 128 KiB redistributor (RD_base, SGI_base).
 */
#ifndef HYP_VGIC_MMIO_H
#define HYP_VGIC_MMIO_H

#include "hyp/mmio.h"
#include "hyp/vgic.h"

#define VGIC_DIST_SIZE	   0x10000
#define VGIC_REDIST_STRIDE 0x20000

/** mmio_handler_fn for the distributor; device is the struct vgic_dist. */
bool vgic_mmio_dist(void *device, struct mmio_access *access);

/** mmio_handler_fn for the redistributor frames of all vCPUs. */
bool vgic_mmio_redist(void *device, struct mmio_access *access);

#endif
