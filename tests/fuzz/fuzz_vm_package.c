/* SPDX-License-Identifier: Apache-2.0 */
/**
 * Fuzzes the real device-package loader and its synchronization into a
 * real VM (hyp/vm_package.c over the fake arch): whatever a peer sends,
 * a package that loads must leave every vCPU in a state a guest can hold
 * (EL0t/EL1t/EL1h, AArch64, empty list registers), this board's interrupt
 * forwarding untouched, and the guest's count where the package says.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hyp/pstate.h"
#include "hyp/vm_package.h"
#include "tests/support/host_vm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct vm_package_limits limits = {
	.pstate_features = PSTATE_PAN | PSTATE_UAO | PSTATE_SSBS,
	.pri_bits = 5,
	.apr_count = 1,
	.lr_count = 4,
};

static void check_vm(const struct vm *vm, uint64_t now, uint64_t guest_counter)
{
	for (unsigned i = 0; i < vm->cfg.vcpu_count; i++) {
		const struct vcpu_regs *r = &vm->vcpus[i].regs;
		uint64_t mode = r->pstate & PSTATE_M;

		if ((mode != PSTATE_EL0T && mode != PSTATE_EL1T && mode != PSTATE_EL1H) ||
		    (r->pstate & (PSTATE_NRW | PSTATE_IL | PSTATE_SS)))
			__builtin_trap(); /* EL2 would load this into SPSR_EL2 */
		for (unsigned k = 0; k < VGIC_LR_MAX; k++)
			if (r->gic.ich_lr_el2[k])
				__builtin_trap();
		if (!vm->vgic.redist[i].priv[GUEST_VTIMER_INTID].hw ||
		    vm->vgic.redist[i].priv[GUEST_VTIMER_INTID].hw_intid != GUEST_VTIMER_INTID)
			__builtin_trap(); /* this board's forwarding was changed */
		for (unsigned k = 0; k < VGIC_PRIVATE_COUNT; k++)
			if (k != GUEST_VTIMER_INTID && vm->vgic.redist[i].priv[k].hw)
				__builtin_trap();
	}
	for (unsigned k = 0; k < VGIC_SPI_COUNT; k++)
		if (vm->vgic.spi[k].hw)
			__builtin_trap();
	if (now - vm->ctl.cntvoff != guest_counter)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct host_vm *vm;
	static struct vm_package pkg;
	char err[160];

	if (!vm) {
		fake_arch_reset();
		vm = host_vm_create("vm0", 2, 1ull << 20, 1);
		if (!vm)
			__builtin_trap();
	}
	if (!vm_package_load(&vm->vm, &limits, data, size, &pkg, err, sizeof(err))) {
		if (!err[0])
			__builtin_trap(); /* a refusal always says why */
		return 0;
	}
	vm_package_apply(&vm->vm, &pkg, 1ull << 40);
	check_vm(&vm->vm, 1ull << 40, pkg.vm.guest_counter);
	return 0;
}
