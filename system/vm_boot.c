/* SPDX-License-Identifier: Apache-2.0 */
/** VM start-up from fw_cfg files, see vm_boot.h. */
#include "system/vm_boot.h"

#include <string.h>

#include "drivers/fw_cfg.h"
#include "drivers/gicv3.h"
#include "hyp/arch.h"
#include "hyp/console.h"
#include "hyp/guest_dtb.h"
#include "system/control.h"
#include "hyp/image.h"
#include "system/sched.h"
#include "hyp/vcpu_run.h"
#include "hyp/vm.h"

#define FW_CFG_VM     "opt/ferry/vm"
#define FW_CFG_KERNEL "opt/ferry/kernel"
#define FW_CFG_INITRD "opt/ferry/initrd"

#define MIB		    (1ull << 20)
#define DTB_AREA	    (2 * MIB) /* at the top of guest RAM, as Linux allows (booting.rst) */
#define DTB_MAX		    (64 * 1024)
#define IPA_BITS_MAX	    40
#define BOARD_RAM_PAGES_MAX ((8ull << 30) / PAGE_SIZE)

static struct vm vm0;
static struct page_pool ram_pool;
static uint64_t ram_pool_bitmap[PAGE_POOL_BITMAP_WORDS(BOARD_RAM_PAGES_MAX)];

static uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) & ~(a - 1); }

static void emit_guest_line(const char *prefix, const char *line, unsigned len)
{
	console_printf("%s| %.*s\n", prefix, (int)len, line);
}

static bool read_config(struct vm_config *cfg)
{
	static char text[4096];
	char err[128];
	uint16_t sel;
	uint32_t size;

	if (!fw_cfg_find(FW_CFG_VM, &sel, &size))
		return false;
	if (size >= sizeof(text)) {
		console_printf("vm: configuration %s is %u bytes, at most %zu allowed\n", FW_CFG_VM,
			       size, sizeof(text) - 1);
		return false;
	}
	if (!fw_cfg_read(sel, text, size) || !vm_config_parse(text, size, cfg, err, sizeof(err))) {
		console_printf("vm: %s\n", err);
		return false;
	}
	return true;
}

/** Loads the kernel; returns the end of what it occupies (RAM offset), or 0. */
static uint64_t load_kernel(struct vm *vm, uint8_t *ram, uint64_t *entry)
{
	uint64_t ram_size = vm->cfg.mem_bytes, stage;
	struct image_info info;
	char err[160];
	uint16_t sel;
	uint32_t size;

	if (!fw_cfg_find(FW_CFG_KERNEL, &sel, &size)) {
		console_printf("%s: no kernel image (fw_cfg %s)\n", vm->cfg.name, FW_CFG_KERNEL);
		return 0;
	}
	/* The file is staged just below the DTB area, then moved into place. */
	if (align_up(size, PAGE_SIZE) + DTB_AREA >= ram_size) {
		console_printf("%s: kernel image of %u MiB does not fit in %llu MiB of RAM\n",
			       vm->cfg.name, (unsigned)(size / MIB),
			       (unsigned long long)(ram_size / MIB));
		return 0;
	}
	stage = ram_size - DTB_AREA - align_up(size, PAGE_SIZE);
	if (!fw_cfg_read(sel, ram + stage, size)) {
		console_printf("%s: reading the kernel image failed\n", vm->cfg.name);
		return 0;
	}
	if (!image_inspect(ram + stage, size, GUEST_RAM_IPA, ram_size, &info, err, sizeof(err))) {
		console_printf("%s: kernel image refused: %s\n", vm->cfg.name, err);
		return 0;
	}
	if (info.end_offset > stage) {
		console_printf("%s: kernel needs %llu MiB of RAM, give the VM more (mem=)\n",
			       vm->cfg.name,
			       (unsigned long long)((info.end_offset + DTB_AREA) / MIB) + 1);
		return 0;
	}
	image_load(ram + stage, &info, ram);
	*entry = GUEST_RAM_IPA + info.entry_offset;
	console_printf("%s: %s kernel, %u KiB, entry 0x%llx\n", vm->cfg.name,
		       info.kind == IMAGE_ARM64 ? "arm64 Image" : "ELF", size / 1024,
		       (unsigned long long)*entry);
	return info.end_offset;
}

