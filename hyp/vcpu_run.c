/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The run loop of a vCPU and the handling of its exits (ESR_EL2 classes,
 * Arm ARM D19.2.40). A guest can never crash or hang Ferry: anything it is
 * not allowed to do is reported once and turned into an exception for it.
 */
#include "hyp/vcpu_run.h"

#include "boards/board.h"
#include "hyp/arch.h"
#include "hyp/console.h"
#include "hyp/irq.h"
#include "hyp/psci_guest.h"
#include "hyp/sysreg_emul.h"
#include "hyp/vcpu_inject.h"
#include "hyp/vm.h"

static struct vcpu *current_vcpu[BOARD_CPU_MAX];

struct vcpu *vcpu_current(void)
{
	unsigned cpu = arch_cpu_index();

	return cpu < BOARD_CPU_MAX ? current_vcpu[cpu] : NULL;
}

/** The physical virtual-timer PPI fired while this CPU's vCPU had the timer loaded. */
static enum irq_outcome vtimer_irq(uint32_t intid, void *ctx)
{
	struct vcpu *v = vcpu_current();

	(void)ctx;
	if (!v) {
		arch_vcpu_timer_stop(); /* a stopped VM's timer: silence it */
		return IRQ_DONE;
	}
	arch_spin_lock(&v->vm->lock);
	vgic_set_line(&v->vm->vgic, v->index, intid, true);
	arch_spin_unlock(&v->vm->lock);
	/* Stays active in the physical GIC until the guest deactivates it. */
	return IRQ_FORWARDED;
}

static enum irq_outcome kick_irq(uint32_t intid, void *ctx)
{
	(void)intid, (void)ctx;
	return IRQ_DONE; /* the exit itself is the point */
}

static enum irq_outcome maintenance_irq(uint32_t intid, void *ctx)
{
	(void)intid, (void)ctx;
	return IRQ_DONE; /* list registers are refilled on the way back in */
}

void vcpu_timer_irq_init(void)
{
	irq_register(GUEST_VTIMER_INTID, vtimer_irq, NULL);
	irq_register(ARCH_KICK_INTID, kick_irq, NULL);
	irq_register(GUEST_MAINT_INTID, maintenance_irq, NULL);
}

static void report(struct vcpu *v, enum vm_fault_kind kind, const char *what, uint64_t addr)
{
	if (vm_fault_once(v->vm, kind))
		console_printf("%s: vcpu%u at pc 0x%llx: %s 0x%llx (reported once)\n",
			       v->vm->cfg.name, v->index, (unsigned long long)v->regs.pc, what,
			       (unsigned long long)addr);
}

/*
 * How long the guest's timer may assert its interrupt, interrupts taken
 * meanwhile, with nothing of it reaching the guest. Past that the
 * interrupt is held active in the GIC (forwarded, GICv3 spec 4.4.3) with
 * no list register through which the guest could end it, and a vCPU
 * waiting for its timer would sleep for ever.
 */
#define VTIMER_LATE_MS 10u
/* The backstop's longest sleep: a timer set far ahead is looked at again by then. */
#define VTIMER_BACKSTOP_MAX_MS 1000u

/*
 * Called after an idle wait (which takes every interrupt pending and
 * deliverable: hyp_irq_handle) that ended VTIMER_LATE_MS or more after the
 * timer's time. The timer asserts and the guest holds nothing of its
 * interrupt: it is stuck active. Deactivated, it comes again (a level
 * still high) and is forwarded as any other. Reported once: not the
 * guest's doing.
 */
static bool release_stuck_timer(struct vcpu *v)
{
	struct vm *vm = v->vm;
	bool held;

	if (!arch_vcpu_timer_asserted())
		return false;
	arch_spin_lock(&vm->lock);
	held = vgic_irq_held(&vm->vgic, v->index, &v->regs.gic, vm->lr_count, GUEST_VTIMER_INTID);
	arch_spin_unlock(&vm->lock);
	if (held)
		return false;
	arch_irq_deactivate(GUEST_VTIMER_INTID);
	v->stats.timer_released++;
	if (vm_fault_once(vm, VM_FAULT_TIMER_RELEASED))
		console_printf("%s: vcpu%u: its timer's interrupt was stuck active with nothing "
			       "for the guest to end: released (reported once)\n",
			       vm->cfg.name, v->index);
	return true;
}

