/* SPDX-License-Identifier: Apache-2.0 */
/** The fake VM, its workload and the migration harness, see fake_vm.h. */
#include "tests/support/fake_vm.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "mig/page_sets.h"
#include "mig/section.h"
#include "hyp/state_sections.h"

static uint64_t now_ns(void *ctx)
{
	struct fake_vm *vm = ctx;
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec + vm->clock_offset_ns;
}

static uint64_t page_count(void *vm) { return ((struct fake_vm *)vm)->pages; }
static uint8_t *page(void *vm, uint64_t p) { return ((struct fake_vm *)vm)->ram + p * 4096; }

/*
 * As the board's write fault: a write to a page armed for its copy is
 * logged and leaves it writable; one to a writable page is not (it is
 * still to be copied, or logging is off).
 */
static void logged_write(struct fake_vm *vm, uint64_t p)
{
	if (vm->tracking && mig_bit_test(vm->readonly, p)) {
		mig_bit_set(vm->dirty, p);
		mig_bit_clear(vm->readonly, p);
		vm->marks++;
	}
}

static void dirty_start(void *ctx)
{
	struct fake_vm *vm = ctx;

	pthread_mutex_lock(&vm->lock);
	vm->tracking = true;
	memset(vm->dirty, 0, mig_bitmap_words(vm->pages) * sizeof(uint64_t));
	memset(vm->readonly, 0, mig_bitmap_words(vm->pages) * sizeof(uint64_t));
	pthread_mutex_unlock(&vm->lock);
}

static void dirty_collect(void *ctx, uint64_t *bitmap)
{
	struct fake_vm *vm = ctx;

	pthread_mutex_lock(&vm->lock);
	/* A burst written right before this collection, while the VM runs. */
	for (uint64_t p = 0; vm->running && vm->tracking && p < vm->burst_pages && p < vm->pages;
	     p++)
		logged_write(vm, p);
	if (vm->running && vm->burst_halves)
		vm->burst_pages /= 2;
	for (uint64_t i = 0; i < mig_bitmap_words(vm->pages); i++) {
		bitmap[i] |= vm->dirty[i];
		vm->dirty[i] = 0;
	}
	vm->collection_dirtied = 0;
	pthread_mutex_unlock(&vm->lock);
}

/* As on the board: a write before the copy is in it, one after is logged. */
static void arm_for_copy(void *ctx, uint64_t first_word, const uint64_t *words, uint64_t count)
{
	struct fake_vm *vm = ctx;

	pthread_mutex_lock(&vm->lock);
	for (uint64_t i = 0; i < count; i++) {
		uint64_t n = (uint64_t)__builtin_popcountll(words[i]);

		vm->dirty[first_word + i] &= ~words[i];
		vm->readonly[first_word + i] |= words[i];
		vm->armed_pages += n;
		vm->armed_stopped += vm->running ? 0 : n;
	}
	pthread_mutex_unlock(&vm->lock);
}

static uint64_t dirty_marks(void *ctx)
{
	struct fake_vm *vm = ctx;
	uint64_t n;

	pthread_mutex_lock(&vm->lock);
	n = vm->marks;
	pthread_mutex_unlock(&vm->lock);
	return n;
}

static void dirty_stop(void *ctx)
{
	struct fake_vm *vm = ctx;

	pthread_mutex_lock(&vm->lock);
	vm->tracking = false;
	memset(vm->readonly, 0, mig_bitmap_words(vm->pages) * sizeof(uint64_t));
	vm->quota_per_ms = 0;
	vm->collection_quota = 0;
	pthread_mutex_unlock(&vm->lock);
}

/* As on the board, in periods (of 1 ms here): at least one page per period. */
static void throttle(void *ctx, uint64_t pages_per_s)
{
	struct fake_vm *vm = ctx;

	pthread_mutex_lock(&vm->lock);
	vm->throttle_last = pages_per_s;
	vm->quota_per_ms = pages_per_s ? (pages_per_s + 999) / 1000 : 0;
	pthread_mutex_unlock(&vm->lock);
}

