/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The VM's migration back end (hyp/vm_migrate_ops.c, the mig_vm_ops the
 * engine drives) on real VMs over the fake arch, with guests running on
 * their own threads: dirty logging by stage-2 write protection, postcopy's
 * missing pages, and the device package from one VM to another.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hyp/vm_migrate_ops.h"
#include "mig/hello.h"
#include "mig/page_sets.h"
#include "tests/support/guest_steps.h"
#include "tests/support/guest_vm.h"
#include "tests/support/host_console.h"

#define PAGES	    (GUEST_VM_MEM / PAGE_SIZE)
#define PAGE_IPA(p) (GUEST_RAM_IPA + (p)*PAGE_SIZE)

static const struct mig_vm_ops *const ops = &vm_migrate_ops;
static struct host_vm *h, *h2;

static enum s2_perm perm_of(struct host_vm *vm, uint64_t page)
{
	paddr_t pa;
	enum s2_perm perm = S2_NONE;

	if (!s2_lookup(&vm->vm.s2, ipa_init(PAGE_IPA(page)), &pa, &perm))
		return S2_NONE;
	assert_int_equal(pa_addr(pa), (uint64_t)(uintptr_t)host_vm_page(vm, page));
	return perm;
}

/* --- dirty logging ------------------------------------------------------------------- */

/** A store each vCPU makes when the test asks: page, value; how many times it trapped. */
static struct {
	uint64_t page[2], value[2];
	unsigned asked[2], done[2];
	unsigned traps[2];
} box;

static struct vcpu_exit guest_writer(struct fake_guest *g)
{
	unsigned i = g->cpu;
	struct vcpu_exit e;

	for (;;) {
		switch (g->regs->pc) {
		case AT(0):
			if (__atomic_load_n(&box.asked[i], __ATOMIC_ACQUIRE) == box.done[i])
				return fake_guest_run(g);
			if (guest_store(g, PAGE_IPA(box.page[i]) + 8 * i, 8, box.value[i], &e)) {
				box.traps[i]++;
				return e; /* retried when Ferry returns */
			}
			break;
		case AT(1):
			__atomic_store_n(&box.done[i], box.asked[i], __ATOMIC_RELEASE);
			g->regs->pc = AT(0);
			break;
		default:
			return fake_guest_serror(g, 0);
		}
	}
}

/*
 * A logged write traps once, or twice when the CPU's TLB kept the read-only
 * entry it faulted on (the fake's may, as hardware may): that second trap
 * only invalidates (hyp/vm_pause.c, vm_dirty_fault).
 */
static bool logged_write(unsigned traps) { return traps == 1 || traps == 2; }

/** vCPU `i` stores `value` to RAM page `page`; returns how many times the store trapped. */
static unsigned guest_writes(unsigned i, uint64_t page, uint64_t value)
{
	unsigned traps = box.traps[i], asked = box.asked[i] + 1;

	box.page[i] = page;
	box.value[i] = value;
	__atomic_store_n(&box.asked[i], asked, __ATOMIC_RELEASE);
	arch_kick_cpu(i);
	assert_true(
		HOST_VM_WAIT(__atomic_load_n(&box.done[i], __ATOMIC_ACQUIRE) == asked, WAIT_MS));
	assert_int_equal(*(uint64_t *)(void *)(host_vm_page(h, page) + 8 * i), value);
	return box.traps[i] - traps;
}

static void collect(uint64_t *bitmap)
{
	memset(bitmap, 0, mig_bitmap_words(PAGES) * sizeof(uint64_t));
	ops->dirty_collect(&h->vm, bitmap);
}

static unsigned bits_set(const uint64_t *bitmap)
{
	unsigned n = 0;

	for (uint64_t w = 0; w < mig_bitmap_words(PAGES); w++)
		n += (unsigned)__builtin_popcountll(bitmap[w]);
	return n;
}