/**
 * WFI: sleep until the vCPU has an interrupt to take (or its VM stops).
 * While its timer is set, a backstop ends the sleep VTIMER_LATE_MS after
 * the timer's time, should its interrupt not come.
 *
 * A timer whose time has come by the counters (CNTVCT_EL0, that is
 * CNTPCT_EL0 less CNTVOFF_EL2, at CNTV_CVAL_EL0: Arm ARM D11.2.4) but that
 * does not assert yet is made to evaluate its condition first
 * (arch_vcpu_timer_refresh): an emulated board evaluates it from its
 * host's main loop, which a busy host runs late, and QEMU's TCG left a
 * Linux guest asleep here 3-22 ms past its timer's time, ISTATUS still 0.
 * Refreshed, its PPI asserts at once and is taken in the idle wait. Only
 * here, where the vCPU would sleep: each timer register read takes the
 * emulator's big lock (as the counter, PARK_CLOCK_LOOK_EVERY), too dear
 * for every entry into the guest.
 */
static void handle_wfi(struct vcpu *v)
{
	struct vm *vm = v->vm;
	uint64_t ms = arch_counter_freq() / 1000u, late = ms * VTIMER_LATE_MS;
	uint64_t woke = 0; /* when the last idle wait here ended; 0: none yet */
	bool armed = false;

	v->stats.wfi++;
	for (;;) {
		uint64_t due = 0, now = 0;
		bool wake, timer = arch_vcpu_timer_due(&due);

		if (timer) {
			now = arch_counter_now();
			if (now >= due && !arch_vcpu_timer_asserted()) {
				arch_vcpu_timer_refresh();
				v->stats.timer_refreshed++;
			}
		}
		arch_spin_lock(&vm->lock);
		wake = vgic_vcpu_has_pending(&vm->vgic, v->index) ||
		       vgic_lrs_hold_pending(&v->regs.gic, vm->lr_count);
		arch_spin_unlock(&vm->lock);
		if (wake || vm->stop != VM_RUNNING || v->power != VCPU_ON || vm->pause_req)
			break;
		if (timer) {
			if (woke >= due && woke - due >= late && release_stuck_timer(v)) {
				woke = 0; /* pending now: the next wait takes it */
			} else if (now < due) {
				uint64_t ahead = due - now;

				arch_timer_arm(ahead > ms * VTIMER_BACKSTOP_MAX_MS
						       ? ms * VTIMER_BACKSTOP_MAX_MS
						       : ahead + late);
				armed = true;
			} else if (now - due < late) {
				arch_timer_arm(late - (now - due));
				armed = true;
			} /* else its interrupt is the guest's, or comes: no backstop */
		}
		arch_idle_wait();
		woke = arch_counter_now();
	}
	if (armed)
		arch_timer_stop();
}