/* As on the board: the pages newly dirtied between two collections. */
static void throttle_collection(void *ctx, uint64_t pages)
{
	struct fake_vm *vm = ctx;

	pthread_mutex_lock(&vm->lock);
	vm->collection_quota = pages;
	if (pages)
		vm->collection_quota_set = pages;
	pthread_mutex_unlock(&vm->lock);
}

/*
 * The workload's next page dirtied while tracked: false when its period's
 * quota, or the collection's, is spent.
 */
static bool quota_allows(struct fake_vm *vm, uint64_t p)
{
	struct timespec ts;
	uint64_t ms;

	if (!vm->tracking || !mig_bit_test(vm->readonly, p))
		return true; /* no fault: nothing to wait for */
	if (vm->collection_quota && vm->collection_dirtied >= vm->collection_quota) {
		vm->collection_waits++;
		return false;
	}
	if (vm->quota_per_ms) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ms = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
		if (ms != vm->quota_ms) {
			vm->quota_ms = ms;
			vm->quota_used = 0;
		}
		if (vm->quota_used >= vm->quota_per_ms) {
			vm->throttle_waits++;
			return false;
		}
		vm->quota_used++;
	}
	vm->collection_dirtied++;
	return true;
}

static void set_running(void *ctx, bool on)
{
	struct fake_vm *vm = ctx;

	pthread_mutex_lock(&vm->lock);
	if (on && vm->lease_deadline && now_ns(vm) >= vm->lease_deadline)
		vm->fenced_self = true; /* a resume past the deadline does nothing */
	if (vm->running && !on)
		vm->stopped_at_ns = now_ns(vm);
	vm->running = on && !vm->fenced_self; /* fenced: never again */
	if (vm->running)
		vm->stopped_at_ns = 0;
	pthread_mutex_unlock(&vm->lock);
}

uint64_t fake_vm_hash(struct fake_vm *vm)
{
	uint64_t h = 1469598103934665603ull;

	for (uint64_t i = 0; i < vm->pages * 4096; i += 8) {
		uint64_t w;

		memcpy(&w, vm->ram + i, 8);
		h = (h ^ w) * 1099511628211ull;
	}
	for (unsigned i = 0; i < 31; i++)
		h = (h ^ vm->regs.x[i]) * 1099511628211ull;
	return h;
}

static void stop(void *ctx)
{
	struct fake_vm *vm = ctx;

	vm->stops++;
	set_running(ctx, false);
	if (vm->stop_hashes < sizeof(vm->stop_hash) / sizeof(vm->stop_hash[0]))
		vm->stop_hash[vm->stop_hashes++] = fake_vm_hash(vm);
}

static void resume(void *ctx) { set_running(ctx, true); }

static size_t save_devices(void *ctx, unsigned format, uint8_t *buf, size_t size)
{
	struct fake_vm *vm = ctx;
	struct mig_writer w;

	vm->saves++;
	mig_writer_init(&w, buf, size);
	mig_section_save_as(&mig_section_vcpu, &vm->regs, &w, format < MIG_FORMAT_VERSION);
	mig_section_save_as(&mig_section_vgic_dist, &vm->vgic, &w, format < MIG_FORMAT_VERSION);
	return w.overflow ? 0 : w.len;
}

static bool load_devices(void *ctx, const uint8_t *buf, size_t len, char *err, size_t n)
{
	struct fake_vm *vm = ctx;
	struct mig_reader r;

	if (vm->fail_load) {
		strncpy(err, "injected load failure", n);
		return false;
	}
	mig_reader_init(&r, buf, len);
	return mig_section_load(&mig_section_vcpu, &r, &vm->shadow_regs, err, n) &&
	       mig_section_load(&mig_section_vgic_dist, &r, &vm->shadow_vgic, err, n);
}

