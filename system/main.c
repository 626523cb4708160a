/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The board program's boot, once the arch turned translation on: the
 * console, the board check, the GIC, the banner, secondary CPUs via PSCI
 * CPU_ON, a timer interrupt on every CPU as proof that interrupts work,
 * the boot options' self-tests, the link, then the VM.
 */
#include <stdbool.h>

#include "boards/board.h"
#include "drivers/gicv3.h"
#include "drivers/pl011.h"
#include "hyp/arch.h"
#include "hyp/arch_vcpu.h"
#include "system/board_check.h"
#include "lib/bootargs.h"
#include "hyp/console.h"
#include "lib/exit_code.h"
#include "hyp/irq.h"
#include "system/link_boot.h"
#include "system/sched.h"
#include "hyp/vcpu_run.h"
#include "system/vm_boot.h"

#include "ferry_version.h"
#ifndef FERRY_VERSION_STRING
#define FERRY_VERSION_STRING "unknown"
#endif

/** Priority of Ferry's own interrupts (lower is more urgent). */
#define HYP_IRQ_PRIORITY     0x80
#define TIMER_TEST_US	     2000
#define CPU_START_TIMEOUT_US 2000000

struct cpu_status {
	volatile bool online;
	volatile bool timer_fired;
	volatile uint64_t timer_armed_at;
	volatile uint64_t timer_latency;
	volatile bool reported; /**< printed its status line */
};

static struct cpu_status cpu_status[BOARD_CPU_MAX];
static const struct board_desc *hyp_board;

static uint64_t us_to_ticks(uint64_t us) { return us * arch_counter_freq() / 1000000; }
static uint64_t ticks_to_us(uint64_t t) { return t * 1000000 / arch_counter_freq(); }

static enum irq_outcome hyp_timer_irq(uint32_t intid, void *ctx)
{
	struct cpu_status *st = &cpu_status[arch_cpu_index()];

	(void)intid, (void)ctx;
	arch_timer_stop();
	st->timer_latency = arch_counter_now() - st->timer_armed_at;
	st->timer_fired = true;
	return IRQ_DONE;
}

/**
 * The per-CPU interrupts Ferry takes on this CPU: its EL2 timer, the vGIC's
 * maintenance interrupt, the guest's virtual timer (forwarded), the kick.
 */
static void enable_cpu_interrupts(void)
{
	gicv3_ppi_enable(hyp_board->timer.hyp_phys_intid, HYP_IRQ_PRIORITY);
	gicv3_ppi_enable(hyp_board->gic.maint_intid, HYP_IRQ_PRIORITY);
	gicv3_ppi_enable(hyp_board->timer.virt_intid, HYP_IRQ_PRIORITY);
	gicv3_ppi_enable(ARCH_KICK_INTID, HYP_IRQ_PRIORITY);
}

/** Arms the EL2 timer and sleeps until its interrupt arrives (or times out). */
static bool timer_selftest(unsigned cpu)
{
	struct cpu_status *st = &cpu_status[cpu];
	uint64_t deadline;

	st->timer_armed_at = arch_counter_now();
	arch_timer_arm(us_to_ticks(TIMER_TEST_US));
	deadline = st->timer_armed_at + us_to_ticks(100 * TIMER_TEST_US);
	while (!st->timer_fired && arch_counter_now() < deadline)
		arch_idle_wait();
	return st->timer_fired;
}

/** A byte read from the board UART that its owner had no room for yet. */
static int uart_held = -1;
static struct spinlock uart_rx_lock;

/**
 * Moves bytes typed on the board console to whoever owns console input.
 * When it is full, the rest stays in the UART (and QEMU holds back its
 * input): the RX interrupt is masked until the owner has room again.
 */
static void uart_drain(void)
{
	arch_spin_lock(&uart_rx_lock);
	for (;;) {
		if (uart_held < 0)
			uart_held = pl011_getc();
		if (uart_held < 0)
			break;
		if (!console_input_byte((char)uart_held)) {
			pl011_rx_irq_disable();
			break;
		}
		uart_held = -1;
	}
	arch_spin_unlock(&uart_rx_lock);
}

static enum irq_outcome uart_irq(uint32_t intid, void *ctx)
{
	(void)intid, (void)ctx;
	uart_drain();
	return IRQ_DONE;
}