static void test_dirty_logging(void **state)
{
	uint64_t bitmap[PAGES / 64];

	(void)state;
	memset(&box, 0, sizeof(box));
	h = guest_vm_boot(2, guest_writer, ENTRY);
	assert_int_equal(ops->page_count(&h->vm), PAGES);
	assert_ptr_equal(ops->page(&h->vm, 5), host_vm_page(h, 5));

	/* Not logging: RAM is writable, and the CPUs' TLBs now hold writable entries. */
	assert_int_equal(guest_writes(0, 3, 1), 0);
	assert_int_equal(guest_writes(1, 7, 1), 0);

	ops->dirty_start(&h->vm);
	/* Logging starts with RAM writable: a page is protected only for its copy. */
	assert_int_equal(perm_of(h, 3), S2_RWX);
	assert_int_equal(fake_hw(HOST_VM_CONTROL_CPU)->s2_flush_vm, 0);
	assert_int_equal(guest_writes(0, 3, 2), 0);

	/* Armed for their copy (the first round: all of RAM): protected, one flush. */
	memset(bitmap, 0xff, sizeof(bitmap));
	ops->arm_for_copy(&h->vm, 0, bitmap, PAGES / 64);
	assert_int_equal(perm_of(h, 0), S2_READ | S2_EXEC);
	assert_int_equal(perm_of(h, 3), S2_READ | S2_EXEC);
	assert_int_equal(perm_of(h, PAGES - 1), S2_READ | S2_EXEC);
	assert_int_equal(fake_hw(HOST_VM_CONTROL_CPU)->s2_flush_vm, 1);

	/* The first write to a page after that faults once, is marked, and lands. */
	assert_true(logged_write(guest_writes(0, 3, 3)));
	assert_int_equal(perm_of(h, 3), S2_RWX);
	assert_int_equal(guest_writes(0, 3, 4), 0);
	assert_true(logged_write(guest_writes(1, 7, 2)));
	assert_int_equal(h->vm.dirty_faults, 2);
	assert_true(fake_hw(0)->s2_flush_local >= 1);

	/* Collection takes the bits; the pages stay writable until their copy. */
	collect(bitmap);
	assert_int_equal(bits_set(bitmap), 2);
	assert_true(mig_bit_test(bitmap, 3));
	assert_true(mig_bit_test(bitmap, 7));
	assert_int_equal(perm_of(h, 3), S2_RWX);
	assert_int_equal(fake_hw(HOST_VM_CONTROL_CPU)->s2_flush_vm, 1);
	/* Rewritten before it: no fault, nothing logged (it goes in that copy). */
	assert_int_equal(guest_writes(0, 3, 5), 0);
	assert_int_equal(guest_writes(1, 7, 3), 0);
	assert_int_equal(h->vm.dirty_faults, 2);

	/*
	 * Armed again: a mark left meanwhile on one of them (a write that
	 * faulted before the collection's copy) goes, for the copy follows.
	 */
	mig_bit_set(h->vm.dirty, 7);
	ops->arm_for_copy(&h->vm, 0, bitmap, 1);
	assert_false(mig_bit_test(h->vm.dirty, 7));
	assert_int_equal(perm_of(h, 3), S2_READ | S2_EXEC);
	assert_int_equal(perm_of(h, 7), S2_READ | S2_EXEC);
	assert_int_equal(fake_hw(HOST_VM_CONTROL_CPU)->s2_flush_vm, 2);

	/* Written after the copy (from the other vCPU, too): logged again. */
	assert_true(logged_write(guest_writes(0, 3, 6)));
	assert_int_equal(guest_writes(1, 3, 6), 0);
	collect(bitmap);
	assert_int_equal(bits_set(bitmap), 1);
	assert_true(mig_bit_test(bitmap, 3));
	collect(bitmap);
	assert_int_equal(bits_set(bitmap), 0);

	/* Logging ends: RAM is writable again, nothing more is logged. */
	ops->dirty_stop(&h->vm);
	assert_int_equal(perm_of(h, 3), S2_RWX);
	assert_int_equal(perm_of(h, 100), S2_RWX);
	assert_int_equal(guest_writes(1, 100, 5), 0);
	assert_int_equal(h->vm.dirty_faults, 3);
	/* Nothing is armed then either. */
	ops->arm_for_copy(&h->vm, 0, bitmap, 1);
	memset(bitmap, 0xff, sizeof(bitmap));
	ops->arm_for_copy(&h->vm, 0, bitmap, PAGES / 64);
	assert_int_equal(perm_of(h, 3), S2_RWX);

	/*
	 * Arming takes only the pages it is given, across a word's end, and
	 * leaves the others' marks and permissions as they were.
	 */
	ops->dirty_start(&h->vm);
	memset(bitmap, 0, sizeof(bitmap));
	for (uint64_t p = 60; p <= 70; p++)
		mig_bit_set(bitmap, p);
	mig_bit_set(h->vm.dirty, 59);
	mig_bit_set(h->vm.dirty, 65);
	mig_bit_set(h->vm.dirty, 80);
	ops->arm_for_copy(&h->vm, 0, bitmap, 2);
	assert_int_equal(perm_of(h, 59), S2_RWX);
	assert_int_equal(perm_of(h, 60), S2_READ | S2_EXEC);
	assert_int_equal(perm_of(h, 63), S2_READ | S2_EXEC);
	assert_int_equal(perm_of(h, 64), S2_READ | S2_EXEC);
	assert_int_equal(perm_of(h, 70), S2_READ | S2_EXEC);
	assert_int_equal(perm_of(h, 71), S2_RWX);
	assert_true(mig_bit_test(h->vm.dirty, 59));
	assert_false(mig_bit_test(h->vm.dirty, 65));
	assert_true(mig_bit_test(h->vm.dirty, 80));
	ops->dirty_stop(&h->vm);

	vm_stop_all(&h->vm, VM_POWER_OFF);
	assert_true(host_vm_join(h, WAIT_MS));
}

/*
 * A fetch whose stage-1 table walk writes a descriptor (its Access flag,
 * FEAT_HAFDBS) in a page logging made read-only: stage 2 faults the walk,
 * reported as an instruction abort with S1PTW (Arm ARM D19.2.40). As the
 * hardware would, this guest's fetch traps while that page is not
 * writable at stage 2, and completes once it is.
 */