/** A data abort with a valid syndrome on an emulated device (Arm ARM D19.2.40.5). */
static void handle_mmio(struct vcpu *v, const struct vcpu_exit *e)
{
	struct vm *vm = v->vm;
	uint64_t ipa = ipa_addr(e->ipa);
	unsigned size = e->access.size, rt = e->access.rt;
	const struct mmio_region *r;
	struct mmio_access a;
	bool ok, kick_net;
	void (*net_notify)(struct vm *);

	if (!e->access.valid) {
		report(v, VM_FAULT_NO_SYNDROME, "access without a syndrome (no ISV) to", ipa);
		vcpu_inject_data_abort(v, e->far);
		return;
	}
	r = mmio_bus_find(&vm->mmio, ipa, size);
	if (!r) {
		report(v, VM_FAULT_UNMAPPED, "access outside its memory and devices, at", ipa);
		vcpu_inject_data_abort(v, e->far);
		return;
	}
	a = (struct mmio_access){
		.offset = ipa - r->base, .size = size, .write = e->access.write, .vcpu = v->index
	};
	if (a.write)
		a.value = rt == 31 ? 0 : v->regs.x[rt];
	v->stats.mmio++;
	arch_spin_lock(&vm->lock);
	ok = r->handler(r->device, &a);
	if (ok && r->device == &vm->uart)
		vm_update_uart_line(vm);
	if (ok && r->device == &vm->net)
		vm_net_update_line(vm); /* an InterruptACK may lower it */
	kick_net = ok && a.write && r->device == &vm->net && a.offset == VNET_QUEUE_NOTIFY;
	arch_spin_unlock(&vm->lock);
	/* A QueueNotify: the back end moves the frames (or takes the new buffers) now. */
	/* One load: the back end may detach meanwhile (it then ignores a VM not its own). */
	net_notify = __atomic_load_n(&vm->net_notify, __ATOMIC_ACQUIRE);
	if (kick_net && net_notify)
		net_notify(vm);
	if (!ok) {
		report(v, VM_FAULT_UNMAPPED, "refused device access at", ipa);
		vcpu_inject_data_abort(v, e->far);
		return;
	}
	if (!a.write && rt != 31) {
		uint64_t val = a.value;

		if (e->access.sign_extend && size < 8 && (val & (1ull << (size * 8 - 1))))
			val |= ~0ull << (size * 8);
		v->regs.x[rt] = e->access.sixty_four ? val : (uint32_t)val;
	}
	if (a.write && r->device == &vm->vgic)
		vm_kick_pending(vm, v->index);
	/* The guest read its receive FIFO: room for more console input. */
	if (!a.write && r->device == &vm->uart && a.offset == 0)
		console_input_ready();
	v->regs.pc += 4;
}

static void handle_sync(struct vcpu *v, const struct vcpu_exit *e)
{
	switch (e->kind) {
	case VCPU_EXIT_WFI:
		handle_wfi(v);
		v->regs.pc += 4;
		break;
	case VCPU_EXIT_WFE: /* only yields */
		v->regs.pc += 4;
		break;
	case VCPU_EXIT_HVC:
		v->stats.hvc++;
		psci_guest_call(v); /* ELR already points past the HVC */
		break;
	case VCPU_EXIT_SMC:
		/* A trapped SMC's ELR is the SMC itself (Arm ARM D1.10.4). */
		report(v, VM_FAULT_SMC, "SMC (served as PSCI), function", v->regs.x[0]);
		psci_guest_call(v);
		v->regs.pc += 4;
		break;
	case VCPU_EXIT_SYSREG:
		v->stats.sysreg++;
		if (sysreg_emulate(v, e->sysreg.encoding, e->sysreg.rt, e->sysreg.read)) {
			v->regs.pc += 4;
		} else {
			report(v, VM_FAULT_SYSREG, "unknown system register, encoding",
			       e->sysreg.encoding);
			vcpu_inject_undef(v);
		}
		break;
	case VCPU_EXIT_DATA_ABORT:
		/* A translation fault on RAM: a page postcopy still owes. */
		if (e->abort == VCPU_ABORT_TRANSLATION &&
		    vm_postcopy_fault(v->vm, v->index, ipa_addr(e->ipa)))
			break;
		/* A permission fault on RAM: a logged write. */
		if (e->abort == VCPU_ABORT_PERMISSION &&
		    vm_dirty_fault(v->vm, v->index, ipa_addr(e->ipa)))
			break; /* the guest retries the write */
		handle_mmio(v, e);
		break;
	case VCPU_EXIT_INSN_ABORT:
		if (e->abort == VCPU_ABORT_TRANSLATION &&
		    vm_postcopy_fault(v->vm, v->index, ipa_addr(e->ipa)))
			break; /* code still owed by postcopy */
		/*
		 * A fetch whose table walk wrote to a page logging keeps read-only:
		 * the walker updating a descriptor (Arm ARM D8.4.2, hardware
		 * Access flag and dirty state), a logged write as any other.
		 */
		if (e->abort == VCPU_ABORT_PERMISSION && e->walk &&
		    vm_dirty_fault(v->vm, v->index, ipa_addr(e->ipa)))
			break; /* the guest retries the fetch */
		report(v, VM_FAULT_IABT, "instruction fetch outside its memory at",
		       ipa_addr(e->ipa));
		vcpu_inject_instruction_abort(v, e->far);
		break;
	default:
		report(v, VM_FAULT_UNKNOWN, "unhandled exception, ESR", e->esr);
		vcpu_inject_undef(v);
		break;
	}
}