/** Loads the initrd (if any) below the DTB area; false on a fault. */
static bool load_initrd(struct vm *vm, uint8_t *ram, uint64_t kernel_end,
			struct guest_dtb_params *dtb)
{
	uint64_t top = vm->cfg.mem_bytes - DTB_AREA, start;
	uint16_t sel;
	uint32_t size;

	if (!fw_cfg_find(FW_CFG_INITRD, &sel, &size))
		return true;
	start = (top - size) & ~(PAGE_SIZE - 1);
	if (size > top || start < kernel_end) {
		console_printf("%s: initrd of %u KiB does not fit beside the kernel\n",
			       vm->cfg.name, size / 1024);
		return false;
	}
	if (!fw_cfg_read(sel, ram + start, size))
		return false;
	dtb->initrd_start = GUEST_RAM_IPA + start;
	dtb->initrd_end = dtb->initrd_start + size;
	console_printf("%s: initrd, %u KiB at 0x%llx\n", vm->cfg.name, size / 1024,
		       (unsigned long long)dtb->initrd_start);
	return true;
}

/*
 * A vCPU on this CPU until its VM stops here. The guest may leave its timer's
 * interrupt active (forwarded: the guest deactivates it, GICv3 spec 4.4.3,
 * and it never will now); the CPU's next vCPU would never get another.
 */
static unsigned vcpus_left; /**< of the VM that ran last: its vCPUs out of their loops */

static void run_vcpu(struct vcpu *v)
{
	vcpu_run_loop(v);
	gicv3_ppi_deactivate(GUEST_VTIMER_INTID);
	__atomic_fetch_add(&vcpus_left, 1, __ATOMIC_RELEASE);
}

/*
 * Every vCPU of a VM that ran is out of its loop: nothing touches the VM or
 * its RAM any more. False (reported) when one is not within a second.
 */
static bool wait_vcpus_left(const struct vm *vm)
{
	uint64_t give_up = arch_counter_now() + arch_counter_freq();

	while (__atomic_load_n(&vcpus_left, __ATOMIC_ACQUIRE) < vm->cfg.vcpu_count)
		if (arch_counter_now() > give_up) {
			console_printf("%s: a vCPU did not stop: the board takes no other VM\n",
				       vm->cfg.name);
			return false;
		}
	return true;
}

static void run_secondary_vcpu(void *arg) { run_vcpu(arg); }

/*
 * The VM on every CPU it has (vCPU 0 on this one), the control CPU beside
 * them, until it stops here; VM_BOOT_MIGRATED or VM_BOOT_LOST when it left
 * or was lost, else VM_BOOT_NONE (the caller says how it ended).
 */
static enum vm_boot_result run_vm(struct vm *vm)
{
	console_set_input(vm_console_input, vm);
	for (unsigned i = 1; i < vm->cfg.vcpu_count; i++)
		sched_assign(vm->vcpus[i].pcpu, run_secondary_vcpu, &vm->vcpus[i]);
	control_start();
	run_vcpu(&vm->vcpus[0]);
	console_set_input(NULL, NULL);
	/* The control CPU ends within one link timeout of the VM stopping (system/migrate.c). */
	control_finish();
	if (vm->stop == VM_MIGRATED)
		return VM_BOOT_MIGRATED;
	if (vm->stop == VM_FENCED)
		return VM_BOOT_FENCED;
	return vm->stop == VM_LOST ? VM_BOOT_LOST : VM_BOOT_NONE;
}

/* The destination: the VM is ready with its vCPUs parked until RUN. */
static enum vm_boot_result run_incoming(struct vm *vm)
{
	enum vm_boot_result r;

	console_printf("%s: %llu MiB, %u vCPU%s, waiting for its state from the peer\n",
		       vm->cfg.name, (unsigned long long)(vm->cfg.mem_bytes / MIB),
		       vm->cfg.vcpu_count, vm->cfg.vcpu_count > 1 ? "s" : "");
	vm->pause_req = true;
	r = run_vm(vm);
	if (r != VM_BOOT_NONE)
		return r; /* it arrived and went on, or was lost */
	if (!control_vm_arrived())
		return VM_BOOT_NOTHING_ARRIVED;
	return vm->stop == VM_POWER_OFF ? VM_BOOT_POWERED_OFF : VM_BOOT_STOPPED;
}