#define WALK_PAGE 9u
static unsigned walk_asked, walk_done, walk_traps;

static struct vcpu_exit guest_walker(struct fake_guest *g)
{
	struct vcpu_exit e;

	if (g->cpu != 0 || __atomic_load_n(&walk_asked, __ATOMIC_ACQUIRE) == walk_done)
		return fake_guest_run(g);
	if (!(perm_of(h, WALK_PAGE) & S2_WRITE)) {
		walk_traps++;
		/* EC 0x20 (lower EL), S1PTW, IFSC 0b001111: permission fault, level 3 */
		arch_exit_decode(VCPU_VECTOR_SYNC, (0x20ull << 26) | (1u << 25) | (1u << 7) | 0x0f,
				 0x41dc60, (PAGE_IPA(WALK_PAGE) >> 12) << 4, &e);
		return e;
	}
	__atomic_store_n(&walk_done, walk_asked, __ATOMIC_RELEASE);
	return fake_guest_run(g);
}

static void test_table_walk_write_is_logged(void **state)
{
	uint64_t bitmap[PAGES / 64];

	(void)state;
	walk_asked = walk_done = walk_traps = 0;
	h = guest_vm_boot(2, guest_walker, ENTRY);
	ops->dirty_start(&h->vm);
	memset(bitmap, 0, sizeof(bitmap));
	mig_bit_set(bitmap, WALK_PAGE);
	ops->arm_for_copy(&h->vm, 0, bitmap, PAGES / 64);
	assert_int_equal(perm_of(h, WALK_PAGE), S2_READ | S2_EXEC);

	__atomic_store_n(&walk_asked, 1, __ATOMIC_RELEASE);
	arch_kick_cpu(0);
	/* The walk's write is a logged write: marked, writable, the fetch retried and done. */
	assert_true(HOST_VM_WAIT(__atomic_load_n(&walk_done, __ATOMIC_ACQUIRE) == 1, WAIT_MS));
	assert_int_equal(walk_traps, 1);
	assert_int_equal(perm_of(h, WALK_PAGE), S2_RWX);
	collect(bitmap);
	assert_int_equal(bits_set(bitmap), 1);
	assert_true(mig_bit_test(bitmap, WALK_PAGE));
	assert_int_equal(h->vm.stop, VM_RUNNING); /* nothing reported, nothing injected */
	assert_int_equal(h->vm.faults_reported, 0);
	ops->dirty_stop(&h->vm);
	vm_stop_all(&h->vm, VM_POWER_OFF);
	assert_true(host_vm_join(h, WAIT_MS));
}

/* A vCPU's share: its pages per period, the period longer when less than a page is due. */
static void test_throttle_shares(void **state)
{
	const uint64_t freq = 1000000000u;
	uint32_t quota;
	uint64_t period;

	(void)state;
	vm_throttle_share(400, 2, freq, &quota, &period); /* 200/s each: 1 per 5 ms */
	assert_int_equal(quota, 1);
	assert_int_equal(period, 5000000u);
	vm_throttle_share(400000, 2, freq, &quota, &period);
	assert_int_equal(quota, 1000);
	assert_int_equal(period, 5000000u);
	vm_throttle_share(10, 2, freq, &quota, &period); /* 5/s each: a page per 200 ms */
	assert_int_equal(quota, 1);
	assert_int_equal(period, 200000000u);
	vm_throttle_share(1, 4, freq, &quota, &period); /* the floor: 1/s among 4 */
	assert_int_equal(quota, 1);
	assert_int_equal(period, 4000000000u);
	vm_throttle_share(UINT64_MAX, 1, freq, &quota, &period);
	assert_int_equal(quota, UINT32_MAX);
}

/* The vCPU `i` stores to `page` without waiting for the store to land. */
static void guest_writes_async(unsigned i, uint64_t page, uint64_t value)
{
	box.page[i] = page;
	box.value[i] = value;
	__atomic_store_n(&box.asked[i], box.asked[i] + 1, __ATOMIC_RELEASE);
	arch_kick_cpu(i);
}

/*
 * Throttled, a vCPU may newly dirty its share of pages per period; the next
 * new page waits for its next period (and lands); lifting the limit ends a
 * wait at once; after logging, nothing waits.
 */
