/* SPDX-License-Identifier: Apache-2.0 */
/** The board's migration back end, see vm_migrate_ops.h. */
#include "hyp/vm_migrate_ops.h"

#include <stdlib.h>
#include <string.h>

#include "hyp/arch.h"
#include "hyp/arch_vcpu.h"
#include "hyp/console.h"
#include "lib/format.h"
#include "mig/ram_codec.h"
#include "hyp/id_regs.h"
#include "hyp/pstate.h"
#include "hyp/vm_package.h"
#include "mig/hello.h"
#include "mig/id_compat.h"
#include "mig/page_sets.h"
#include "mig/record.h"

/* A device package loaded, kept apart from the VM until it is synchronized. */
static struct vm_package shadow;

/* How long the parked vCPUs may take to load a synchronized state, and to leave their parking. */
#define SYNC_WAIT_MS  1000u
#define START_WAIT_MS 1000u
/*
 * How long parked vCPUs poll once synchronized without RUN (the confirmed
 * switchover): RUN comes within a round trip; a switchover that failed
 * stops the polling by itself. They sleep until then: polling while this
 * CPU loads the package took a host core from it and from the network on
 * an emulated board (one flight, 16 interleaved runs each of an idle
 * guest: seen downtime median 1.75 ms asleep, 1.97 ms polling).
 */
#define SWITCHOVER_POLL_MS 50u
/* The stand-in's package: every vCPU's registers, the rest at reset (packed small). */
#define REHEARSAL_PACKAGE_MAX (VM_VCPU_MAX * 2048u + 4096u)

static uint64_t page_count(void *ctx) { return ((struct vm *)ctx)->cfg.mem_bytes / PAGE_SIZE; }

static uint8_t *page(void *ctx, uint64_t p)
{
	struct vm *vm = ctx;

	return (uint8_t *)(uintptr_t)(pa_addr(vm->ram_pa) + p * PAGE_SIZE);
}

/*
 * Counts to ns and back, exactly (128 bits): a count period that is not a
 * whole number of ns (24 or 54 MHz counters) would otherwise make this
 * clock run percents slow, against the lease's allowance of 0.1 %
 * (MIG_CLOCK_DRIFT_PPM). Counts round down: a deadline is never late.
 */
static uint64_t counts_to_ns(uint64_t counts)
{
	return (uint64_t)((unsigned __int128)counts * 1000000000u / arch_counter_freq());
}

static uint64_t ns_to_counts(uint64_t ns)
{
	return (uint64_t)((unsigned __int128)ns * arch_counter_freq() / 1000000000u);
}

static uint64_t now_ns(void *ctx)
{
	(void)ctx;
	return counts_to_ns(arch_counter_now());
}

static void protect_all(struct vm *vm, enum s2_perm perm)
{
	s2_protect(&vm->s2, ipa_init(GUEST_RAM_IPA), vm->cfg.mem_bytes, perm);
	arch_s2_flush_vm(&vm->ctl);
}

/*
 * Logging starts with RAM writable: the first round copies every page,
 * and arm_for_copy protects each right before its copy.
 */
