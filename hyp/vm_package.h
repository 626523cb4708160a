/* SPDX-License-Identifier: Apache-2.0 */
/**
 * A VM's device package (docs/migration-protocol.md, "Device-state
 * sections"): every vCPU, the vGIC, the UART and the guest's virtual count
 * through the section tables. A package from a peer is hostile even after
 * authentication: loading decodes it into a struct vm_package apart from
 * the VM and checks every value that EL2 will load into a register it
 * controls (PSTATE into SPSR_EL2, the virtual CPU interface into ICH_*,
 * the timer) against what a guest of this board can hold; applying it
 * cannot fail. Which virtual interrupt a physical one backs stays this
 * board's own. Pure: host-tested and fuzzed on the real code.
 */
#ifndef HYP_VM_PACKAGE_H
#define HYP_VM_PACKAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hyp/vm.h"
#include "hyp/state_sections.h"
#include "mig/hello.h"

/** A package decoded and checked, not yet the VM's. */
struct vm_package {
	struct mig_vm_state vm;
	struct vcpu_regs regs[VM_VCPU_MAX];
	struct vgic_dist vgic;
	struct vpl011 uart;
	struct vnet net;
};

/** What a guest of this board can hold, read once from its CPU (vm_migrate_ops.c). */
struct vm_package_limits {
	/** PSTATE bits of optional features the guest's CPU has (PAN, UAO, DIT, SSBS, BTYPE). */
	uint64_t pstate_features;
	unsigned pri_bits;  /**< virtual priority bits (ICH_VTR_EL2.PRIbits + 1) */
	unsigned apr_count; /**< ICH_AP0R<n>_EL2 / ICH_AP1R<n>_EL2 registers that exist */
	unsigned lr_count;  /**< list registers */
};

/**
 * The PSTATE feature bits a guest may hold, from the ID registers it sees
 * (Arm ARM D19.2: ID_AA64PFR0.DIT, ID_AA64PFR1.BT and .SSBS,
 * ID_AA64MMFR1.PAN, ID_AA64MMFR2.UAO).
 */
uint64_t vm_package_pstate_features(uint64_t pfr0, uint64_t pfr1, uint64_t mmfr1, uint64_t mmfr2);

/**
 * Writes the stopped VM's package into buf in stream format `format`
 * (MIG_FORMAT_VERSION, or the one before for an older peer); its length,
 * 0 when it does not fit.
 */
size_t vm_package_save(const struct vm *vm, unsigned format, uint8_t *buf, size_t size);

/**
 * Decodes a package for `vm` into *pkg and checks it; false with the
 * reason (naming the vCPU and field) on anything a guest here could not
 * hold. The VM is not touched.
 */
bool vm_package_load(const struct vm *vm, const struct vm_package_limits *lim, const uint8_t *buf,
		     size_t len, struct vm_package *pkg, char *err, size_t err_size);

/**
 * Puts a loaded package into the VM (its vCPUs parked): registers, power,
 * vGIC and UART, and a CNTVOFF that makes the guest's count go on from
 * where it stopped at physical count `now`. Cannot fail.
 */
void vm_package_apply(struct vm *vm, const struct vm_package *pkg, uint64_t now);

#endif