/*
 * The rehearsal's entry (vm->rehearsing): into the stand-in state and
 * straight back, so that the first real entry after a switchover does not
 * pay for the translation of this path on an emulated board (measured
 * there: 0.4 ms between leaving the parking and entering). No guest
 * instruction can run: the stand-in's PC and VBAR are 0, below guest RAM,
 * where stage 2 maps nothing, so its first fetch faults back to EL2; an SGI
 * of this CPU's own, usually pending at EL2 (HCR_EL2.IMO) by then, takes it
 * out even before that. The LRs were filled from the stand-in's vGIC.
 */
static void rehearse_entry(struct vcpu *v)
{
	struct vcpu_exit exit;

	arch_kick_cpu(arch_cpu_index());
	arch_vcpu_enter(&v->regs, v->vm->lr_count, &exit);
	arch_irq_window();
}

static void flush_lrs(struct vcpu *v)
{
	struct vm *vm = v->vm;

	arch_spin_lock(&vm->lock);
	vgic_flush_lrs(&vm->vgic, v->index, &v->regs.gic, vm->lr_count);
	arch_spin_unlock(&vm->lock);
}

/**
 * A synchronization of the parked VM (vm_sync_parked, a migration's
 * destination before PONG): this vCPU puts the state it was given into its
 * own CPU now, timer held until the start, and says so. Synchronized and
 * started in one (vm_sync_start): the last vCPU to take its state opens
 * the gate for all, and nobody waits for the word on another CPU.
 */
static void take_synchronized_state(struct vcpu *v, unsigned gen)
{
	bool starts = __atomic_load_n(&v->vm->sync_starts, __ATOMIC_SEQ_CST);

	if (__atomic_load_n(&v->power, __ATOMIC_ACQUIRE) == VCPU_ON) {
		vcpu_load(v, true);
		if (v->vm->rehearsing && !starts) { /* a start enters it from the run loop */
			flush_lrs(v);
			rehearse_entry(v);
		}
	} else {
		if (v->loaded)
			arch_vcpu_timer_stop();
		v->loaded = v->timer_held = false;
	}
	__atomic_store_n(&v->sync_gen, gen, __ATOMIC_SEQ_CST);
	if (!starts)
		vm_kick_parked_waiter(v->vm);
	else if (__atomic_add_fetch(&v->vm->sync_taken, 1, __ATOMIC_SEQ_CST) ==
		 v->vm->cfg.vcpu_count)
		vm_open_start_gate(v->vm, v->index);
}

/*
 * A parked vCPU that polls looks at the clock only once in this many turns:
 * on an emulated board reading the counter takes the emulator's big lock
 * (QEMU's CNTPCT_EL0 is an I/O register), which the board's network device
 * and its other CPUs need too; a poller reading it at every turn slowed
 * the package's delivery and loading.
 */
#define PARK_CLOCK_LOOK_EVERY 4096u

/** While a switchover is due (vm_poll_parked), true: poll on; `turns` counts the calls. */
static bool park_polls(const struct vm *vm, unsigned *turns)
{
	if ((*turns)++ % PARK_CLOCK_LOOK_EVERY)
		return true;
	return arch_counter_now() < __atomic_load_n(&vm->poll_until, __ATOMIC_ACQUIRE);
}