static void test_throttle_holds_a_vcpu_over_its_quota(void **state)
{
	uint64_t period = arch_counter_freq() / 20u; /* 40 pages/s for two: one each per 50 ms */
	uint64_t t0, waits;
	unsigned traps;

	(void)state;
	memset(&box, 0, sizeof(box));
	h = guest_vm_boot(2, guest_writer, ENTRY);
	ops->dirty_start(&h->vm);
	{ /* all of RAM armed, as a first round's copy does */
		uint64_t all[PAGES / 64];

		memset(all, 0xff, sizeof(all));
		ops->arm_for_copy(&h->vm, 0, all, PAGES / 64);
	}
	/* A period long enough that a loaded host writes the second page within it. */
	ops->throttle(&h->vm, 40);
	/* Rewriting a page already dirty costs nothing; a new one over the quota waits. */
	t0 = arch_counter_now();
	assert_true(logged_write(guest_writes(0, 10, 1)));
	assert_int_equal(guest_writes(0, 10, 2), 0);
	assert_int_equal(h->vm.throttle_waits, 0);
	assert_true(logged_write(guest_writes(0, 11, 1)));
	assert_int_equal(h->vm.throttle_waits, 1);
	/* It waited for the end of the period its first page opened (a busy host: longer). */
	assert_true(arch_counter_now() - t0 >= period);
	assert_true(h->vm.throttle_wait_counts > 0);
	/* Each vCPU has its own share. */
	assert_true(logged_write(guest_writes(1, 20, 1)));
	assert_int_equal(h->vm.throttle_waits, 1);
	/* 1 page/s in all, a page per 2 s each: the second waits, until the limit is lifted. */
	ops->throttle(&h->vm, 1);
	assert_true(logged_write(guest_writes(1, 21, 1))); /* (may wait out its last 5 ms period) */
	waits = h->vm.throttle_waits;
	traps = box.traps[1];
	guest_writes_async(1, 22, 1);
	assert_true(HOST_VM_WAIT(__atomic_load_n(&h->vm.throttle_pages_per_s, __ATOMIC_ACQUIRE) &&
					 box.traps[1] > traps,
				 WAIT_MS));
	ops->throttle(&h->vm, 0);
	assert_true(HOST_VM_WAIT(__atomic_load_n(&box.done[1], __ATOMIC_ACQUIRE) == box.asked[1],
				 WAIT_MS));
	assert_int_equal(h->vm.throttle_waits, waits + 1);
	assert_true(h->vm.throttle_wait_counts < 2 * arch_counter_freq()); /* not its period */
	/* Logging ends: so does any limit. */
	ops->throttle(&h->vm, 400);
	ops->dirty_stop(&h->vm);
	assert_int_equal(h->vm.throttle_pages_per_s, 0);
	assert_int_equal(guest_writes(0, 12, 1), 0);
	assert_int_equal(guest_writes(0, 13, 1), 0);
	assert_int_equal(h->vm.throttle_waits, waits + 1);

	vm_stop_all(&h->vm, VM_POWER_OFF);
	assert_true(host_vm_join(h, WAIT_MS));
}

/* --- postcopy ---------------------------------------------------------------------------- */

#define PAGE_LATE_DATA 5 /* a missing page the guest reads */
#define PAGE_LATE_CODE 6 /* a missing page the guest runs code from */

static struct {
	uint64_t x[31];
} got;

static struct vcpu_exit guest_postcopy(struct fake_guest *g)
{
	struct vcpu_exit e;

	for (;;) {
		if (fake_guest_fetch(g, &e))
			return e;
		switch (g->regs->pc) {
		case AT(0): /* ldr x2, [a page that is here] */
			if (fake_guest_load(g, PAGE_IPA(2), 8, 2, 0, &e))
				return e;
			break;
		case AT(1): /* ldr x3, [a page still owed] */
			if (fake_guest_load(g, PAGE_IPA(PAGE_LATE_DATA) + 8, 8, 3, 0, &e))
				return e;
			break;
		case AT(2): /* br to code in another owed page */
			g->regs->pc = PAGE_IPA(PAGE_LATE_CODE);
			break;
		case PAGE_IPA(PAGE_LATE_CODE): /* ldr x4, [its own page] */
			if (fake_guest_load(g, PAGE_IPA(PAGE_LATE_CODE) + 16, 8, 4, 0, &e))
				return e;
			break;
		case PAGE_IPA(PAGE_LATE_CODE) + 4:
			return guest_off(g, got.x);
		default:
			return fake_guest_serror(g, 0);
		}
	}
}

static bool fault_reported(uint64_t *page) { return ops->postcopy_fault(&h->vm, page); }