static bool sync_devices(void *ctx, bool start, char *err, size_t n)
{
	struct fake_vm *vm = ctx;

	vm->synced_with_start += start;
	if (vm->fail_sync) {
		strncpy(err, "injected synchronization failure", n);
		return false;
	}
	vm->regs = vm->shadow_regs;
	vm->vgic = vm->shadow_vgic;
	return true;
}

static uint64_t start(void *ctx)
{
	struct fake_vm *vm = ctx;

	resume(ctx);
	vm->started_at_ns = now_ns(ctx);
	return vm->started_at_ns;
}

static void lease_until(void *ctx, uint64_t deadline)
{
	struct fake_vm *vm = ctx;

	pthread_mutex_lock(&vm->lock);
	vm->lease_deadline = deadline;
	if (!deadline)
		vm->fenced_self = false; /* the standby dropped its copy: this is the only one */
	pthread_mutex_unlock(&vm->lock);
}

static bool fenced(void *ctx)
{
	struct fake_vm *vm = ctx;
	bool f;

	pthread_mutex_lock(&vm->lock);
	f = vm->fenced_self;
	pthread_mutex_unlock(&vm->lock);
	return f;
}

static void idle(void *ctx, uint64_t ns)
{
	struct fake_vm *vm = ctx;

	if (vm->idle_skips)
		vm->clock_offset_ns += ns + 1;
	else
		usleep((useconds_t)(ns / 1000u < 1000u ? ns / 1000u + 1u : 1000u));
}

/* Back to a clean incoming VM: nothing of the discarded copy stays. */
static void discard(void *ctx)
{
	struct fake_vm *vm = ctx;

	pthread_mutex_lock(&vm->lock);
	vm->postcopy = false;
	memset(vm->present, 0, mig_bitmap_words(vm->pages) * sizeof(uint64_t));
	memset(&vm->regs, 0, sizeof(vm->regs));
	vgic_init(&vm->vgic, 1);
	vm->discards++;
	pthread_mutex_unlock(&vm->lock);
}

/* Nothing of the VM changes: counted, so that the engine is seen to ask once per migration. */
static bool rehearse(void *ctx, bool destination, bool once, struct mig_rehearsal *measured)
{
	struct fake_vm *vm = ctx;

	__atomic_fetch_add(once ? &vm->dry_runs : &vm->rehearsals, 1, __ATOMIC_SEQ_CST);
	measured->ns = destination ? FAKE_DEST_SWITCHOVER_NS : FAKE_SOURCE_SWITCHOVER_NS;
	if (once && vm->dry_run_ns)
		measured->ns = vm->dry_run_ns;
	measured->package_bytes = 4096;
	/* The stand-in entered, on this board's clock, right after its (instant) work. */
	measured->entered_ns = destination && once ? now_ns(ctx) : 0;
	return true;
}

static bool postcopy_begin(void *ctx, const uint64_t *have, char *err, size_t n)
{
	struct fake_vm *vm = ctx;

	if (vm->fail_postcopy_begin) {
		strncpy(err, "injected postcopy failure", n);
		return false;
	}
	pthread_mutex_lock(&vm->lock);
	memcpy(vm->present, have, mig_bitmap_words(vm->pages) * sizeof(uint64_t));
	memset(vm->faulted, 0, mig_bitmap_words(vm->pages) * sizeof(uint64_t));
	vm->postcopy = true;
	pthread_mutex_unlock(&vm->lock);
	return true;
}

static bool postcopy_fault(void *ctx, uint64_t *p)
{
	struct fake_vm *vm = ctx;
	bool any;

	pthread_mutex_lock(&vm->lock);
	any = vm->ring_tail != vm->ring_head;
	if (any)
		*p = vm->ring[vm->ring_tail++ % FAKE_FAULT_RING];
	pthread_mutex_unlock(&vm->lock);
	return any;
}