/** A share of the guest RAM to zero, done by one CPU. */
struct zero_job {
	uint8_t *start;
	uint64_t bytes;
};

static struct zero_job zero_jobs[BOARD_CPU_MAX];
static unsigned zero_done;

static void zero_share(void *arg)
{
	struct zero_job *job = arg;

	arch_zero_pages(job->start, job->bytes);
	__atomic_fetch_add(&zero_done, 1, __ATOMIC_RELEASE);
}

/**
 * Zeroes guest RAM on every online CPU at once: nothing of a previous
 * owner of this RAM may leak into the guest, and the idle CPUs make it
 * proportionally faster.
 */
static void zero_ram(uint8_t *ram, uint64_t bytes, unsigned cpus)
{
	uint64_t share = (bytes / cpus) & ~(PAGE_SIZE - 1);

	zero_done = 0;
	for (unsigned c = 0; c < cpus; c++) {
		zero_jobs[c].start = ram + c * share;
		zero_jobs[c].bytes = c + 1 == cpus ? bytes - c * share : share;
		if (c > 0)
			sched_assign(c, zero_share, &zero_jobs[c]);
	}
	zero_share(&zero_jobs[0]);
	while (__atomic_load_n(&zero_done, __ATOMIC_ACQUIRE) < cpus)
		;
}

static bool setup_pool(const struct board_desc *b, const struct board_facts *f)
{
	uint64_t base = f->ram_base + b->hyp_reserved;
	uint64_t pages = (f->ram_size - b->hyp_reserved) / PAGE_SIZE;

	if (pages > BOARD_RAM_PAGES_MAX)
		pages = BOARD_RAM_PAGES_MAX;
	return page_pool_init(&ram_pool, pa_init(base), pages, ram_pool_bitmap,
			      PAGE_POOL_BITMAP_WORDS(BOARD_RAM_PAGES_MAX));
}

/** Boots the configured guest: kernel, initrd, device tree, then runs it to its end. */
static enum vm_boot_result run_guest(struct vm *vm, uint8_t *ram, bool *started)
{
	struct guest_dtb_params dtb = { 0 };
	enum vm_boot_result result;
	uint64_t entry = 0, kernel_end, mem = vm->cfg.mem_bytes;
	uint64_t exits = 0, wfi = 0, mmio = 0;

	kernel_end = load_kernel(vm, ram, &entry);
	if (!kernel_end || !load_initrd(vm, ram, kernel_end, &dtb))
		return VM_BOOT_REFUSED;
	dtb.ram_ipa = GUEST_RAM_IPA;
	dtb.ram_size = mem;
	dtb.vcpu_count = vm->cfg.vcpu_count;
	dtb.bootargs = vm->cfg.cmdline;
	dtb.has_nic = vm->cfg.has_nic;
	if (!guest_dtb_build(ram + mem - DTB_AREA, DTB_MAX, &dtb)) {
		console_printf("%s: its device tree does not fit in %u KiB\n", vm->cfg.name,
			       DTB_MAX / 1024);
		return VM_BOOT_REFUSED;
	}
	console_printf("%s: %llu MiB at PA 0x%llx, %u vCPU%s, stage-2 IPA %u bits, starting\n",
		       vm->cfg.name, (unsigned long long)(mem / MIB),
		       (unsigned long long)pa_addr(vm->ram_pa), vm->cfg.vcpu_count,
		       vm->cfg.vcpu_count > 1 ? "s" : "", vm->ctl.ipa_bits);

	*started = true;
	vcpu_reset(&vm->vcpus[0], entry, GUEST_RAM_IPA + mem - DTB_AREA);
	vm->vcpus[0].power = VCPU_ON;
	result = run_vm(vm);
	if (result != VM_BOOT_NONE)
		return result;
	for (unsigned i = 0; i < vm->cfg.vcpu_count; i++) {
		exits += vm->vcpus[i].stats.exits;
		wfi += vm->vcpus[i].stats.wfi;
		mmio += vm->vcpus[i].stats.mmio;
	}
	console_printf("%s: stopped after %llu exits (%llu WFI, %llu MMIO)\n", vm->cfg.name,
		       (unsigned long long)exits, (unsigned long long)wfi,
		       (unsigned long long)mmio);
	return vm->stop == VM_POWER_OFF ? VM_BOOT_POWERED_OFF : VM_BOOT_STOPPED;
}