static void test_postcopy_fault_and_place(void **state)
{
	uint64_t have[PAGES / 64], page, entries, kicks;
	static uint8_t data[PAGE_SIZE];

	(void)state;
	memset(&got, 0, sizeof(got));
	h = guest_vm_new(1, 2, guest_postcopy);
	host_vm_power_on(h, 0, ENTRY, 0);
	/* What precopy delivered: every page but two. */
	memset(have, 0xff, sizeof(have));
	have[0] &= ~((1ull << PAGE_LATE_DATA) | (1ull << PAGE_LATE_CODE));
	*(uint64_t *)(void *)host_vm_page(h, 2) = 0x2222;
	*(uint64_t *)(void *)(host_vm_page(h, PAGE_LATE_CODE) + 16) = 0xdead; /* stale */

	assert_true(ops->postcopy_begin(&h->vm, have, NULL, 0));
	assert_int_equal(perm_of(h, PAGE_LATE_DATA), S2_NONE);
	assert_int_equal(perm_of(h, PAGE_LATE_CODE), S2_NONE);
	assert_int_equal(perm_of(h, PAGE_LATE_DATA - 1), S2_RWX);
	assert_int_equal(perm_of(h, PAGE_LATE_CODE + 1), S2_RWX);
	assert_false(fault_reported(&page));
	host_vm_start(h);

	/* The vCPU touches the missing page: reported once, and the vCPU waits. */
	assert_true(HOST_VM_WAIT(fault_reported(&page), WAIT_MS));
	assert_int_equal(page, PAGE_LATE_DATA);
	assert_int_equal(__atomic_load_n(&h->vm.waiting_page[0], __ATOMIC_SEQ_CST),
			 PAGE_LATE_DATA + 1);
	entries = __atomic_load_n(&fake_hw(0)->entries, __ATOMIC_RELAXED);
	assert_true(HOST_VM_WAIT(fake_cpu_stats(0).idle_timeouts >= 2, WAIT_MS));
	assert_int_equal(__atomic_load_n(&fake_hw(0)->entries, __ATOMIC_RELAXED), entries);
	assert_false(fault_reported(&page));

	/* Placed: filled, mapped, the vCPU woken; it reads the new contents. */
	memset(data, 0x55, sizeof(data));
	memcpy(data + 8, &(uint64_t){ 0x5555 }, 8);
	kicks = fake_cpu_stats(0).kicks;
	ops->postcopy_place(&h->vm, PAGE_LATE_DATA, data);
	assert_int_equal(fake_cpu_stats(0).kicks, kicks + 1); /* woken, not found by the timeout */
	assert_int_equal(fake_hw(HOST_VM_CONTROL_CPU)->s2_publish, 1);
	assert_int_equal(perm_of(h, PAGE_LATE_DATA), S2_RWX);

	/* Then it runs into code still owed; a zero page arrives (NULL). */
	assert_true(HOST_VM_WAIT(fault_reported(&page), WAIT_MS));
	assert_int_equal(page, PAGE_LATE_CODE);
	ops->postcopy_place(&h->vm, PAGE_LATE_CODE, NULL);

	guest_vm_ends(h, VM_POWER_OFF);
	assert_int_equal(got.x[2], 0x2222);
	assert_int_equal(got.x[3], 0x5555);
	assert_int_equal(got.x[4], 0); /* the zero page, not what was there before */
	assert_int_equal(h->vm.postcopy_stalls, 2);
	assert_false(fault_reported(&page));
}

/*
 * A postcopy attempt discarded before the VM ran here (cancelled after
 * PONG): every page mapped again, no fault left waiting, vCPUs off and
 * devices at reset, this board's forwarding kept. A board left in postcopy
 * would stall the next migration's guest on pages nobody sends.
 */
static void test_discard_leaves_a_clean_vm(void **state)
{
	uint64_t have[PAGES / 64];

	(void)state;
	h = guest_vm_new(1, 2, NULL);
	memset(have, 0, sizeof(have));
	have[0] = 0xff; /* only the first eight pages came */
	assert_true(ops->postcopy_begin(&h->vm, have, NULL, 0));
	assert_int_equal(perm_of(h, 100), S2_NONE);
	h->vm.fault_ring[h->vm.fault_head++] = 100; /* a request not yet taken */
	h->vm.vcpus[0].regs.pc = 0x1234;
	h->vm.vcpus[0].power = VCPU_ON;
	vgic_irq(&h->vm.vgic, 0, GUEST_UART_INTID)->enabled = true;
	h->vm.uart.imsc = 0x10;

	ops->discard(&h->vm);
	assert_false(h->vm.postcopy);
	for (uint64_t p = 0; p < PAGES; p++)
		assert_int_equal(perm_of(h, p), S2_RWX);
	assert_int_equal(h->vm.fault_head, h->vm.fault_tail);
	assert_int_equal(h->vm.vcpus[0].power, VCPU_OFF);
	assert_int_equal(h->vm.vcpus[0].regs.pc, 0);
	assert_false(vgic_irq(&h->vm.vgic, 0, GUEST_UART_INTID)->enabled);
	assert_true(vgic_irq(&h->vm.vgic, 0, GUEST_VTIMER_INTID)->hw);
	assert_int_equal(vgic_irq(&h->vm.vgic, 0, GUEST_VTIMER_INTID)->hw_intid,
			 GUEST_VTIMER_INTID);
	assert_int_equal(h->vm.uart.imsc, 0);
	assert_non_null(h->vm.uart.emit); /* still prints to the board console */
}

/* --- the device package ------------------------------------------------------------------ */

static struct {
	uint64_t tpidr_el1[2], cntvoff[2], cval[2], vmcr[2], pc[2];
	uint32_t acked;
	uint64_t rx;
	bool started[2];
} dest;

/* Source: each vCPU sets EL1 state on its CPU, vCPU 0 sets up the UART and its interrupt. */
static struct vcpu_exit guest_source(struct fake_guest *g)
{
	unsigned i = g->cpu;
	struct vcpu_exit e;