static void postcopy_place(void *ctx, uint64_t p, const void *data)
{
	struct fake_vm *vm = ctx;

	pthread_mutex_lock(&vm->lock);
	if (mig_bit_test(vm->present, p))
		vm->placed_twice++; /* would overwrite what the guest wrote since */
	if (data)
		memcpy(vm->ram + p * 4096, data, 4096);
	else
		memset(vm->ram + p * 4096, 0, 4096);
	mig_bit_set(vm->present, p);
	pthread_cond_broadcast(&vm->placed);
	pthread_mutex_unlock(&vm->lock);
}

static void output(void *ctx, enum mig_output what);
static size_t output_take(void *ctx, uint8_t *buf, size_t cap);
static void output_show(void *ctx, const uint8_t *lines, size_t len);

const struct mig_vm_ops fake_vm_ops = {
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
	.postcopy_begin = postcopy_begin,
	.postcopy_fault = postcopy_fault,
	.postcopy_place = postcopy_place,
	.rehearse = rehearse,
	.now_ns = now_ns,
	.lease_until = lease_until,
	.fenced = fenced,
	.idle = idle,
	.output = output,
	.output_take = output_take,
	.output_show = output_show,
};

/* A missing page stalls the touching vCPU until it is placed (called locked). */
static void touch(struct fake_vm *vm, uint64_t p)
{
	if (vm->postcopy && !mig_bit_test(vm->present, p)) {
		vm->stalls++;
		if (!mig_bit_test(vm->faulted, p)) {
			mig_bit_set(vm->faulted, p);
			vm->ring[vm->ring_head++ % FAKE_FAULT_RING] = p;
		}
		while (!mig_bit_test(vm->present, p) && !vm->ending)
			pthread_cond_wait(&vm->placed, &vm->lock);
	}
	vm->touches++;
}

/* The workload: on the source it writes pages and changes a register; on
 * the destination it touches pages. */
/* Shows the line numbered n (called locked). */
static void show(struct fake_vm *vm, uint64_t n)
{
	if (vm->shown_count < FAKE_SHOWN_MAX)
		vm->shown[vm->shown_count++] = n;
}

/*
 * The step about to be counted prints its line if it is due: false when it
 * is and the hold is full (the guest waits for room, as at FR.TXFF).
 */
static bool console_line(struct fake_vm *vm)
{
	uint64_t next = vm->regs.x[0] + 1;
	char line[32];
	int n;

	if (next % FAKE_LINE_EVERY)
		return true;
	if (!vm->holding) {
		show(vm, next / FAKE_LINE_EVERY);
		return true;
	}
	n = snprintf(line, sizeof(line), "line %llu", (unsigned long long)(next / FAKE_LINE_EVERY));
	if (sizeof(vm->held) - vm->held_len < 1u + (size_t)n)
		return false;
	vm->held[vm->held_len] = (uint8_t)n;
	memcpy(vm->held + vm->held_len + 1, line, (size_t)n);
	vm->held_len += 1u + (size_t)n;
	return true;
}

/* The frame due at the step about to be counted would fit (kept, or sent). */
static bool frame_fits(const struct fake_vm *vm)
{
	return (vm->regs.x[0] + 1) % FAKE_FRAME_EVERY ||
	       vm->kept_head - vm->kept_tail < FAKE_FRAMES_KEPT;
}

/* The kept frames that may leave (called locked). */
static void frames_flush(struct fake_vm *vm)
{
	while (vm->kept_tail < vm->kept_upto && vm->sent_count < FAKE_SHOWN_MAX)
		vm->sent[vm->sent_count++] = vm->kept[vm->kept_tail++ % FAKE_FRAMES_KEPT];
}

