/* SPDX-License-Identifier: Apache-2.0 */
/** VM construction and shared helpers, see vm.h. */
#include "hyp/vm.h"

#include <stdlib.h>
#include <string.h>

#include "hyp/vgic_mmio.h"

bool vm_init(struct vm *vm, const struct vm_config *cfg, paddr_t ram_pa, struct page_pool *pool,
	     uint16_t vmid, unsigned ipa_bits, uint64_t cntvoff, unsigned lr_count,
	     void (*console_emit)(const char *prefix, const char *line, unsigned len))
{
	memset(vm, 0, sizeof(*vm));
	vm->cfg = *cfg;
	vm->ram_pa = ram_pa;
	vm->lr_count = lr_count;
	if (!s2_init(&vm->s2, pool, ipa_bits) || !s2_map(&vm->s2, ipa_init(GUEST_RAM_IPA), ram_pa,
							 cfg->mem_bytes, S2_RWX, S2_MEM_NORMAL))
		return false;
	vm->ctl = (struct arch_guest_ctl){ .s2_root = pa_addr(vm->s2.root),
					   .vmid = vmid,
					   .ipa_bits = ipa_bits,
					   .cntvoff = cntvoff };

	vm->uart.emit = console_emit;
	vm->net_notify = NULL;
	vm_reset_devices(vm);

	{
		const struct mmio_region regions[] = {
			{ GUEST_GICD_IPA, VGIC_DIST_SIZE, vgic_mmio_dist, &vm->vgic, "GICD" },
			{ GUEST_GICR_IPA, (uint64_t)cfg->vcpu_count * VGIC_REDIST_STRIDE,
			  vgic_mmio_redist, &vm->vgic, "GICR" },
			{ GUEST_UART_IPA, 0x1000, vpl011_mmio, &vm->uart, "PL011" },
		};

		const struct mmio_region net = { GUEST_NET_IPA, GUEST_NET_SIZE, vnet_mmio, &vm->net,
						 "virtio-net" };

		for (unsigned i = 0; i < sizeof(regions) / sizeof(regions[0]); i++)
			if (!mmio_bus_add(&vm->mmio, &regions[i]))
				return false;
		if (cfg->has_nic && !mmio_bus_add(&vm->mmio, &net))
			return false;
	}
	for (unsigned i = 0; i < cfg->vcpu_count; i++) {
		struct vcpu *v = &vm->vcpus[i];

		v->vm = vm;
		v->index = i;
		v->pcpu = i;
		v->power = VCPU_OFF;
	}
	return true;
}

void vm_destroy(struct vm *vm)
{
	/* No CPU may keep a translation through tables about to be reused. */
	arch_s2_flush_vm(&vm->ctl);
	s2_destroy(&vm->s2);
	free(vm->dirty);
	free(vm->present);
	free(vm->requested);
	vm->dirty = vm->present = vm->requested = NULL;
}

void vm_reset_devices(struct vm *vm)
{
	vgic_init(&vm->vgic, vm->cfg.vcpu_count);
	/* The virtual timer is forwarded from the physical PPI of the same number. */
	for (unsigned i = 0; i < vm->cfg.vcpu_count; i++)
		vgic_set_hw(&vm->vgic, i, GUEST_VTIMER_INTID, GUEST_VTIMER_INTID);
	vpl011_init(&vm->uart, vm->cfg.name, vm->uart.emit);
	vnet_init(&vm->net, vm->cfg.mac);
}

void *vm_ram_ptr(const struct vm *vm, uint64_t ipa, uint64_t size)
{
	uint64_t off = ipa - GUEST_RAM_IPA;

	if (ipa < GUEST_RAM_IPA || off >= vm->cfg.mem_bytes || size > vm->cfg.mem_bytes - off)
		return NULL;
	return (void *)(uintptr_t)(pa_addr(vm->ram_pa) + off);
}

void vm_update_uart_line(struct vm *vm)
{
	int target = vgic_set_line(&vm->vgic, 0, GUEST_UART_INTID, vpl011_irq_level(&vm->uart));

	if (target >= 0 && (unsigned)target < vm->cfg.vcpu_count)
		arch_kick_cpu(vm->vcpus[target].pcpu);
}

void vm_kick_pending(struct vm *vm, unsigned self)
{
	for (unsigned i = 0; i < vm->cfg.vcpu_count; i++)
		if (i != self && vm->vcpus[i].power == VCPU_ON &&
		    vgic_vcpu_has_pending(&vm->vgic, i))
			arch_kick_cpu(vm->vcpus[i].pcpu);
}

bool vm_fault_once(struct vm *vm, enum vm_fault_kind kind)
{
	if (vm->faults_reported & kind)
		return false;
	vm->faults_reported |= kind;
	return true;
}

bool vm_console_input(char c, void *ctx)
{
	struct vm *vm = ctx;
	bool taken;

	arch_spin_lock(&vm->lock);
	taken = vpl011_receive(&vm->uart, (uint8_t)c);
	vm_update_uart_line(vm);
	arch_spin_unlock(&vm->lock);
	return taken;
}