	for (;;) {
		switch (g->regs->pc) {
		case AT(0):
			g->hw->sys.tpidr_el1 = 0x1000 + i;
			g->hw->sys.vbar_el1 = 0x40080000;
			g->hw->timer.cntv_cval_el0 = 0x77000 + i;
			g->hw->timer.cntv_ctl_el0 = 1;
			g->hw->ich_vmcr_el2 = 0xf0000001u;
			for (unsigned r = 0; r < 31; r++)
				g->regs->x[r] = 0x100 * i + r;
			g->regs->fp.v[5] = 0x5555 + i;
			g->regs->pc = i == 0 ? AT(1) : AT(10);
			break;
		case AT(1):
		case AT(2):
		case AT(3):
			if (guest_enable_irq(g, AT(1), 0, GUEST_UART_INTID, &e))
				return e;
			break;
		case AT(4): /* UARTIMSC.RXIM */
			if (guest_store(g, UARTIMSC, 4, 1u << 4, &e))
				return e;
			break;
		case AT(5): /* half a line of output */
			if (guest_store(g, UARTDR, 1, 'm', &e))
				return e;
			break;
		case AT(6):
			if (guest_store(g, UARTDR, 1, 'i', &e))
				return e;
			break;
		case AT(7):
			__atomic_store_n(&dest.started[0], true, __ATOMIC_RELEASE);
			g->regs->pc = AT(20);
			break;
		case AT(10):
			__atomic_store_n(&dest.started[1], true, __ATOMIC_RELEASE);
			g->regs->pc = AT(20);
			break;
		case AT(20): /* spins */
			return fake_guest_run(g);
		default:
			return fake_guest_serror(g, 0);
		}
	}
}

/* Destination: the vCPUs go on at AT(20) with what arrived. */
static struct vcpu_exit guest_dest(struct fake_guest *g)
{
	unsigned i = g->cpu;
	struct vcpu_exit e;

	for (;;) {
		switch (g->regs->pc) {
		case AT(20):
			dest.pc[i] = g->regs->pc;
			dest.tpidr_el1[i] = g->hw->sys.tpidr_el1;
			dest.cntvoff[i] = g->hw->cntvoff_el2;
			dest.cval[i] = g->hw->timer.cntv_cval_el0;
			dest.vmcr[i] = g->hw->ich_vmcr_el2;
			__atomic_store_n(&dest.started[i], true, __ATOMIC_RELEASE);
			g->regs->pc = i == 0 ? AT(21) : AT(30);
			break;
		case AT(21): /* the interrupt of the byte that arrived with the UART */
			dest.acked = fake_guest_ack(g);
			g->regs->pc += 4;
			break;
		case AT(22):
			if (fake_guest_load(g, UARTDR, 1, 2, FAKE_MEM_W, &e))
				return e;
			break;
		case AT(23):
			dest.rx = g->regs->x[2];
			fake_guest_eoi(g, dest.acked);
			if (guest_store(g, UARTDR, 1, 'd', &e))
				return e;
			break;
		case AT(24):
			if (guest_store(g, UARTDR, 1, '\n', &e))
				return e;
			break;
		case AT(25):
			if (!__atomic_load_n(&dest.started[1], __ATOMIC_ACQUIRE))
				return fake_guest_run(g);
			return guest_off(g, NULL);
		case AT(30):
			return fake_guest_run(g);
		default:
			return fake_guest_serror(g, 0);
		}
	}
}

/*
 * A device package from a running two-vCPU VM to a parked one; `at_once`:
 * synchronized and started in one step (RUN in hand), else synchronized
 * (each CPU holds its state, timer held) and started after.
 */