/* The step about to be counted sends its frame if one is due (frame_fits said it may). */
static void frame_out(struct fake_vm *vm)
{
	uint64_t next = vm->regs.x[0] + 1;

	if (next % FAKE_FRAME_EVERY)
		return;
	vm->kept[vm->kept_head++ % FAKE_FRAMES_KEPT] = next / FAKE_FRAME_EVERY;
	if (vm->kept_head - vm->kept_tail > vm->kept_most)
		vm->kept_most = vm->kept_head - vm->kept_tail;
	if (!vm->frames_holding)
		vm->kept_upto = vm->kept_head; /* behind any still kept, never before */
	frames_flush(vm);
}

static void frames_hold(void *ctx, enum mig_output what)
{
	struct fake_vm *vm = ctx;

	pthread_mutex_lock(&vm->lock);
	vm->frames_holding = what == MIG_OUTPUT_HOLD;
	if (what == MIG_OUTPUT_DROP)
		vm->kept_tail = vm->kept_head;
	if (what == MIG_OUTPUT_SHOW)
		vm->kept_upto = vm->kept_head;
	frames_flush(vm);
	pthread_mutex_unlock(&vm->lock);
}

static uint64_t frames_cut(void *ctx)
{
	struct fake_vm *vm = ctx;
	uint64_t mark;

	pthread_mutex_lock(&vm->lock);
	mark = vm->kept_head;
	pthread_mutex_unlock(&vm->lock);
	return mark;
}

static void frames_release(void *ctx, uint64_t mark)
{
	struct fake_vm *vm = ctx;

	pthread_mutex_lock(&vm->lock);
	if (mark > vm->kept_head)
		mark = vm->kept_upto; /* as the board's: no mark of ours, nothing more leaves */
	if (mark > vm->kept_upto)
		vm->kept_upto = mark;
	frames_flush(vm);
	pthread_mutex_unlock(&vm->lock);
}

static void frames_drained(void *ctx)
{
	struct fake_vm *vm = ctx;

	pthread_mutex_lock(&vm->lock);
	vm->frames_drained++;
	pthread_mutex_unlock(&vm->lock);
}

static void show_lines(struct fake_vm *vm, const uint8_t *lines, size_t len)
{
	for (size_t at = 0; at < len; at += 1u + lines[at]) {
		char line[256];

		memcpy(line, lines + at + 1, lines[at]);
		line[lines[at]] = 0;
		show(vm, strtoull(line + 5, NULL, 10));
	}
}

static void output(void *ctx, enum mig_output what)
{
	struct fake_vm *vm = ctx;

	pthread_mutex_lock(&vm->lock);
	if (what == MIG_OUTPUT_SHOW)
		show_lines(vm, vm->held, vm->held_len);
	vm->holding = what == MIG_OUTPUT_HOLD;
	vm->held_len = 0;
	pthread_mutex_unlock(&vm->lock);
}

static size_t output_take(void *ctx, uint8_t *buf, size_t cap)
{
	struct fake_vm *vm = ctx;
	size_t len;

	pthread_mutex_lock(&vm->lock);
	len = vm->held_len <= cap ? vm->held_len : 0;
	memcpy(buf, vm->held, len);
	vm->held_len = 0;
	pthread_mutex_unlock(&vm->lock);
	return len;
}

static void output_show(void *ctx, const uint8_t *lines, size_t len)
{
	struct fake_vm *vm = ctx;

	pthread_mutex_lock(&vm->lock);
	show_lines(vm, lines, len);
	pthread_mutex_unlock(&vm->lock);
}

