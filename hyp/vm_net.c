/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The guest's network device in its VM (vm.h): the guest's RAM as the
 * device reaches it, its interrupt line, and the back end's two calls.
 *
 * The device writes guest RAM through EL2's own mapping, which stage 2's
 * write protection does not see: every page it writes is marked in the
 * dirty log itself. The back end runs on whichever CPU the frames reach
 * (the guest's own, after its QueueNotify or the LAN's interrupt; the
 * control CPU), while the control CPU collects the log and copies pages.
 * So a page is marked once each write to it is done: a collection before
 * the mark leaves the bit for the next round, which copies the page again;
 * the stopped VM's last collection comes after every vCPU parked, which it
 * does only once its work here is over (each call is whole under the VM's
 * lock, and checks that the VM runs). On a postcopy destination a page not
 * here yet is asked for and the work waits for it: the device never reads
 * what is not there, nor writes what the page's arrival would overwrite.
 */
#include "hyp/arch.h"
#include "hyp/vm.h"

static enum vnet_mem_status map(void *ctx, uint64_t ipa, uint64_t len, bool write, void **host)
{
	struct vm *vm = ctx;
	void *p = vm_ram_ptr(vm, ipa, len);
	uint64_t first, last;

	(void)write;
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
	*host = p;
	return VNET_MEM_OK;
}

/*
 * After a write (a buffer's bytes, a used entry): its pages in the dirty
 * log, as many as it spans (a descriptor's length at most, so a guest's
 * chain marks no page it did not have written). The fence orders the
 * write before the look at dirty_logging, as dirty_start's orders its
 * store before the first round's copies: one of the two sees the other.
 */
static void written(void *ctx, uint64_t ipa, uint64_t len)
{
	struct vm *vm = ctx;
	uint64_t first = (ipa - GUEST_RAM_IPA) / PAGE_SIZE;
	uint64_t last = (ipa - GUEST_RAM_IPA + (len ? len - 1 : 0)) / PAGE_SIZE;

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!__atomic_load_n(&vm->dirty_logging, __ATOMIC_SEQ_CST) || !vm->dirty)
		return;
	for (uint64_t page = first; page <= last; page++)
		__atomic_fetch_or(&vm->dirty[page / 64], 1ull << (page % 64), __ATOMIC_SEQ_CST);
}

void vm_net_update_line(struct vm *vm)
{
	int target = vgic_set_line(&vm->vgic, 0, GUEST_NET_INTID, vnet_irq_level(&vm->net));

	/* Not this CPU's own vCPU: it looks at its list registers before it enters. */
	if (target >= 0 && (unsigned)target < vm->cfg.vcpu_count &&
	    vm->vcpus[target].pcpu != arch_cpu_index())
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
	const struct vnet_mem mem = { vm, map, written };
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
	const struct vnet_mem mem = { vm, map, written };
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