static void device_package_moves(bool at_once)
{
	static uint8_t package[64 * 1024];
	static struct vcpu_regs src_regs[2];
	char err[128] = "";
	uint64_t guest_counter, before, after, entries[2], puts[2], timer_loads[2];
	struct mig_rehearsal measured = { 0 };
	size_t len;

	memset(&dest, 0, sizeof(dest));
	/* The source runs until both vCPUs set their state, gets two bytes of input, stops. */
	h = guest_vm_boot(2, guest_source, ENTRY);
	assert_true(HOST_VM_WAIT(__atomic_load_n(&dest.started[0], __ATOMIC_ACQUIRE) &&
					 __atomic_load_n(&dest.started[1], __ATOMIC_ACQUIRE),
				 WAIT_MS));
	assert_true(vm_console_input('a', &h->vm));
	assert_true(vm_console_input('b', &h->vm));
	assert_true(
		ops->rehearse(&h->vm, false, false, &measured)); /* the running VM is not touched */
	assert_true(measured.ns > 0);				 /* how long saving took, */
	assert_true(measured.package_bytes > 0);		 /* and how big a package is */
	ops->stop(&h->vm);
	len = ops->save_devices(&h->vm, MIG_FORMAT_VERSION, package, sizeof(package));
	assert_true(len > 0);
	assert_int_equal(ops->save_devices(&h->vm, MIG_FORMAT_VERSION, package, 64),
			 0); /* too small: nothing */
	len = ops->save_devices(&h->vm, MIG_FORMAT_VERSION, package, sizeof(package));
	guest_counter = h->vm.paused_at - h->vm.ctl.cntvoff;
	src_regs[0] = h->vm.vcpus[0].regs;
	src_regs[1] = h->vm.vcpus[1].regs;
	vm_stop_all(&h->vm, VM_MIGRATED);
	assert_true(host_vm_join(h, WAIT_MS));

	/* The destination: same configuration, its vCPUs parked waiting for the state. */
	memset(&dest, 0, sizeof(dest));
	h2 = guest_vm_new(2, 2, guest_dest);
	h2->vm.pause_req = true;
	host_vm_start(h2);
	assert_true(HOST_VM_WAIT(__atomic_load_n(&h2->vm.parked, __ATOMIC_ACQUIRE) == 2, WAIT_MS));
	/* The rehearsal goes through every step, then leaves the board as it found it. */
	measured = (struct mig_rehearsal){ 0 };
	assert_true(ops->rehearse(&h2->vm, true, false, &measured));
	assert_true(measured.ns > 0);
	/*
	 * Once more as a dry run right before a switchover, as one flight
	 * starts: each vCPU takes the stand-in, goes out of its parking to the
	 * entry, enters the stand-in once and is parked again; no vCPU polls
	 * after it, and the VM is as before.
	 */
	for (unsigned i = 0; i < 2; i++) {
		entries[i] = fake_hw(i)->entries;
		puts[i] = fake_hw(i)->puts;
	}
	measured = (struct mig_rehearsal){ 0 };
	assert_true(ops->rehearse(&h2->vm, true, true, &measured));
	assert_true(measured.ns > 0);
	assert_true(__atomic_load_n(&h2->vm.poll_until, __ATOMIC_ACQUIRE) <= arch_counter_now());
	assert_true(HOST_VM_WAIT(__atomic_load_n(&h2->vm.parked, __ATOMIC_ACQUIRE) == 2, WAIT_MS));
	assert_true(h2->vm.pause_req);
	assert_false(h2->vm.rehearsing);
	for (unsigned i = 0; i < 2; i++) {
		assert_int_equal(fake_hw(i)->entries, entries[i] + 1);
		assert_int_equal(fake_hw(i)->puts, puts[i] + 1); /* its state taken back */
		assert_false(fake_hw(i)->loaded);
		assert_int_equal(h2->vm.vcpus[i].power, VCPU_OFF);
		assert_int_equal(h2->vm.vcpus[i].regs.pstate, 0);
	}
	assert_false(vgic_irq(&h2->vm.vgic, 0, GUEST_UART_INTID)->enabled);
	for (unsigned i = 0; i < 2; i++) /* the rehearsed start armed the stand-in's */
		timer_loads[i] = fake_hw(i)->timer_loads;
	assert_true(ops->load_devices(&h2->vm, package, len, err, sizeof(err)));
	if (at_once) {
		uint64_t last;

		before = arch_counter_now();
		assert_true(ops->sync_devices(&h2->vm, true, err, sizeof(err)));
		/* On their way into the guest: the start only waits for them. */
		last = ops->start(&h2->vm);
		after = arch_counter_now();
		assert_true(last >= before * (1000000000ull / arch_counter_freq()));
		/* The count went on from where it stopped when the first vCPU left its parking. */
		assert_true(h2->vm.ctl.cntvoff >= before - guest_counter);
		assert_true(h2->vm.ctl.cntvoff <= after - guest_counter);
		for (unsigned i = 0; i < 2; i++) /* held while parked, armed as each left */
			assert_int_equal(fake_hw(i)->timer_loads, timer_loads[i] + 1);
		goto started;
	}
	before = arch_counter_now();
	assert_true(ops->sync_devices(&h2->vm, false, err, sizeof(err)));
	after = arch_counter_now();
	/* Synchronized into the hardware context: each vCPU's CPU holds its state, timer off. */
	for (unsigned i = 0; i < 2; i++) {
		struct fake_hw *hw = fake_hw(i);

		assert_true(hw->loaded);
		assert_memory_equal(&hw->sys, &src_regs[i].sys, sizeof(hw->sys) - 8);
		assert_int_equal(hw->cntvoff_el2, h2->vm.ctl.cntvoff);
		assert_int_equal(hw->timer.cntv_ctl_el0, 0); /* held until the start */
		assert_int_equal(hw->timer_loads, timer_loads[i]);
	}
	for (unsigned i = 0; i < 2; i++) {
		const struct vcpu_regs *r = &h2->vm.vcpus[i].regs;

		assert_int_equal(h2->vm.vcpus[i].power, VCPU_ON);
		assert_memory_equal(r->x, src_regs[i].x, sizeof(r->x));
		assert_int_equal(r->pc, src_regs[i].pc);
		assert_int_equal(r->pstate, src_regs[i].pstate);
		assert_memory_equal(&r->fp, &src_regs[i].fp, sizeof(r->fp));
		assert_memory_equal(&r->sys, &src_regs[i].sys, sizeof(r->sys));
		assert_memory_equal(&r->timer, &src_regs[i].timer, sizeof(r->timer));
		assert_int_equal(r->gic.ich_vmcr_el2, 0xf0000001u);
	}
	assert_int_equal(h2->vm.vgic.ctlr & GICD_CTLR_ENABLE_G1, GICD_CTLR_ENABLE_G1);
	assert_true(vgic_irq(&h2->vm.vgic, 0, GUEST_UART_INTID)->enabled);
	assert_int_equal(h2->vm.uart.rx_count, 2);
	assert_int_equal(h2->vm.uart.imsc, 1u << 4);
	/* The guest's virtual count goes on from where it stopped. */
	assert_true(h2->vm.ctl.cntvoff >= before - guest_counter);
	assert_true(h2->vm.ctl.cntvoff <= after - guest_counter);

	/* Started: the vCPUs take the state to their CPUs and go on. */
	ops->start(&h2->vm);
started:
	guest_vm_ends(h2, VM_POWER_OFF);
	for (unsigned i = 0; i < 2; i++) {
		assert_int_equal(dest.pc[i], AT(20));
		assert_int_equal(dest.tpidr_el1[i], 0x1000 + i);
		assert_int_equal(dest.cval[i], 0x77000 + i);
		assert_int_equal(dest.vmcr[i], 0xf0000001u);
		assert_int_equal(dest.cntvoff[i], h2->vm.ctl.cntvoff);
	}
	assert_int_equal(dest.acked, GUEST_UART_INTID);
	assert_int_equal(dest.rx, 'a');
	/* The line the source began is finished on the destination. */
	assert_int_equal(host_console_count("vm0| mid\n"), 1);
}

