/* SPDX-License-Identifier: Apache-2.0 */
/** The board's migration back end, see vm_migrate_ops.h. */
#include "hyp/vm_migrate_ops.h"

#include <stdlib.h>
#include <string.h>

#include "hyp/arch.h"
#include "hyp/arch_vcpu.h"
#include "hyp/format.h"
#include "mig/page_sets.h"
#include "mig/state_sections.h"

/* State loaded from a device package, kept apart until it is synchronized. */
static struct {
	struct mig_vm_state vm;
	struct vcpu_regs regs[VM_VCPU_MAX];
	struct vgic_dist vgic;
	struct vpl011 uart;
} shadow;

static uint64_t page_count(void *ctx) { return ((struct vm *)ctx)->cfg.mem_bytes / PAGE_SIZE; }

static uint8_t *page(void *ctx, uint64_t p)
{
	struct vm *vm = ctx;

	return (uint8_t *)(uintptr_t)(pa_addr(vm->ram_pa) + p * PAGE_SIZE);
}

static uint64_t now_ns(void *ctx)
{
	(void)ctx;
	return arch_counter_now() * (1000000000ull / arch_counter_freq());
}

static void protect_all(struct vm *vm, enum s2_perm perm)
{
	s2_protect(&vm->s2, ipa_init(GUEST_RAM_IPA), vm->cfg.mem_bytes, perm);
	arch_s2_flush_vm(&vm->ctl);
}

static void dirty_start(void *ctx)
{
	struct vm *vm = ctx;

	if (!vm->dirty)
		vm->dirty = calloc(mig_bitmap_words(page_count(vm)), sizeof(uint64_t));
	if (!vm->dirty)
		return; /* dirty_collect then reports every page */
	memset(vm->dirty, 0, mig_bitmap_words(page_count(vm)) * sizeof(uint64_t));
	vm->dirty_logging = true;
	protect_all(vm, S2_READ | S2_EXEC);
}

static void dirty_collect(void *ctx, uint64_t *bitmap)
{
	struct vm *vm = ctx;
	uint64_t words = mig_bitmap_words(page_count(vm));

	if (!vm->dirty) { /* no bitmap: everything is dirty, always correct */
		memset(bitmap, 0xff, words * sizeof(uint64_t));
		return;
	}
	/* Take the bits, protect those pages again, then flush: see vm_dirty_fault. */
	for (uint64_t w = 0; w < words; w++) {
		uint64_t bits = __atomic_exchange_n(&vm->dirty[w], 0, __ATOMIC_SEQ_CST);

		bitmap[w] |= bits;
		while (bits) {
			uint64_t p = w * 64 + (uint64_t)__builtin_ctzll(bits);

			bits &= bits - 1;
			s2_protect(&vm->s2, ipa_init(GUEST_RAM_IPA + p * PAGE_SIZE), PAGE_SIZE,
				   S2_READ | S2_EXEC);
		}
	}
	arch_s2_flush_vm(&vm->ctl);
}

static void dirty_stop(void *ctx)
{
	struct vm *vm = ctx;

	if (!vm->dirty_logging)
		return;
	protect_all(vm, S2_RWX); /* writable again before anyone may take a fault as the guest's */
	vm->dirty_logging = false;
}

static void stop(void *ctx) { vm_pause(ctx); }
static void resume(void *ctx) { vm_unpause(ctx); }

static size_t save_devices(void *ctx, uint8_t *buf, size_t size)
{
	struct vm *vm = ctx;
	struct mig_vm_state st = {
		/* The guest's clock stopped with its vCPUs, not now. */
		.guest_counter = vm->paused_at - vm->ctl.cntvoff,
		.vcpu_count = vm->cfg.vcpu_count,
	};
	struct mig_writer w;

	for (unsigned i = 0; i < vm->cfg.vcpu_count; i++)
		if (vm->vcpus[i].power == VCPU_ON)
			st.vcpu_on_mask |= 1u << i;
	mig_writer_init(&w, buf, size);
	mig_section_save(&mig_section_vm, &st, &w);
	for (unsigned i = 0; i < vm->cfg.vcpu_count; i++)
		mig_section_save(&mig_section_vcpu, &vm->vcpus[i].regs, &w);
	mig_section_save(&mig_section_vgic_dist, &vm->vgic, &w);
	for (unsigned i = 0; i < vm->cfg.vcpu_count; i++)
		mig_section_save(&mig_section_vgic_redist, &vm->vgic.redist[i], &w);
	mig_section_save(&mig_section_pl011, &vm->uart, &w);
	return w.overflow ? 0 : w.len;
}

static bool load_devices(void *ctx, const uint8_t *buf, size_t len, char *err, size_t n)
{
	struct vm *vm = ctx;
	struct mig_reader r;

	mig_reader_init(&r, buf, len);
	if (!mig_section_load(&mig_section_vm, &r, &shadow.vm, err, n))
		return false;
	if (shadow.vm.vcpu_count != vm->cfg.vcpu_count) {
		format_snprintf(err, n, "the VM has %u vCPUs, this board prepared %u",
				shadow.vm.vcpu_count, vm->cfg.vcpu_count);
		return false;
	}
	/* Starting values: what a field the package lacks keeps (section.h). */
	shadow.vgic = vm->vgic;
	shadow.uart = vm->uart;
	for (unsigned i = 0; i < vm->cfg.vcpu_count; i++) {
		shadow.regs[i] = vm->vcpus[i].regs;
		if (!mig_section_load(&mig_section_vcpu, &r, &shadow.regs[i], err, n))
			return false;
	}
	if (!mig_section_load(&mig_section_vgic_dist, &r, &shadow.vgic, err, n))
		return false;
	for (unsigned i = 0; i < vm->cfg.vcpu_count; i++)
		if (!mig_section_load(&mig_section_vgic_redist, &r, &shadow.vgic.redist[i], err, n))
			return false;
	if (!mig_section_load(&mig_section_pl011, &r, &shadow.uart, err, n))
		return false;
	if (mig_remaining(&r)) {
		format_snprintf(err, n, "%zu bytes after the device sections", mig_remaining(&r));
		return false;
	}
	return true;
}