/** The owner has room again: the held byte first, then the UART's FIFO. */
static void uart_resume(void)
{
	pl011_rx_irq_enable();
	uart_drain();
}

static void print_banner(const struct board_desc *b, const struct board_facts *f)
{
	struct arch_cpu_info info;
	uint64_t freq = arch_counter_freq();

	arch_cpu_info(&info);
	console_printf("\nFerry %s: type-1 hypervisor with live migration\n", FERRY_VERSION_STRING);
	console_printf("  board   %s, EL2, %u-bit PA, MIDR 0x%08llx%s%s\n", b->name, info.pa_bits,
		       (unsigned long long)info.midr, info.rndr ? ", RNDR" : "",
		       info.aes_pmull ? ", AES" : "");
	console_printf("  RAM     %llu MiB at 0x%llx (Ferry keeps %llu MiB)\n",
		       (unsigned long long)(f->ram_size >> 20), (unsigned long long)f->ram_base,
		       (unsigned long long)(b->hyp_reserved >> 20));
	console_printf("  CPUs    %u (of %u in the device tree)\n", f->cpu_count,
		       f->cpu_count_found);
	console_printf("  GICv3   GICD 0x%llx, IIDR 0x%08x, %u INTIDs, %u list registers, "
		       "%u priority bits\n",
		       (unsigned long long)b->gic.gicd_base, gicv3_iidr(), gicv3_intid_count(),
		       info.lr_count, info.pri_bits);
	console_printf("  timer   %llu.%03llu MHz\n", (unsigned long long)(freq / 1000000),
		       (unsigned long long)(freq % 1000000 / 1000));
	if (f->bootargs[0])
		console_printf("  options %s\n", f->bootargs);
}

static unsigned start_secondaries(const struct board_facts *f)
{
	unsigned online = 1;

	for (unsigned cpu = 1; cpu < f->cpu_count; cpu++) {
		uint64_t deadline = arch_counter_now() + us_to_ticks(CPU_START_TIMEOUT_US);
		int err = arch_cpu_start(f->cpu_mpidr[cpu], cpu);

		if (err != 0) {
			console_printf("cpu%u: PSCI CPU_ON failed (%d)\n", cpu, err);
			continue;
		}
		while (!cpu_status[cpu].online && arch_counter_now() < deadline)
			;
		if (cpu_status[cpu].online)
			online++;
		else
			console_printf("cpu%u: did not come up within %u ms\n", cpu,
				       CPU_START_TIMEOUT_US / 1000);
	}
	return online;
}

static void report_problem(void *ctx, const char *message)
{
	(void)ctx;
	console_printf("board: %s\n", message);
}