static void test_device_package(void **state)
{
	(void)state;
	device_package_moves(false);
}

static void test_device_package_started_with_sync(void **state)
{
	(void)state;
	device_package_moves(true);
}

/* --- the network device's writes ---------------------------------------------------- */

#define RX_RING 10u /* the receive queue's descriptors and available ring */
#define RX_USED 11u /* its used ring */

/*
 * Writes the network device makes through EL2's mapping, which stage 2
 * does not see, are in the log once made: the used ring's page and each
 * page of the buffer the frame went to, and nothing it only read; none
 * while not logging.
 */
static void test_device_writes_logged(void **state)
{
	struct vnet *n;
	uint8_t frame[200] = { 1, 2, 3 };
	uint64_t bitmap[PAGES / 64];
	uint8_t *ring;
	uint16_t avail[3];

	(void)state;
	h = guest_vm_new(1, 1, NULL);
	h->vm.cfg.has_nic = true;
	n = &h->vm.net;
	n->driver_features = VNET_FEATURES;
	n->status = VNET_S_ACKNOWLEDGE | VNET_S_DRIVER | VNET_S_FEATURES_OK | VNET_S_DRIVER_OK;
	n->q[VNET_RX] = (struct vnet_queue){ .num = 8,
					     .ready = true,
					     .desc = PAGE_IPA(RX_RING),
					     .avail = PAGE_IPA(RX_RING) + 0x800,
					     .used = PAGE_IPA(RX_USED) };
	/* Two buffers the device may write: one across pages 20 and 21, one in page 30. */
	ring = host_vm_page(h, RX_RING);
	for (unsigned i = 0; i < 2; i++) {
		uint64_t addr = i ? PAGE_IPA(30) : PAGE_IPA(21) - 64;
		uint32_t len = 2048;
		uint16_t flags = 2; /* VIRTQ_DESC_F_WRITE */

		memcpy(ring + 16 * i, &addr, 8);
		memcpy(ring + 16 * i + 8, &len, 4);
		memcpy(ring + 16 * i + 12, &flags, 2);
	}
	avail[0] = 0, avail[1] = 2, avail[2] = 0;
	memcpy(ring + 0x800, avail, sizeof(avail));
	ring[0x800 + 6] = 1; /* the second entry: buffer 1 */

	ops->dirty_start(&h->vm);
	assert_int_equal(vm_net_receive(&h->vm, frame, sizeof(frame)), VNET_RX_DELIVERED);
	assert_memory_equal(host_vm_page(h, 21) - 64 + VNET_HDR_BYTES, frame, 52);
	collect(bitmap);
	assert_int_equal(bits_set(bitmap), 3);
	assert_true(bitmap[0] & 1ull << 20);
	assert_true(bitmap[0] & 1ull << 21);
	assert_true(bitmap[0] & 1ull << RX_USED);

	ops->dirty_stop(&h->vm);
	assert_int_equal(vm_net_receive(&h->vm, frame, sizeof(frame)), VNET_RX_DELIVERED);
	assert_int_equal(host_vm_page(h, 30)[VNET_HDR_BYTES], 1);
	assert_false(h->vm.dirty[0] & 1ull << 30);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		GUEST_VM_TEST(test_dirty_logging, guest_vm_setup),
		GUEST_VM_TEST(test_table_walk_write_is_logged, guest_vm_setup),
		cmocka_unit_test(test_throttle_shares),
		GUEST_VM_TEST(test_throttle_holds_a_vcpu_over_its_quota, guest_vm_setup),
		GUEST_VM_TEST(test_postcopy_fault_and_place, guest_vm_setup),
		GUEST_VM_TEST(test_discard_leaves_a_clean_vm, guest_vm_setup),
		GUEST_VM_TEST(test_device_package, guest_vm_setup),
		GUEST_VM_TEST(test_device_package_started_with_sync, guest_vm_setup),
		GUEST_VM_TEST(test_device_writes_logged, guest_vm_setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