const char *vm_boot_result_text(enum vm_boot_result r)
{
	switch (r) {
	case VM_BOOT_NONE:
		return "no VM configured";
	case VM_BOOT_POWERED_OFF:
		return "the VM powered off";
	case VM_BOOT_STOPPED:
		return "the VM stopped";
	case VM_BOOT_MIGRATED:
		return "the VM left for the peer board";
	case VM_BOOT_NOTHING_ARRIVED:
		return "no VM arrived";
	case VM_BOOT_LOST:
		return "the VM is lost (postcopy could not finish)";
	case VM_BOOT_QUIT:
		return "told to quit on the management channel";
	case VM_BOOT_FENCED:
		return "the VM's lease ended: it stopped here for good (the standby runs it if it "
		       "took over)";
	case VM_BOOT_REFUSED:
		break;
	}
	return "the VM could not start";
}

enum vm_boot_result vm_boot(const struct board_desc *b, const struct board_facts *f,
			    unsigned cpus_online)
{
	struct vm *vm = &vm0;
	struct vm_config cfg;
	struct arch_cpu_info info;
	enum vm_boot_result result;
	uint16_t sel;
	uint32_t size;
	paddr_t ram_pa;
	uint8_t *ram;
	bool incoming;

	if (!fw_cfg_probe(b->fw_cfg_base) || !read_config(&cfg))
		return VM_BOOT_NONE;
	if (cfg.vcpu_count > cpus_online) {
		console_printf("%s: %u vCPUs asked, the board has %u CPUs (vCPUs are pinned)\n",
			       cfg.name, cfg.vcpu_count, cpus_online);
		return VM_BOOT_REFUSED;
	}
	/* The VM's RAM is the board's for good: each VM booted here gets it zeroed. */
	if (!setup_pool(b, f) ||
	    !page_alloc(&ram_pool, cfg.mem_bytes / PAGE_SIZE, (2 * MIB) / PAGE_SIZE, &ram_pa)) {
		console_printf("%s: %llu MiB of RAM asked, the board has %llu MiB free\n", cfg.name,
			       (unsigned long long)(cfg.mem_bytes / MIB),
			       (unsigned long long)(ram_pool.free_count * PAGE_SIZE / MIB));
		return VM_BOOT_REFUSED;
	}
	ram = (uint8_t *)(uintptr_t)pa_addr(ram_pa);
	if (!control_init(&cfg, b, f, cpus_online, fw_cfg_find(FW_CFG_KERNEL, &sel, &size),
			  &incoming))
		return VM_BOOT_REFUSED;
	arch_cpu_info(&info);
	for (bool first = true;; first = false) {
		bool started = false;

		if (!first)
			vm_destroy(vm);
		/*
		 * A VM coming in writes every page before it runs (precopy: all
		 * must have come before PONG; postcopy: a page not yet here is
		 * unmapped until it is): nothing of an earlier owner can leak
		 * into it, and what the same VM left here on an earlier stay,
		 * kept, is not written again where it still holds (an emulated
		 * board keeps its translation of the guest's code).
		 */
		if (!incoming)
			zero_ram(ram, cfg.mem_bytes, cpus_online);
		__atomic_store_n(&vcpus_left, 0, __ATOMIC_RELEASE);
		control_attach(vm, incoming);
		result = VM_BOOT_REFUSED;
		if (!vm_init(vm, &cfg, ram_pa, &ram_pool, 1,
			     info.pa_bits < IPA_BITS_MAX ? info.pa_bits : IPA_BITS_MAX,
			     arch_counter_now(), arch_gic_lr_count(), emit_guest_line))
			console_printf("%s: out of memory for its stage-2 tables\n", cfg.name);
		else if (incoming)
			started = true, result = run_incoming(vm);
		else
			result = run_guest(vm, ram, &started);
		if (started && !wait_vcpus_left(vm))
			return result;
		switch (control_next(started, vm_boot_result_text(result))) {
		case CONTROL_INCOMING:
			incoming = true;
			break;
		case CONTROL_BOOT:
			incoming = false;
			break;
		case CONTROL_QUIT:
			return VM_BOOT_QUIT;
		case CONTROL_POWER_OFF:
		case CONTROL_NEXT_NONE:
			return result;
		}
	}
}