/* Parked for migration: the state goes to memory until the VM runs again (or leaves). */
static void park(struct vcpu *v)
{
	struct vm *vm = v->vm;
	unsigned turns = 0;

	vcpu_put(v);
	__atomic_fetch_add(&vm->parked, 1, __ATOMIC_SEQ_CST);
	vm_kick_parked_waiter(vm);
	while (vm->stop == VM_RUNNING) {
		/* The pause's end first: vm_open_start_gate ends it once every vCPU took its state.
		 */
		bool over = !__atomic_load_n(&vm->pause_req, __ATOMIC_SEQ_CST) &&
			    !(__atomic_load_n(&vm->lease, __ATOMIC_SEQ_CST) & VM_LEASE_FENCED);
		unsigned gen = __atomic_load_n(&vm->sync_gen, __ATOMIC_SEQ_CST);

		if (gen != v->sync_gen) {
			take_synchronized_state(v, gen);
		} else if (over) {
			break;
		} else if (!park_polls(vm, &turns)) {
			arch_idle_wait();
			turns = 0; /* woken: the clock first (a poll may have begun) */
		}
	}
	__atomic_fetch_sub(&vm->parked, 1, __ATOMIC_RELEASE);
	if (vm->stop == VM_RUNNING) {
		vm_resume_clock(vm);
		vcpu_release_timer(v);
	}
	v->entry_due = true;
}

void vcpu_run_loop(struct vcpu *v)
{
	struct vm *vm = v->vm;
	struct vcpu_exit exit;

	current_vcpu[arch_cpu_index()] = v;
	while (vm->stop == VM_RUNNING) {
		/* Parked on request, or standing at the lease's end (fenced) until it is lifted. */
		if (__atomic_load_n(&vm->pause_req, __ATOMIC_ACQUIRE) || vm_lease_over(vm)) {
			park(v);
			continue;
		}
		if (__atomic_load_n(&v->power, __ATOMIC_ACQUIRE) != VCPU_ON) {
			arch_idle_wait();
			continue;
		}
		if (!v->loaded)
			vcpu_load(v, false);
		flush_lrs(v);

		if (v->entry_due) { /* the first guest instruction since the parking: when */
			v->entry_due = false;
			__atomic_store_n(&v->entered_at, arch_counter_now(), __ATOMIC_SEQ_CST);
			vm_kick_parked_waiter(vm); /* the start waits for it (vm_entered_at) */
		}
		if (vm->rehearsing) {
			/*
			 * A rehearsed start (vm_rehearse_start): the same way out of
			 * the parking and in, but into the stand-in once, and back to
			 * the parking when the rehearsal pauses the VM again.
			 */
			rehearse_entry(v);
			while (vm->rehearsing &&
			       !__atomic_load_n(&vm->pause_req, __ATOMIC_SEQ_CST) &&
			       vm->stop == VM_RUNNING)
				arch_idle_wait();
			continue;
		}
		arch_vcpu_enter(&v->regs, vm->lr_count, &exit);
		v->stats.exits++;

		arch_spin_lock(&vm->lock);
		vgic_sync_lrs(&vm->vgic, v->index, &v->regs.gic, vm->lr_count);
		arch_spin_unlock(&vm->lock);

		switch (exit.kind) {
		case VCPU_EXIT_IRQ:
			v->stats.irq++;
			arch_irq_window();
			break;
		case VCPU_EXIT_FIQ:
			break;
		case VCPU_EXIT_SERROR:
			console_printf("%s: vcpu%u SError (ESR 0x%llx): VM stopped\n", vm->cfg.name,
				       v->index, (unsigned long long)exit.esr);
			vm->stop = VM_CRASHED;
			break;
		case VCPU_EXIT_AARCH32:
			console_printf("%s: vcpu%u entered AArch32, which Ferry does not run: VM "
				       "stopped\n",
				       vm->cfg.name, v->index);
			vm->stop = VM_CRASHED;
			break;
		default: /* the synchronous kinds */
			handle_sync(v, &exit);
			break;
		}
	}
	vcpu_put(v);
	current_vcpu[arch_cpu_index()] = NULL;
	arch_vcpu_timer_stop();
}