/* Into the VM, whose vCPUs are parked: they load it when they run (before PONG). */
static bool sync_devices(void *ctx, char *err, size_t n)
{
	struct vm *vm = ctx;

	(void)err, (void)n;
	for (unsigned i = 0; i < vm->cfg.vcpu_count; i++) {
		vm->vcpus[i].regs = shadow.regs[i];
		vm->vcpus[i].power = (shadow.vm.vcpu_on_mask >> i) & 1 ? VCPU_ON : VCPU_OFF;
	}
	arch_spin_lock(&vm->lock);
	vm->vgic = shadow.vgic;
	vm->uart = shadow.uart;
	arch_spin_unlock(&vm->lock);
	/* The guest's count goes on from where it stopped: it never goes backwards. */
	vm->ctl.cntvoff = arch_counter_now() - shadow.vm.guest_counter;
	return true;
}

/* Postcopy, destination: pages the VM lacks are unmapped until they arrive. */
static void postcopy_begin(void *ctx, const uint64_t *have)
{
	struct vm *vm = ctx;
	uint64_t pages = page_count(vm), words = mig_bitmap_words(pages);

	vm->present = calloc(words, sizeof(uint64_t));
	vm->requested = calloc(words, sizeof(uint64_t));
	if (!vm->present || !vm->requested)
		return; /* every page stays mapped: the engine still places them all */
	memcpy(vm->present, have, words * sizeof(uint64_t));
	/* Runs of missing pages at once: one walk per stage-2 table, not per page. */
	for (uint64_t p = 0; p < pages;) {
		uint64_t end = p;

		if (mig_bit_test(have, p)) {
			p++;
			continue;
		}
		while (end < pages && !mig_bit_test(have, end))
			end++;
		s2_unmap(&vm->s2, ipa_init(GUEST_RAM_IPA + p * PAGE_SIZE), (end - p) * PAGE_SIZE);
		p = end;
	}
	arch_s2_flush_vm(&vm->ctl);
	vm->postcopy = true;
}

static bool postcopy_fault(void *ctx, uint64_t *page)
{
	struct vm *vm = ctx;
	bool any;

	arch_spin_lock(&vm->fault_lock);
	any = vm->fault_tail != vm->fault_head;
	if (any)
		*page = vm->fault_ring[vm->fault_tail++ %
				       (sizeof(vm->fault_ring) / sizeof(vm->fault_ring[0]))];
	arch_spin_unlock(&vm->fault_lock);
	return any;
}

static void postcopy_place(void *ctx, uint64_t p, const void *data)
{
	struct vm *vm = ctx;
	uint8_t *dst = page(vm, p);

	if (data)
		memcpy(dst, data, PAGE_SIZE);
	else
		memset(dst, 0, PAGE_SIZE);
	if (!vm->present)
		return;
	/* Contents first, then the mapping, then the bit its vCPUs wait on. */
	s2_map(&vm->s2, ipa_init(GUEST_RAM_IPA + p * PAGE_SIZE),
	       pa_init(pa_addr(vm->ram_pa) + p * PAGE_SIZE), PAGE_SIZE, S2_RWX, S2_MEM_NORMAL);
	arch_s2_publish();
	__atomic_fetch_or(&vm->present[p / 64], 1ull << (p % 64), __ATOMIC_SEQ_CST);
	/* Wake the vCPUs waiting for it (see vm_postcopy_fault: no wake-up is lost). */
	for (unsigned i = 0; i < vm->cfg.vcpu_count; i++)
		if (__atomic_load_n(&vm->waiting_page[i], __ATOMIC_SEQ_CST) == p + 1)
			arch_kick_cpu(vm->vcpus[i].pcpu);
}

/* How long the vCPUs may take to leave their parking once told to run. */
#define START_WAIT_MS 1000u

/**
 * RUN: the vCPUs leave their parking; VM_STARTED goes out only once every
 * one of them has (each enters the guest next), so the source's downtime
 * ends when the VM really runs here.
 */
static bool start(void *ctx)
{
	struct vm *vm = ctx;
	uint64_t give_up = arch_counter_now() + arch_counter_freq() / 1000u * START_WAIT_MS;

	vm_unpause(vm);
	/* Unparked, the VM is this board's whatever happens: a late vCPU only delays the news. */
	while (__atomic_load_n(&vm->parked, __ATOMIC_ACQUIRE) && vm->stop == VM_RUNNING &&
	       arch_counter_now() < give_up)
		;
	return true;
}

const struct mig_vm_ops vm_migrate_ops = {
	.page_count = page_count,
	.page = page,
	.dirty_start = dirty_start,
	.dirty_collect = dirty_collect,
	.dirty_stop = dirty_stop,
	.stop = stop,
	.resume = resume,
	.save_devices = save_devices,
	.load_devices = load_devices,
	.sync_devices = sync_devices,
	.start = start,
	.postcopy_begin = postcopy_begin,
	.postcopy_fault = postcopy_fault,
	.postcopy_place = postcopy_place,
	.now_ns = now_ns,
};
