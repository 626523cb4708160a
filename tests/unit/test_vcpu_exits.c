/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The vCPU run loop and its exits (hyp/vcpu_run.c) on a real VM over the
 * fake arch: WFI and its wake-ups, data aborts on the PL011 and the vGIC
 * distributor, aborts outside RAM and devices, the virtual timer's
 * interrupt, SError and AArch32. Each guest is a small program the test
 * plays instruction by instruction at its PC (tests/fake_arch/fake_guest.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hyp/irq.h"
#include "hyp/vcpu_run.h"
#include "tests/support/guest_steps.h"
#include "tests/support/guest_vm.h"
#include "tests/support/host_console.h"

#define PSTATE_EL1H_UNMASKED 0x5ull

static struct host_vm *h;

/** What the guests saw, written on their threads, read after they ended. */
static struct {
	uint64_t x[31];
	uint32_t acked[4];
	struct guest_exceptions exc;
	uint64_t lr_at_ack;
	uint64_t kicks_at_wake;
	volatile bool go;
	bool timer_stuck;
	bool timer_stale;
	bool timer_never;
} seen;

static int setup(void **state)
{
	memset(&seen, 0, sizeof(seen));
	return guest_vm_setup(state);
}

/* --- WFI ---------------------------------------------------------------------- */

static struct vcpu_exit guest_wfi_uart(struct fake_guest *g)
{
	struct vcpu_exit e;

	for (;;) {
		switch (g->regs->pc) {
		case AT(0):
		case AT(1):
		case AT(2):
			if (guest_enable_irq(g, AT(0), 0, GUEST_UART_INTID, &e))
				return e;
			break;
		case AT(3): /* UARTIMSC.RXIM */
			if (guest_store(g, UARTIMSC, 4, 1u << 4, &e))
				return e;
			break;
		case AT(4):
			return fake_guest_wfi(g);
		case AT(5):
			seen.acked[0] = fake_guest_ack(g);
			g->regs->pc += 4;
			break;
		case AT(6): /* ldrb w2, [UARTDR] */
			if (fake_guest_load(g, UARTDR, 1, 2, FAKE_MEM_W, &e))
				return e;
			break;
		case AT(7):
			seen.x[2] = g->regs->x[2];
			fake_guest_eoi(g, seen.acked[0]);
			g->regs->pc += 4;
			break;
		case AT(8):
			return guest_off(g, NULL);
		default:
			return fake_guest_serror(g, 0); /* lost: stop the VM */
		}
	}
}

static void test_wfi_sleeps_until_uart_input(void **state)
{
	uint64_t entries, kicks;

	(void)state;
	h = guest_vm_boot(1, guest_wfi_uart, 0);
	assert_true(HOST_VM_WAIT(__atomic_load_n(&h->vm.vcpus[0].stats.wfi, __ATOMIC_RELAXED) == 1,
				 WAIT_MS));
	/* Asleep: the safety net ends waits, the guest is not entered again. */
	entries = __atomic_load_n(&fake_hw(0)->entries, __ATOMIC_RELAXED);
	assert_true(HOST_VM_WAIT(fake_cpu_stats(0).idle_timeouts >= 3, WAIT_MS));
	assert_int_equal(__atomic_load_n(&fake_hw(0)->entries, __ATOMIC_RELAXED), entries);
	kicks = fake_cpu_stats(0).kicks;
	assert_true(vm_console_input('x', &h->vm));
	assert_int_equal(fake_cpu_stats(0).kicks, kicks + 1); /* woken, not found by the timeout */
	guest_vm_ends(h, VM_POWER_OFF);
	assert_int_equal(seen.acked[0], GUEST_UART_INTID);
	assert_int_equal(seen.x[2], 'x');
	assert_int_equal(h->vm.vcpus[0].stats.wfi, 1);
	/* The FIFO is empty again: the line went low. */
	assert_false(vgic_irq_pending(vgic_irq(&h->vm.vgic, 0, GUEST_UART_INTID)));
}

static struct vcpu_exit guest_sgi(struct fake_guest *g)
{
	struct vcpu_exit e;

	for (;;) {
		switch (g->regs->pc) {
		/* vCPU 0: waits for the test, then sends SGI 1 to vCPU 1 */
		case AT(0):
			if (!__atomic_load_n(&seen.go, __ATOMIC_ACQUIRE))
				return fake_guest_run(g);
			g->regs->pc += 4;
			break;
		case AT(1): /* msr ICC_SGI1R_EL1, x2: INTID 1, target list {1} */
			g->regs->x[2] = (1ull << 24) | (1u << 1);
			return fake_guest_msr(g, 3, 0, 12, 11, 5, 2);
		case AT(2):
			return fake_guest_run(g);
		/* vCPU 1: enables SGI 1, sleeps, takes it, powers off */
		case AT1(0):
		case AT1(1):
		case AT1(2):
			if (guest_enable_irq(g, AT1(0), 1, 1, &e))
				return e;
			break;
		case AT1(3):
			return fake_guest_wfi(g);
		case AT1(4):
			seen.kicks_at_wake = fake_cpu_stats(1).kicks;
			seen.acked[1] = guest_handle_irq(g);
			break;
		case AT1(5):
			return guest_off(g, NULL);
		default:
			return fake_guest_serror(g, 0);
		}
	}
}

static void test_wfi_wakes_on_sgi_from_other_vcpu(void **state)
{
	uint64_t kicks;

	(void)state;
	h = guest_vm_boot(2, guest_sgi, ENTRY1);
	assert_true(
		HOST_VM_WAIT(__atomic_load_n(&h->vm.vcpus[1].stats.wfi, __ATOMIC_RELAXED) == 1 &&
				     fake_cpu_stats(1).idle_waits > 0,
			     WAIT_MS));
	kicks = fake_cpu_stats(1).kicks;
	__atomic_store_n(&seen.go, true, __ATOMIC_RELEASE);
	guest_vm_ends(h, VM_POWER_OFF);
	assert_int_equal(seen.acked[1], 1);
	/* Woken by the SGI's kick, not found by the safety net. */
	assert_int_equal(seen.kicks_at_wake, kicks + 1);
}

static void vtimer_irq_once(void)
{
	static bool registered;

	if (!registered)
		vcpu_timer_irq_init(); /* once per process: irq_register refuses twice */
	registered = true;
}

/*
 * The virtual timer's physical PPI, taken while the vCPU sleeps, reaches it
 * as a HW interrupt. With seen.timer_stuck the guest sets its timer due
 * before it sleeps, and the PPI is never raised.
 */
static struct vcpu_exit guest_vtimer(struct fake_guest *g)
{
	struct vcpu_exit e;

	for (;;) {
		switch (g->regs->pc) {
		case AT(0):
		case AT(1):
		case AT(2):
			if (guest_enable_irq(g, AT(0), 0, GUEST_VTIMER_INTID, &e))
				return e;
			break;
		case AT(3):
			if (seen.timer_never) {
				/* Enabled, unmasked, CVAL at the counter's end: "never". */
				g->hw->timer.cntv_cval_el0 = UINT64_MAX;
				g->hw->timer.cntv_ctl_el0 = 1;
			}
			if (seen.timer_stale) {
				/* Its time has come (CVAL 0), ISTATUS not yet evaluated. */
				g->hw->timer.cntv_cval_el0 = 0;
				g->hw->timer.cntv_ctl_el0 = 1;
			}
			if (seen.timer_stuck) {
				/* CNTV_CTL_EL0: ENABLE, ISTATUS; CVAL 0: its time has come. */
				g->hw->timer.cntv_cval_el0 = 0;
				g->hw->timer.cntv_ctl_el0 = 5;
			}
			return fake_guest_wfi(g);
		case AT(4):
			for (unsigned n = 0; n < g->lr_count; n++)
				if ((g->hw->ich_lr_el2[n] & 0xffffffffu) == GUEST_VTIMER_INTID)
					seen.lr_at_ack = g->hw->ich_lr_el2[n];
			seen.acked[0] = guest_handle_irq(g);
			g->hw->timer.cntv_ctl_el0 = 0; /* the guest turns its timer off */
			break;
		case AT(5):
			return guest_off(g, NULL);
		default:
			return fake_guest_serror(g, 0);
		}
	}
}

/* The guest asleep in WFI, woken by its timer's PPI raised here, takes it. */
static void guest_woken_by_vtimer_ppi(void)
{
	vtimer_irq_once();
	h = guest_vm_boot(1, guest_vtimer, 0);
	assert_true(
		HOST_VM_WAIT(__atomic_load_n(&h->vm.vcpus[0].stats.wfi, __ATOMIC_RELAXED) == 1 &&
				     fake_cpu_stats(0).idle_waits > 0,
			     WAIT_MS));
	fake_cpu_raise_irq(0, GUEST_VTIMER_INTID);
	guest_vm_ends(h, VM_POWER_OFF);
	assert_int_equal(seen.acked[0], GUEST_VTIMER_INTID);
}

static void test_vtimer_interrupt_wakes_wfi(void **state)
{
	(void)state;
	guest_woken_by_vtimer_ppi();
	/* ICH_LR: HW [61], pINTID [44:32] = the physical PPI (GICv3 spec 12.4.8). */
	assert_true(seen.lr_at_ack & (1ull << 61));
	assert_int_equal((seen.lr_at_ack >> 32) & 0x1fff, GUEST_VTIMER_INTID);
	assert_int_equal(h->vm.vcpus[0].stats.timer_released, 0);
}

/*
 * The timer asserts its interrupt, which never comes (held active in the GIC
 * with nothing for the guest to end): the WFI's backstop finds it so
 * VTIMER_LATE_MS after the timer's time, releases it, and the guest takes it.
 */
/*
 * One guest timer interrupt under the fake's condition: Ferry woke the
 * guest for it, not the fake's safety net, and the guest took it.
 */
static void vtimer_taken_despite(bool *condition)
{
	uint64_t timeouts = fake_cpu_stats(0).idle_timeouts;

	vtimer_irq_once();
	*condition = true;
	h = guest_vm_boot(1, guest_vtimer, 0);
	guest_vm_ends(h, VM_POWER_OFF);
	assert_int_equal(fake_cpu_stats(0).idle_timeouts, timeouts);
	assert_int_equal(seen.acked[0], GUEST_VTIMER_INTID);
}

static void test_stuck_vtimer_interrupt_is_released(void **state)
{
	(void)state;
	vtimer_taken_despite(&seen.timer_stuck); /* by the backstop */
	assert_int_equal(h->vm.vcpus[0].stats.timer_released, 1);
	assert_int_equal(fake_hw(0)->irq_deactivations, 1);
}

/*
 * The timer's time has come by the counters and it does not assert yet
 * (an emulator that evaluates it late): at the WFI Ferry has it evaluated,
 * its PPI comes at once and is forwarded; no sleep, no backstop.
 */
static void test_late_vtimer_is_refreshed(void **state)
{
	(void)state;
	vtimer_taken_despite(&seen.timer_stale);
	assert_true(seen.lr_at_ack & (1ull << 61));
	assert_int_equal(h->vm.vcpus[0].stats.timer_refreshed, 1);
	assert_int_equal(h->vm.vcpus[0].stats.timer_released, 0);
	assert_int_equal(fake_hw(0)->timer_refreshes, 1);
}

/*
 * A timer set at the counter's end never comes due: CVAL plus the VM's
 * offset would wrap, and must not read as a time long past (refreshed at
 * every WFI). The vCPU sleeps until another interrupt wakes it.
 */
static void test_vtimer_never_due(void **state)
{
	(void)state;
	seen.timer_never = true;
	guest_woken_by_vtimer_ppi();
	assert_int_equal(h->vm.vcpus[0].stats.timer_refreshed, 0);
	assert_int_equal(fake_hw(0)->timer_refreshes, 0);
}

/* --- data aborts on devices ---------------------------------------------------------- */

/* Every register starts as ~0: a load must write all of its register. */
static const struct guest_insn pl011[] = {
	STR(UARTDR, 1, 'h'), /* strb w1 */
	STR(UARTDR, 1, 'i'),
	STR(UARTDR, 1, '\n'),
	LDR(UARTFR, 4, 3, FAKE_MEM_W),			 /* ldr w3: TXFE | RXFE */
	LDR(UARTFR, 1, 4, FAKE_MEM_SIGNED),		 /* ldrsb x4 */
	LDR(UARTFR, 1, 5, FAKE_MEM_SIGNED | FAKE_MEM_W), /* ldrsb w5 */
	LDR(UARTPERIPHID0, 2, 6, FAKE_MEM_W),		 /* ldrh w6 */
	LDR(UARTIMSC, 4, 7, FAKE_MEM_W),		 /* ldr w7 */
	LDR(UARTFR, 4, 31, FAKE_MEM_W),			 /* a load into xzr, */
	STR_ZR(UARTIMSC, 4),				 /* then str wzr */
};

static struct vcpu_exit guest_pl011(struct fake_guest *g)
{
	static const struct guest_program p = GUEST_PROGRAM(pl011, ~0ull, seen.x);

	return guest_play(g, &p);
}

static void test_dabt_on_pl011(void **state)
{
	(void)state;
	h = guest_vm_boot(1, guest_pl011, 0);
	guest_vm_ends(h, VM_POWER_OFF);
	assert_int_equal(host_console_count("vm0| hi\n"), 1);
	assert_int_equal(seen.x[3], 0x90);		    /* UARTFR: TXFE, RXFE */
	assert_int_equal(seen.x[4], 0xffffffffffffff90ull); /* sign-extended to 64 bits */
	assert_int_equal(seen.x[5], 0xffffff90ull);	    /* to 32, upper half zero */
	assert_int_equal(seen.x[6], 0x11);		    /* PL011 part number, low byte */
	assert_int_equal(seen.x[7], 0);			    /* a W load clears bits [63:32] */
	assert_int_equal(h->vm.vcpus[0].stats.mmio, 10);
	assert_int_equal(h->vm.faults_reported, 0);
}

static const struct guest_insn gicd[] = {
	STR(GICD_CTLR, 4, GICD_CTLR_ENABLE_G1),
	LDR(GICD_CTLR, 4, 2, FAKE_MEM_W),   /* ldr w2 */
	LDR(GICD_TYPER, 4, 3, FAKE_MEM_W),  /* ldr w3 */
	STR(GICD_IPRIORITYR + 33, 1, 0xa0), /* strb: priority of INTID 33 */
	STR(GICD_IPRIORITYR + 35, 1, 0x80), /* and of INTID 35, so bit 31 of the word is set */
	LDR(GICD_IPRIORITYR + 33, 1, 4, FAKE_MEM_SIGNED), /* ldrsb x4, [priority 33] */
	LDR(GICD_IPRIORITYR + 32, 4, 5, FAKE_MEM_SIGNED), /* ldrsw x5, [priorities 32-35] */
	STR(GICD_IROUTER(33), 8, 1),	/* str x1: IROUTER of INTID 33, to the vCPU with Aff0 = 1 */
	LDR(GICD_IROUTER(33), 8, 6, 0), /* ldr x6 */
};

static struct vcpu_exit guest_gicd(struct fake_guest *g)
{
	static const struct guest_program p = GUEST_PROGRAM(gicd, 0, seen.x);

	return guest_play(g, &p);
}

static void test_dabt_on_gic_distributor(void **state)
{
	(void)state;
	h = guest_vm_boot(1, guest_gicd, 0);
	guest_vm_ends(h, VM_POWER_OFF);
	assert_int_equal(seen.x[2], GICD_CTLR_ENABLE_G1 | GICD_CTLR_ARE | GICD_CTLR_DS);
	assert_int_equal(seen.x[3] & 0x1f, 2); /* ITLinesNumber: 96 INTIDs */
	assert_int_equal(seen.x[4], 0xffffffffffffffa0ull);
	assert_int_equal(seen.x[5], 0xffffffff8000a000ull);
	assert_int_equal(seen.x[6], 1);
	assert_int_equal(h->vm.vgic.ctlr & GICD_CTLR_ENABLE_G1, GICD_CTLR_ENABLE_G1);
	assert_int_equal(vgic_irq(&h->vm.vgic, 0, 33)->priority, 0xa0);
	assert_int_equal(h->vm.faults_reported, 0);
}

/* A 64-bit GICD_IROUTER (GICv3 spec 12.9.22): Aff3 [39:32] and Interrupt_Routing_Mode [31]. */
static const struct guest_insn irouter[] = {
	/* str x1: Aff3 0x12, 1-of-N, Aff2..0 0x030201, RES0 bits set */
	STR(GICD_IROUTER(40), 8, 0xffffff1280030201ull),
	LDR(GICD_IROUTER(40), 8, 6, 0),
};

static struct vcpu_exit guest_irouter(struct fake_guest *g)
{
	static const struct guest_program p = GUEST_PROGRAM(irouter, 0, seen.x);

	return guest_play(g, &p);
}

static void test_gicd_irouter_keeps_aff3_and_routing_mode(void **state)
{
	(void)state;
	h = guest_vm_boot(1, guest_irouter, 0);
	assert_true(host_vm_join(h, WAIT_MS));
	assert_int_equal(seen.x[6], 0x0000001280030201ull);
}

/* --- aborts outside RAM and devices -------------------------------------------------- */

static struct vcpu_exit guest_bad_dabt(struct fake_guest *g)
{
	struct vcpu_exit e;

	for (;;) {
		if (fake_guest_fetch(g, &e))
			return e;
		switch (g->regs->pc) {
		case AT(0):
			g->hw->sys.vbar_el1 = VBAR;
			g->regs->pstate = PSTATE_EL1H_UNMASKED;
			/* ldr x1, [nothing there] */
			if (fake_guest_load(g, 0x20000000, 8, 1, 0, &e))
				return e;
			break;
		case AT(1): /* str x1 elsewhere: the same kind, not reported again */
			if (guest_store(g, 0x20001000, 8, 7, &e))
				return e;
			break;
		case AT(2): /* ldp from the UART: no syndrome */
			if (fake_guest_load(g, UARTDR, 8, 1, FAKE_MEM_NO_ISV, &e))
				return e;
			break;
		case AT(3): /* at EL0 now: ldr x1, [nothing there] */
			g->regs->pstate = 0;
			if (fake_guest_load(g, 0x20002000, 8, 1, 0, &e))
				return e;
			break;
		case AT(4):
			g->regs->pstate = PSTATE_EL1H_UNMASKED;
			return guest_off(g, NULL);
		case VBAR + 0x200: /* current EL with SP_ELx, synchronous */
		case VBAR + 0x400: /* lower EL, AArch64, synchronous */
			guest_take_exception(g, &seen.exc);
			break;
		default:
			return fake_guest_serror(g, 0);
		}
	}
}

static void test_dabt_outside_ram_injects_external_abort(void **state)
{
	/* ESR_EL1 (Arm ARM, ESR_EL1 and the data abort ISS): EC 0x25 from EL1, 0x24 from EL0; IL;
	 * DFSC 0x10. */
	const uint64_t sea_el1 = (0x25ull << 26) | (1ull << 25) | 0x10;
	const uint64_t sea_el0 = (0x24ull << 26) | (1ull << 25) | 0x10;

	(void)state;
	h = guest_vm_boot(1, guest_bad_dabt, 0);
	guest_vm_ends(h, VM_POWER_OFF);
	assert_int_equal(seen.exc.handled, 4);
	/* Exception entry (Arm ARM D1.10.2): vector, ELR the instruction, SPSR the old PSTATE,
	 * PSTATE EL1h with D, A, I, F masked. */
	assert_int_equal(seen.exc.pc[0], VBAR + 0x200);
	assert_int_equal(seen.exc.esr[0], sea_el1);
	assert_int_equal(seen.exc.far[0], 0x20000000);
	assert_int_equal(seen.exc.elr[0], AT(0));
	assert_int_equal(seen.exc.spsr[0], PSTATE_EL1H_UNMASKED);
	assert_int_equal(seen.exc.pstate[0], 0x3c5);
	assert_int_equal(seen.exc.far[1], 0x20001000);
	assert_int_equal(seen.exc.elr[1], AT(1));
	assert_int_equal(seen.exc.esr[2] & ~(1ull << 6), sea_el1);
	assert_int_equal(seen.exc.far[2], UARTDR);
	assert_int_equal(seen.exc.pc[3], VBAR + 0x400);
	assert_int_equal(seen.exc.esr[3], sea_el0);
	assert_int_equal(seen.exc.spsr[3], 0);
	/* Reported once per kind. */
	assert_int_equal(host_console_count("outside its memory and devices"), 1);
	assert_int_equal(host_console_count("without a syndrome"), 1);
}

static struct vcpu_exit guest_bad_iabt(struct fake_guest *g)
{
	struct vcpu_exit e;

	for (;;) {
		if (fake_guest_fetch(g, &e))
			return e;
		switch (g->regs->pc) {
		case AT(0): /* br to nothing */
			g->hw->sys.vbar_el1 = VBAR;
			g->regs->pc = 0x30000000;
			break;
		case AT(1):
			g->regs->pc = 0x30004000;
			break;
		case AT(2):
			return guest_off(g, NULL);
		case VBAR + 0x200: /* back to the instruction after the branch */
			guest_take_exception(g, &seen.exc);
			g->regs->pc = seen.exc.handled == 1 ? AT(1) : AT(2);
			break;
		default:
			return fake_guest_serror(g, 0);
		}
	}
}

static void test_iabt_outside_ram_injects_external_abort(void **state)
{
	(void)state;
	h = guest_vm_boot(1, guest_bad_iabt, 0);
	guest_vm_ends(h, VM_POWER_OFF);
	assert_int_equal(seen.exc.handled, 2);
	/* EC 0x21 (instruction abort, same EL), IL, IFSC 0x10 */
	assert_int_equal(seen.exc.esr[0], (0x21ull << 26) | (1ull << 25) | 0x10);
	assert_int_equal(seen.exc.far[0], 0x30000000);
	assert_int_equal(seen.exc.elr[0], 0x30000000);
	assert_int_equal(seen.exc.far[1], 0x30004000);
	assert_int_equal(host_console_count("instruction fetch outside its memory"), 1);
}

/* --- exits that end the VM ---------------------------------------------------------------- */

static struct vcpu_exit guest_serror(struct fake_guest *g) { return fake_guest_serror(g, 0); }

static struct vcpu_exit guest_aarch32(struct fake_guest *g) { return fake_guest_aarch32(g); }

static void check_crashed(fake_guest_fn guest, const char *message)
{
	h = guest_vm_boot(1, guest, 0);
	guest_vm_ends(h, VM_CRASHED);
	assert_int_equal(host_console_count(message), 1);
	/* The loop put the state back and silenced the timer. */
	assert_false(fake_hw(0)->loaded);
	assert_int_equal(fake_hw(0)->puts, 1);
	assert_true(fake_hw(0)->timer_stops >= 1);
	assert_int_equal(fake_hw(0)->entries, 1);
}

static void test_serror_stops_vm(void **state)
{
	(void)state;
	check_crashed(guest_serror, "SError");
}

static void test_aarch32_stops_vm(void **state)
{
	(void)state;
	check_crashed(guest_aarch32, "entered AArch32");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		GUEST_VM_TEST(test_wfi_sleeps_until_uart_input, setup),
		GUEST_VM_TEST(test_wfi_wakes_on_sgi_from_other_vcpu, setup),
		GUEST_VM_TEST(test_vtimer_interrupt_wakes_wfi, setup),
		GUEST_VM_TEST(test_stuck_vtimer_interrupt_is_released, setup),
		GUEST_VM_TEST(test_late_vtimer_is_refreshed, setup),
		GUEST_VM_TEST(test_vtimer_never_due, setup),
		GUEST_VM_TEST(test_dabt_on_pl011, setup),
		GUEST_VM_TEST(test_dabt_on_gic_distributor, setup),
		GUEST_VM_TEST(test_gicd_irouter_keeps_aff3_and_routing_mode, setup),
		GUEST_VM_TEST(test_dabt_outside_ram_injects_external_abort, setup),
		GUEST_VM_TEST(test_iabt_outside_ram_injects_external_abort, setup),
		GUEST_VM_TEST(test_serror_stops_vm, setup),
		GUEST_VM_TEST(test_aarch32_stops_vm, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