void *fake_vm_workload(void *ctx)
{
	struct fake_vm *vm = ctx;
	uint32_t seed = 7;

	pthread_mutex_lock(&vm->lock);
	while (!vm->ending) {
		/* The lease's end: the vCPUs stop themselves, whatever the engine does. */
		if (vm->running && vm->lease_deadline && now_ns(vm) >= vm->lease_deadline) {
			vm->running = false;
			vm->fenced_self = true;
			vm->fenced_at_ns = vm->stopped_at_ns = now_ns(vm);
		}
		if (vm->running) {
			for (unsigned i = 0; i < 16 && !vm->ending; i++) {
				uint64_t p;

				seed = seed * 1103515245u + 12345u;
				p = (seed >> 8) % vm->pages;
				if (vm->toucher) {
					touch(vm, p);
					continue;
				}
				if (!quota_allows(vm, p))
					break; /* waits for the next period */
				vm->ram[p * 4096 + (seed & 4095)] = (uint8_t)seed;
				logged_write(vm, p);
			}
			if (!vm->toucher && frame_fits(vm) && console_line(vm)) {
				frame_out(vm);
				vm->regs.x[0]++;
			}
			vm->writes++;
		}
		pthread_mutex_unlock(&vm->lock);
		usleep(50);
		pthread_mutex_lock(&vm->lock);
	}
	pthread_mutex_unlock(&vm->lock);
	return NULL;
}

void fake_vm_end_workload(struct fake_vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	vm->ending = true;
	pthread_cond_broadcast(&vm->placed);
	pthread_mutex_unlock(&vm->lock);
}

struct mig_hello fake_vm_hello(uint64_t pages)
{
	struct mig_hello h = {
		.format_version = MIG_FORMAT_VERSION,
		.producer = "test",
		.migration_id = 0x0123456789abcdefull,
		.midr = 1,
		.cntfrq = 62500000,
		.gic_intid_count = VGIC_INTID_COUNT,
		.vcpu_count = 1,
		.ram_base = 0x40000000,
		.ram_size = pages * 4096ull,
		.page_size = 4096,
		.capabilities = MIG_CAP_ZERO_PAGES | MIG_CAP_VM_STARTED | MIG_CAP_POSTCOPY |
				MIG_CAP_SWITCHOVER_ACK | MIG_CAP_DRY_RUN | MIG_CAP_SPARSE_PAGES |
				MIG_CAP_DELTA_PAGES | MIG_CAP_DRY_RUN_ENTRY | MIG_CAP_PROTECT_AGAIN,
	};
	return h;
}

void fake_vm_init(struct fake_vm *vm, uint64_t pages, bool source)
{
	memset(vm, 0, sizeof(*vm));
	vm->pages = pages;
	/* Page-aligned, zeroed: a test may make it read-only (mprotect). */
	vm->ram = mmap(NULL, pages * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		       0);
	if (vm->ram == MAP_FAILED)
		vm->ram = NULL;
	vm->dirty = calloc(mig_bitmap_words(pages), sizeof(uint64_t));
	vm->readonly = calloc(mig_bitmap_words(pages), sizeof(uint64_t));
	vm->present = calloc(mig_bitmap_words(pages), sizeof(uint64_t));
	vm->faulted = calloc(mig_bitmap_words(pages), sizeof(uint64_t));
	pthread_mutex_init(&vm->lock, NULL);
	pthread_cond_init(&vm->placed, NULL);
	vm->frames = (struct mig_frames_ops){
		.drained = frames_drained,
		.hold = frames_hold,
		.cut = frames_cut,
		.release = frames_release,
		.ctx = vm,
	};
	vgic_init(&vm->vgic, 1);
	if (source) {
		for (uint64_t p = 0; p < pages; p += 3) /* two thirds zero pages */
			memset(vm->ram + p * 4096, (int)(p & 0xff) | 1, 4096);
		for (unsigned i = 0; i < 31; i++)
			vm->regs.x[i] = 0x1000 + i;
		vm->regs.fp.v[5] = 0x5555;
		vm->regs.sys.vbar_el1 = 0xffff000010000000ull;
		vm->vgic.spi[1].enabled = true;
		vm->vgic.spi[1].line_level = true;
		vm->running = true;
	}
}

void fake_vm_free(struct fake_vm *vm)
{
	if (vm->ram)
		munmap(vm->ram, vm->pages * 4096);
	free(vm->dirty);
	free(vm->readonly);
	free(vm->present);
	free(vm->faulted);
	pthread_mutex_destroy(&vm->lock);
	pthread_cond_destroy(&vm->placed);
}