static void dirty_start(void *ctx)
{
	struct vm *vm = ctx;

	if (!vm->dirty)
		vm->dirty = calloc(mig_bitmap_words(page_count(vm)), sizeof(uint64_t));
	if (!vm->dirty)
		return; /* dirty_collect then reports every page */
	memset(vm->dirty, 0, mig_bitmap_words(page_count(vm)) * sizeof(uint64_t));
	vm->throttle_waits = vm->throttle_wait_counts = 0; /* this migration's, in its report */
	/* Before the first round's copies; the network device's writes look after theirs
	 * (vm_net.c). */
	__atomic_store_n(&vm->dirty_logging, true, __ATOMIC_SEQ_CST);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/*
 * Takes the bits. The pages stay writable: they are the engine's to copy
 * now, and each is protected only right before its copy (arm_for_copy).
 *
 * Stopped (the switchover's last collection) or not, one loop: on an
 * emulated board code run for the first time is translated first, and the
 * stop would pay for that inside the downtime.
 *
 * A word is exchanged only when a plain read finds a bit in it: most are
 * empty, and on an emulated board an atomic exchange costs far more than a
 * read (the stop's collection of 512 MiB went through 2048 of them inside
 * the downtime). A bit set after its word was read stays in the log for
 * the next collection, as a bit set after the exchange would.
 */
static void dirty_collect(void *ctx, uint64_t *bitmap)
{
	struct vm *vm = ctx;
	uint64_t words = mig_bitmap_words(page_count(vm));

	if (!vm->dirty) { /* no bitmap: everything is dirty, always correct */
		memset(bitmap, 0xff, words * sizeof(uint64_t));
		return;
	}
	for (uint64_t w = 0; w < words; w++)
		if (__atomic_load_n(&vm->dirty[w], __ATOMIC_RELAXED))
			bitmap[w] |= __atomic_exchange_n(&vm->dirty[w], 0, __ATOMIC_SEQ_CST);
	vm_dirty_collected(vm);
}

/*
 * The pages about to be copied: their log bits cleared first (a write
 * from here to the protection lands in the copy), then protected, in runs
 * of neighbours, then one flush; a write after it faults and is logged
 * (vm_dirty_fault). Clearing after protecting could drop the mark of a
 * write that faulted in between, its page then writable and unlogged.
 */
static void arm_for_copy(void *ctx, uint64_t first_word, const uint64_t *words, uint64_t count)
{
	struct vm *vm = ctx;
	uint64_t run = 0, run_len = 0;
	bool any = false;

	if (!vm->dirty_logging || !vm->dirty)
		return;
	for (uint64_t i = 0; i < count; i++)
		if (words[i] && __atomic_load_n(&vm->dirty[first_word + i], __ATOMIC_RELAXED))
			__atomic_fetch_and(&vm->dirty[first_word + i], ~words[i], __ATOMIC_SEQ_CST);
	for (uint64_t p = first_word * 64; p <= (first_word + count) * 64; p++) {
		bool set = p < (first_word + count) * 64 &&
			   (words[p / 64 - first_word] >> (p % 64) & 1);

		if (set && run_len && run + run_len == p) {
			run_len++;
			continue;
		}
		if (run_len) {
			s2_protect(&vm->s2, ipa_init(GUEST_RAM_IPA + run * PAGE_SIZE),
				   run_len * PAGE_SIZE, S2_READ | S2_EXEC);
			any = true;
		}
		run = p;
		run_len = set ? 1 : 0;
	}
	if (any)
		arch_s2_flush_vm(&vm->ctl);
}

static uint64_t dirty_marks(void *ctx)
{
	struct vm *vm = ctx;

	return __atomic_load_n(&vm->dirty_faults, __ATOMIC_RELAXED);
}

static void dirty_stop(void *ctx)
{
	struct vm *vm = ctx;

	vm_throttle(vm, 0);
	vm_throttle_collection(vm, 0);
	if (!vm->dirty_logging)
		return;
	protect_all(vm, S2_RWX); /* writable again before anyone may take a fault as the guest's */
	vm->dirty_logging = false;
}

static void throttle(void *ctx, uint64_t pages_per_s) { vm_throttle(ctx, pages_per_s); }

static void throttle_collection(void *ctx, uint64_t pages) { vm_throttle_collection(ctx, pages); }

static void stop(void *ctx) { vm_pause(ctx); }
static void resume(void *ctx) { vm_unpause(ctx); }

static size_t save_devices(void *ctx, unsigned format, uint8_t *buf, size_t size)
{
	return vm_package_save(ctx, format, buf, size);
}

/** An ID register as this board's guests read it (hyp/id_regs.c). */
static uint64_t guest_id_reg(enum mig_id_reg reg) { return id_reg_guest(mig_id_reg_encoding(reg)); }

/*
 * What a guest here can hold: its CPU's features and the GIC's virtual
 * interface. The board's CPUs do not change while it runs, so they are read
 * once, by the first rehearsal: reading them took 20-90 us of the downtime
 * on an emulated board (system registers, some behind the emulator's lock).
 */
static void read_limits(const struct vm *vm, struct vm_package_limits *l)
{
	static struct vm_package_limits cpu;
	static bool read;

	if (!read) {
		struct arch_cpu_info info;

		arch_cpu_info(&info);
		cpu.pstate_features = vm_package_pstate_features(
			guest_id_reg(MIG_ID_AA64PFR0), guest_id_reg(MIG_ID_AA64PFR1),
			guest_id_reg(MIG_ID_AA64MMFR1), guest_id_reg(MIG_ID_AA64MMFR2));
		cpu.pri_bits = info.pri_bits;
		cpu.apr_count = info.apr_count;
		read = true;
	}
	*l = cpu;
	l->lr_count = vm->lr_count;
}

static bool load_devices(void *ctx, const uint8_t *buf, size_t len, char *err, size_t n)
{
	struct vm *vm = ctx;
	struct vm_package_limits lim;

	read_limits(vm, &lim);
#ifdef FERRY_FORMAT_NEXT
	/* The test build of the next format (mig/hello.h) says what it read. */
	if (!vm_package_load(vm, &lim, buf, len, &shadow, err, n))
		return false;
	if (shadow.vm.next_check &&
	    shadow.vm.next_check != MIG_NEXT_CHECK(shadow.vm.guest_counter)) {
		format_snprintf(err, n, "vm-next: check value 0x%llx does not match",
				(unsigned long long)shadow.vm.next_check);
		return false;
	}
	console_printf("migration: a package of format %u%s\n",
		       shadow.vm.written_format ? shadow.vm.written_format : 2u,
		       shadow.vm.next_check ? ", with the vm-next subsection" : "");
	return true;
#else
	return vm_package_load(vm, &lim, buf, len, &shadow, err, n);
#endif
}

/*
 * Into the VM, whose vCPUs are parked, and from there into their CPUs: each
 * loads its state now and acknowledges (before PONG), so that the start
 * only lets them go. With RUN here already, they go on into the guest once
 * all took it (vm_sync_start), and this CPU checks that they went.
 */
static bool sync_devices(void *ctx, bool start, char *err, size_t n)
{
	struct vm *vm = ctx;
	unsigned late;

	vm_package_apply(vm, &shadow, arch_counter_now());
	if (start) {
		/* The vCPUs go on without this CPU; it checks that they went before PONG. */
		vm_sync_start(vm, shadow.vm.guest_counter);
		if (!vm_sync_started(vm, SYNC_WAIT_MS, &late)) {
			format_snprintf(err, n, "vcpu %u did not take its state within %u ms", late,
					SYNC_WAIT_MS);
			return false;
		}
		return true;
	}
	/* Awake with their state, they stay so until RUN comes: the start then wakes nobody. */
	vm_poll_parked(vm, SWITCHOVER_POLL_MS);
	if (!vm_sync_parked(vm, SYNC_WAIT_MS, &late)) {
		format_snprintf(err, n, "vcpu %u did not take its state within %u ms", late,
				SYNC_WAIT_MS);
		return false;
	}
	return true;
}

static void discard(void *ctx);

/** A VM of vm's shape as it would boot, each vCPU on at EL1h, masked: the rehearsal's state. */
static void stand_in_for(const struct vm *vm, struct vm *s)
{
	memset(s, 0, sizeof(*s));
	s->cfg = vm->cfg;
	s->lr_count = vm->lr_count;
	vm_reset_devices(s);
	for (unsigned i = 0; i < vm->cfg.vcpu_count; i++) {
		s->vcpus[i].power = VCPU_ON;
		s->vcpus[i].regs.pstate = PSTATE_EL1H | PSTATE_DAIF;
	}
}

/*
 * The switchover's code, run before it counts, and timed (mig_vm_ops.rehearse;
 * design section 7, "Short" and "Bounded"). On an emulated board the first run of any
 * code pays for its translation: loading a package took 4.7 ms the first
 * time and 0.09 ms the second, saving one 0.68 ms and 0.07 ms, side by
 * side on one board, and that first time was the downtime's. The state is
 * a stand-in of this board's making, never the guest's (the source's runs
 * on); the destination applies it to its parked vCPUs, which take it into
 * their CPUs as for a real start, then discards it as a failed attempt
 * would: the real package finds the board as it was.
 *
 * `start`: synchronized and started in one step, as one flight does
 * (sync_devices with start): each vCPU takes its state, the last opens the
 * gate, and all go out of the parking, through the clock and the timer, to
 * the entry, where they enter the stand-in once (vcpu_run.c) and wait to
 * be parked again. Otherwise synchronized as the confirmed switchover does.
 */
static bool rehearse_once(struct vm *vm, bool destination, bool start,
			  struct mig_rehearsal *measured)
{
	static struct vm stand_in;
	static uint8_t buf[REHEARSAL_PACKAGE_MAX];
	struct vm_package_limits lim;
	uint64_t t0, give_up;
	char err[128];
	unsigned late;
	size_t len;
	bool ok;

	stand_in_for(vm, &stand_in);
	measured->entered_ns = 0;
	t0 = now_ns(vm);
	len = vm_package_save(&stand_in, MIG_FORMAT_VERSION, buf, sizeof(buf));
	measured->package_bytes = len;
	if (!destination || !len) {
		measured->ns = now_ns(vm) - t0;
		return len > 0;
	}
	read_limits(vm, &lim);
	t0 = now_ns(vm);
	ok = vm_package_load(vm, &lim, buf, len, &shadow, err, sizeof(err));
	if (ok) {
		vm->rehearsing = true;
		if (start) {
			uint64_t last = 0;

			ok = sync_devices(vm, true, err, sizeof(err));
			give_up = arch_counter_now() + arch_counter_freq() / 1000u * START_WAIT_MS;
			for (unsigned i = 0; ok && i < vm->cfg.vcpu_count; i++) {
				uint64_t at = vm->vcpus[i].power == VCPU_ON
						      ? vm_entered_at(vm, i, give_up)
						      : 0;

				last = at > last ? at : last;
			}
			measured->entered_ns = counts_to_ns(last);
		} else {
			vm_package_apply(vm, &shadow, arch_counter_now());
			ok = vm_sync_parked(vm, SYNC_WAIT_MS, &late);
		}
		measured->ns = now_ns(vm) - t0;
		if (ok && start)
			vm_pause(vm); /* out of the parking for the rehearsal: back in */
		vm->rehearsing = false;
		discard(vm);
	}
	/* No start follows: a vCPU still polling would take a host core from the link. */
	vm_poll_parked(vm, 0);
	return ok;
}

/*
 * The source's package saved from the VM itself, while it runs, into a
 * buffer that goes nowhere: the save takes the branches the VM's own state
 * leads to (interrupts in use, vCPUs on), which a stand-in at reset does
 * not, so that none of them is translated first in the downtime. Its bytes
 * are torn (the vCPUs run on) and thrown away.
 */
static void save_running(struct vm *vm)
{
	static uint8_t buf[REHEARSAL_PACKAGE_MAX];

	(void)vm_package_save(vm, MIG_FORMAT_VERSION, buf, sizeof(buf));
}

/* Runs timed after the first (which pays for the translation); the quickest counts. */
#define REHEARSALS_TIMED 3

/*
 * The quickest of several: a run the host interrupted measures the host,
 * not the work (as the clock exchange keeps its quickest round trip), and
 * one such run must not make a limit look out of reach. The first, untimed,
 * rehearses the confirmed switchover's synchronization; the others, and a
 * dry run's, one flight's (the default).
 */
static bool rehearse(void *ctx, bool destination, bool once, struct mig_rehearsal *measured)
{
	struct mig_rehearsal run;

	if (!destination)
		save_running(ctx);
	if (!rehearse_once(ctx, destination, once, &run))
		return false;
	if (once) {
		*measured = run;
		return true;
	}
	*measured = run;
	measured->ns = UINT64_MAX;
	for (unsigned i = 0; i < REHEARSALS_TIMED; i++) {
		if (!rehearse_once(ctx, destination, true, &run))
			return false;
		if (run.ns < measured->ns)
			measured->ns = run.ns;
	}
	return true;
}

/* Every RAM page mapped again, as before postcopy (after a discarded attempt). */
static void map_all(struct vm *vm)
{
	uint64_t pages = page_count(vm);

	for (uint64_t p = 0; p < pages;) {
		uint64_t end = p;

		if (mig_bit_test(vm->present, p)) {
			p++;
			continue;
		}
		while (end < pages && !mig_bit_test(vm->present, end))
			end++;
		s2_map(&vm->s2, ipa_init(GUEST_RAM_IPA + p * PAGE_SIZE),
		       pa_init(pa_addr(vm->ram_pa) + p * PAGE_SIZE), (end - p) * PAGE_SIZE, S2_RWX,
		       S2_MEM_NORMAL);
		p = end;
	}
	arch_s2_flush_vm(&vm->ctl);
}

/*
 * The destination throws its copy away: RAM mapped (postcopy over), the
 * vCPUs off and zeroed (parked; they load a new state at the next
 * synchronization), the devices at reset. The next migration finds the
 * board as it booted, but for the RAM's contents, which it sends again.
 */
static void discard(void *ctx)
{
	struct vm *vm = ctx;
	uint64_t words = mig_bitmap_words(page_count(vm));

	if (vm->postcopy) {
		vm->postcopy = false;
		map_all(vm);
		memset(vm->requested, 0, words * sizeof(uint64_t));
		arch_spin_lock(&vm->fault_lock);
		vm->fault_head = vm->fault_tail = 0;
		arch_spin_unlock(&vm->fault_lock);
	}
	for (unsigned i = 0; i < vm->cfg.vcpu_count; i++) {
		memset(&vm->vcpus[i].regs, 0, sizeof(vm->vcpus[i].regs));
		vm->vcpus[i].power = VCPU_OFF;
	}
	arch_spin_lock(&vm->lock);
	vm_reset_devices(vm);
	arch_spin_unlock(&vm->lock);
}

/* Postcopy, destination (before PONG): pages the VM lacks are unmapped until they arrive. */
static bool postcopy_begin(void *ctx, const uint64_t *have, char *err, size_t n)
{
	struct vm *vm = ctx;
	uint64_t pages = page_count(vm), words = mig_bitmap_words(pages);

	if (!vm->present)
		vm->present = calloc(words, sizeof(uint64_t));
	if (!vm->requested)
		vm->requested = calloc(words, sizeof(uint64_t));
	if (!vm->present || !vm->requested) {
		format_snprintf(err, n, "out of memory for postcopy's page bitmaps");
		return false;
	}
	memcpy(vm->present, have, words * sizeof(uint64_t));
	memset(vm->requested, 0, words * sizeof(uint64_t));
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
	return true;
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

	if (!mig_page_holds(dst, data)) { /* else its translations stay (mig_page_holds) */
		if (data)
			memcpy(dst, data, PAGE_SIZE);
		else
			memset(dst, 0, PAGE_SIZE);
	}
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

/**
 * RUN: the vCPUs, their state already in their CPUs, leave their parking;
 * VM_STARTED goes out only once every one that is on has entered the
 * guest, and carries when the last did: the source's downtime ends when
 * the VM really runs here.
 */
static uint64_t start(void *ctx)
{
	struct vm *vm = ctx;
	uint64_t give_up = arch_counter_now() + arch_counter_freq() / 1000u * START_WAIT_MS;
	uint64_t last = 0;

	/*
	 * The guest's count goes on from where it stopped when its first vCPU
	 * leaves the parking, not before: neither the wait for RUN nor a vCPU
	 * slow to be scheduled shows as time that passed, and the downtime the
	 * guest sees by its own clock is the one reported (vm_resume_clock).
	 * Synchronized with the start (vm_sync_start), they are on their way.
	 */
	if (!vm->sync_starts) {
		for (unsigned i = 0; i < vm->cfg.vcpu_count; i++)
			__atomic_store_n(&vm->vcpus[i].entered_at, 0, __ATOMIC_SEQ_CST);
		vm_resume_clock_at(vm, shadow.vm.guest_counter);
		vm_unpause(vm);
	}
	/* Started, the VM is this board's whatever happens: a late vCPU only delays the news. */
	for (unsigned i = 0; i < vm->cfg.vcpu_count; i++) {
		uint64_t at;

		if (vm->vcpus[i].power != VCPU_ON)
			continue;
		at = vm_entered_at(vm, i, give_up);
		if (!at)
			at = arch_counter_now();
		last = at > last ? at : last;
	}
	return counts_to_ns(last);
}

/* The lease's end in physical counts, at or before `deadline` ns (now_ns's clock). */
static void lease_until(void *ctx, uint64_t deadline)
{
	uint64_t counts = ns_to_counts(deadline);

	vm_lease_until(ctx, deadline ? (counts ? counts : 1) : 0);
}

static bool fenced(void *ctx) { return vm_fenced(ctx); }

/* This CPU asleep for about ns: its EL2 timer, or any interrupt before it, wakes it. */
static void idle(void *ctx, uint64_t ns)
{
	uint64_t ticks = ns_to_counts(ns);

	(void)ctx;
	arch_timer_arm(ticks ? ticks : 1);
	arch_idle_wait();
	arch_timer_stop();
}

/* Passes of showing held lines with the lock let go between them before the last under it. */
#define SHOW_PASSES_MAX 8u

/* The guest's lines held for protection's output commit (one VM migrates at a time). */
static struct vpl011_held held;
_Static_assert(VPL011_HELD_BYTES <= MIG_OUTPUT_MAX, "a checkpoint carries all lines held");
_Static_assert(VPL011_LINE_MAX <= 255, "a held line's length is a u8");

static void show_lines(struct vm *vm, const uint8_t *lines, size_t len)
{
	for (size_t at = 0; at < len; at += 1u + lines[at])
		if (vm->uart.emit)
			vm->uart.emit(vm->uart.prefix, (const char *)lines + at + 1, lines[at]);
}

/*
 * Holding or not, under the devices' lock (a vCPU may be printing). Lines
 * shown are copied out first: the console is slow, and the vCPUs need the
 * lock.
 */
static void output(void *ctx, enum mig_output what)
{
	static uint8_t out[VPL011_HELD_BYTES];
	struct vm *vm = ctx;

	for (unsigned pass = 0;; pass++) {
		size_t len = 0;
		bool last;

		arch_spin_lock(&vm->lock);
		if (pass == SHOW_PASSES_MAX && what == MIG_OUTPUT_SHOW) {
			/*
			 * A guest that prints as fast as the console shows: the rest
			 * under the lock, its printing vCPUs waiting, the order kept.
			 */
			vm->uart.held = NULL;
			show_lines(vm, held.buf, held.len);
			held.len = 0;
			vm_update_uart_line(vm);
			arch_spin_unlock(&vm->lock);
			return;
		}
		if (what == MIG_OUTPUT_HOLD) {
			held.len = held.dropped = 0;
			vm->uart.held = &held;
		} else if (what == MIG_OUTPUT_SHOW && vm->uart.held) {
			memcpy(out, held.buf, len = held.len);
		}
		held.len = 0;
		/*
		 * Held until none is left to show: a vCPU printing meanwhile
		 * adds to the hold, so that no newer line overtakes one held.
		 */
		last = what == MIG_OUTPUT_HOLD || !len;
		if (last && what != MIG_OUTPUT_HOLD)
			vm->uart.held = NULL;
		vm_update_uart_line(vm); /* the transmit interrupt back, or gone */
		arch_spin_unlock(&vm->lock);
		show_lines(vm, out, len);
		if (last)
			return;
	}
}

static size_t output_take(void *ctx, uint8_t *buf, size_t cap)
{
	struct vm *vm = ctx;
	size_t len;

	arch_spin_lock(&vm->lock);
	len = held.len <= cap ? held.len : 0; /* cap is MIG_OUTPUT_MAX: always */
	memcpy(buf, held.buf, len);
	held.len = 0;
	vm_update_uart_line(vm); /* room again: the guest may go on printing */
	arch_spin_unlock(&vm->lock);
	return len;
}

static void output_show(void *ctx, const uint8_t *lines, size_t len)
{
	show_lines(ctx, lines, len);
}

static bool ended(void *ctx) { return ((struct vm *)ctx)->stop != VM_RUNNING; }

const struct mig_vm_ops vm_migrate_ops = {
	.page_count = page_count,
	.page = page,
	.dirty_start = dirty_start,
	.dirty_collect = dirty_collect,
	.arm_for_copy = arm_for_copy,
	.dirty_stop = dirty_stop,
	.dirty_marks = dirty_marks,
	.throttle = throttle,
	.throttle_collection = throttle_collection,
	.stop = stop,
	.resume = resume,
	.save_devices = save_devices,
	.load_devices = load_devices,
	.sync_devices = sync_devices,
	.start = start,
	.discard = discard,
	.rehearse = rehearse,
	.postcopy_begin = postcopy_begin,
	.postcopy_fault = postcopy_fault,
	.postcopy_place = postcopy_place,
	.now_ns = now_ns,
	.lease_until = lease_until,
	.fenced = fenced,
	.idle = idle,
	.output = output,
	.output_take = output_take,
	.output_show = output_show,
	.ended = ended,
};