_Noreturn void ferry_boot(void)
{
	const struct board_desc *board = &board_current;
	static struct board_facts board_facts;
	const struct board_facts *facts = &board_facts;
	char test[32];
	unsigned online, problems;

	pl011_init(board->uart.base, board->uart.clock_hz, 115200);
	console_init(pl011_write);
	/* The DTB may use the RAM between its address and Ferry's image. */
	problems = board_check((const void *)(uintptr_t)board->dtb_addr,
			       board->image_base - board->dtb_addr, board, &board_facts,
			       report_problem, NULL);
	/* Before anything can fail: the exit code must reach the launcher. */
	if (bootargs_flag(facts->bootargs, "ferry.semihosting"))
		arch_semihosting_enable();
	if (problems) {
		console_printf("Ferry: this board is not %s (%u problems): stopping\n", board->name,
			       problems);
		arch_power_off(FERRY_EXIT_BAD_BOARD);
	}
	arch_mmu_extend_ram(facts->ram_base, facts->ram_size);
	gicv3_init(board->gic.gicd_base, board->gic.gicr_base, board->gic.gicr_stride,
		   arch_cpu_mpidr());
	if (gicv3_redist_init(0, arch_cpu_mpidr()) != 0) {
		console_printf("Ferry: no GIC redistributor for the boot CPU: stopping\n");
		arch_power_off(FERRY_EXIT_BAD_BOARD);
	}
	arch_gic_cpu_init();

	hyp_board = board;
	irq_register(board->timer.hyp_phys_intid, hyp_timer_irq, NULL);
	vcpu_timer_irq_init();
	irq_register(board->uart.intid, uart_irq, NULL);
	gicv3_spi_enable(board->uart.intid, HYP_IRQ_PRIORITY, arch_cpu_mpidr());
	console_set_resume(uart_resume);
	pl011_rx_irq_enable();
	print_banner(board, facts);

	enable_cpu_interrupts();
	cpu_status[0].online = true;
	online = start_secondaries(facts);
	if (!timer_selftest(0)) {
		console_printf("cpu0: EL2 timer interrupt did not arrive\n");
		arch_power_off(FERRY_EXIT_TEST_FAILED);
	}
	console_printf("cpu0: online, timer interrupt after %llu us\n",
		       (unsigned long long)ticks_to_us(cpu_status[0].timer_latency));
	/* Every secondary reports its own timer before the boot CPU goes on. */
	for (unsigned cpu = 1; cpu < facts->cpu_count; cpu++) {
		uint64_t deadline = arch_counter_now() + us_to_ticks(CPU_START_TIMEOUT_US);

		while (cpu_status[cpu].online && !cpu_status[cpu].reported &&
		       arch_counter_now() < deadline)
			;
	}
	console_printf("Ferry ready: %u/%u CPUs online\n", online, facts->cpu_count);

	if (bootargs_get(facts->bootargs, "ferry.test", test, sizeof(test))) {
		if (__builtin_strcmp(test, "crash") == 0) {
			console_printf("self-test: taking a deliberate EL2 data abort\n");
			arch_selftest_fault();
		}
	}
	if (online != facts->cpu_count)
		arch_power_off(FERRY_EXIT_TEST_FAILED);
	switch (link_boot(board, facts)) {
	case LINK_BOOT_FAILED:
		arch_power_off(FERRY_EXIT_TEST_FAILED);
	case LINK_BOOT_TEST_PASSED:
		console_printf("link: self-test passed: powering off\n");
		arch_power_off(FERRY_EXIT_OK);
	case LINK_BOOT_NONE:
	case LINK_BOOT_READY:
		break;
	}
	switch (vm_boot(board, facts, online)) {
	case VM_BOOT_NONE:
		console_printf("No VM configured: powering off\n");
		arch_power_off(FERRY_EXIT_OK);
	case VM_BOOT_POWERED_OFF:
		console_printf("Ferry: the VM powered off: powering off the board\n");
		arch_power_off(FERRY_EXIT_OK);
	case VM_BOOT_STOPPED:
		arch_power_off(FERRY_EXIT_VM_STOPPED);
	case VM_BOOT_MIGRATED:
		console_printf("Ferry: the VM left for the peer board: powering off\n");
		arch_power_off(FERRY_EXIT_OK);
	case VM_BOOT_LOST:
		console_printf("Ferry: the VM is lost (postcopy could not finish): powering off\n");
		arch_power_off(FERRY_EXIT_VM_LOST);
	case VM_BOOT_FENCED:
		console_printf("Ferry: %s: powering off\n", vm_boot_result_text(VM_BOOT_FENCED));
		arch_power_off(FERRY_EXIT_VM_FENCED);
	case VM_BOOT_QUIT:
		console_printf("Ferry: %s: powering off\n", vm_boot_result_text(VM_BOOT_QUIT));
		arch_power_off(FERRY_EXIT_OK);
	case VM_BOOT_NOTHING_ARRIVED:
		console_printf("Ferry: no VM arrived: powering off\n");
		arch_power_off(FERRY_EXIT_BAD_VM);
	case VM_BOOT_REFUSED:
	default:
		console_printf("Ferry: the VM could not start: powering off\n");
		arch_power_off(FERRY_EXIT_BAD_VM);
	}
}

_Noreturn void ferry_secondary(unsigned cpu)
{
	if (gicv3_redist_init(cpu, arch_cpu_mpidr()) != 0) {
		console_printf("cpu%u: no GIC redistributor for MPIDR 0x%llx: parked\n", cpu,
			       (unsigned long long)arch_cpu_mpidr());
		for (;;)
			arch_idle_wait();
	}
	arch_gic_cpu_init();
	enable_cpu_interrupts();
	cpu_status[cpu].online = true;
	if (timer_selftest(cpu))
		console_printf("cpu%u: online, timer interrupt after %llu us\n", cpu,
			       (unsigned long long)ticks_to_us(cpu_status[cpu].timer_latency));
	else
		console_printf("cpu%u: online, but its EL2 timer interrupt did not arrive\n", cpu);
	cpu_status[cpu].reported = true;
	sched_idle_loop(cpu);
}
