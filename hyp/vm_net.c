/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The guest's network device in its VM (vm.h): the guest's RAM as the
 * device reaches it, its interrupt line, and the back end's two calls.
 *
 * The device writes guest RAM through EL2's own mapping, which stage 2's
 * write protection does not see: every page it writes is marked in the
 * dirty log itself. The back end runs on the control CPU, the same CPU
 * that collects the log and copies pages, so a page is marked and written
 * with no collection or copy in between. On a postcopy destination a
 * page not here yet is asked for and the work waits for it: the device
 * never reads what is not there, nor writes what the page's arrival would
 * overwrite.
 */
#include "hyp/arch.h"
#include "hyp/vm.h"

static enum vnet_mem_status map(void *ctx, uint64_t ipa, uint64_t len, bool write, void **host)
{
	struct vm *vm = ctx;
	void *p = vm_ram_ptr(vm, ipa, len);
	uint64_t first, last;

	if (!p)
		return VNET_MEM_BAD;
	first = (ipa - GUEST_RAM_IPA) / PAGE_SIZE;
	last = (ipa - GUEST_RAM_IPA + (len ? len - 1 : 0)) / PAGE_SIZE;
	if (vm->postcopy) {
		/* The first missing page is asked for; the work goes on when it is here. */
		for (uint64_t page = first; page <= last; page++)
			if (vm_postcopy_request(vm, page))
				return VNET_MEM_LATER;
	}
	if (write && vm->dirty_logging && vm->dirty)
		for (uint64_t page = first; page <= last; page++)
			__atomic_fetch_or(&vm->dirty[page / 64], 1ull << (page % 64),
					  __ATOMIC_SEQ_CST);
	*host = p;
	return VNET_MEM_OK;
}

void vm_net_update_line(struct vm *vm)
{
	int target = vgic_set_line(&vm->vgic, 0, GUEST_NET_INTID, vnet_irq_level(&vm->net));

	if (target >= 0 && (unsigned)target < vm->cfg.vcpu_count)
		arch_kick_cpu(vm->vcpus[target].pcpu);
}

/*
 * Its RAM is the guest's to touch only while it runs: not once stopped or
 * parked, nor while a destination rehearses its start with a stand-in
 * state (the gate opens for it, the VM does not run).
 */
bool vm_net_running(const struct vm *vm)
{
	return vm->cfg.has_nic && vm->stop == VM_RUNNING && !vm->pause_req && !vm->rehearsing;
}

unsigned vm_net_transmit(struct vm *vm, vnet_send_fn send, void *ctx)
{
	const struct vnet_mem mem = { vm, map };
	unsigned n = 0;

	arch_spin_lock(&vm->lock);
	if (vm_net_running(vm)) {
		n = vnet_tx(&vm->net, &mem, send, ctx);
		vm_net_update_line(vm);
	}
	arch_spin_unlock(&vm->lock);
	return n;
}

enum vnet_rx_result vm_net_receive(struct vm *vm, const uint8_t *frame, size_t len)
{
	const struct vnet_mem mem = { vm, map };
	enum vnet_rx_result r = VNET_RX_NO_BUFFER;

	arch_spin_lock(&vm->lock);
	if (vm_net_running(vm)) {
		r = vnet_rx(&vm->net, &mem, frame, len);
		vm_net_update_line(vm);
	}
	arch_spin_unlock(&vm->lock);
	return r;
}

bool vm_net_kicked(struct vm *vm)
{
	bool kicked;

	arch_spin_lock(&vm->lock);
	kicked = vm->net.kicked[VNET_RX] || vm->net.kicked[VNET_TX];
	vm->net.kicked[VNET_RX] = false;
	arch_spin_unlock(&vm->lock);
	return kicked;
}
