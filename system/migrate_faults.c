/* SPDX-License-Identifier: Apache-2.0 */
/** Test-only faults of a migrating board, see migrate_faults.h. */
#include "system/migrate_faults.h"

#include "hyp/arch.h"
#include "hyp/console.h"
#include "lib/exit_code.h"
#include "lib/format.h"
#include "system/migrate.h"
#include "hyp/pstate.h"
#include "hyp/vm_migrate_ops.h"
#include "link/net.h"

/* How long hold_vm_started keeps VM_STARTED back. */
#define HOLD_MS 1000u

/** Whether the boot option ferry.test names this hook. */
static bool hook(const struct migrate_job *j, const char *name)
{
	return j->test_fault && !__builtin_strcmp(j->test_fault, name);
}

/* --- the VM back end --------------------------------------------------------------- */

static bool failing_sync(void *ctx, bool start, char *err, size_t n)
{
	(void)ctx, (void)start;
	format_snprintf(err, n, "injected synchronization failure (ferry.test=fail_sync)");
	return false;
}

/* The board dies mid-load, as if its host killed it: no goodbye on the link. */
static bool dying_load(void *ctx, const uint8_t *pkg, size_t len, char *err, size_t n)
{
	(void)ctx, (void)pkg, (void)len, (void)err, (void)n;
	console_printf("migration: test: the board dies while loading the device package\n");
	arch_power_off(FERRY_EXIT_PANIC);
}

/*
 * A source that holds valid credentials and lies in its package: vCPU 0 at
 * EL2h with a PC of its choice (hostile_pstate), or a list register that
 * would deactivate the physical timer interrupt (hostile_lr). The VM
 * itself is left as it was: it must resume here, intact.
 */
static bool hostile_lr;

static size_t hostile_save(void *ctx, unsigned format, uint8_t *buf, size_t size)
{
	struct vm *vm = ctx;
	struct vcpu_regs saved = vm->vcpus[0].regs;
	size_t len;

	if (hostile_lr) {
		/* HW = 1, pending, physical INTID 27 (Ferry's vtimer PPI), virtual 27. */
		vm->vcpus[0].regs.gic.ich_lr_el2[0] = 1ull << 62 | 1ull << 61 | 27ull << 32 | 27;
	} else {
		vm->vcpus[0].regs.pstate = 0x3c9; /* EL2h, interrupts masked */
		vm->vcpus[0].regs.pc = 0x40200000;
	}
	console_printf("migration: test: the package lies about vcpu 0 (%s)\n",
		       hostile_lr ? "a list register forwarding physical INTID 27" : "PSTATE EL2h");
	len = vm_migrate_ops.save_devices(ctx, format, buf, size);
	vm->vcpus[0].regs = saved;
	return len;
}

const struct mig_vm_ops *migrate_faults_vm_ops(const struct migrate_job *j)
{
	static struct mig_vm_ops faulty;

	faulty = vm_migrate_ops;
	if (hook(j, "fail_sync"))
		faulty.sync_devices = failing_sync;
	else if (hook(j, "die_loading"))
		faulty.load_devices = dying_load;
	else if (hook(j, "hostile_pstate") || hook(j, "hostile_lr"))
		faulty.save_devices = hostile_save, hostile_lr = hook(j, "hostile_lr");
	else
		return &vm_migrate_ops;
	return &faulty;
}

/* --- the link ------------------------------------------------------------------------ */

static const struct mig_channel_ops *inner;
static struct migrate_job *job;
static bool lose, cut_after, end_after, hold, cancel_at_pong, cut_at_pong, pong_payload;
static bool broken, vm_started_sent;

/** The record type a send begins with (a small record goes whole in one send), or 0. */
static uint16_t record_type(const void *buf, size_t len)
{
	const uint8_t *b = buf;

	return len >= MIG_RECORD_HEADER_SIZE ? (uint16_t)(b[0] | b[1] << 8) : 0;
}

/* The link breaks after VM_STARTED; with end_after_vm_started the VM also powers off here. */
static void break_after_vm_started(void)
{
	console_printf("migration: test: the link breaks after VM_STARTED\n");
	broken = true;
	if (end_after) {
		console_printf("migration: test: the VM powers off on this board\n");
		vm_stop_all(job->vm, VM_POWER_OFF);
	}
}

static int faulty_send(void *ctx, const void *buf, size_t len)
{
	size_t at = mig_record_find(buf, len, MIG_REC_VM_STARTED);
	uint16_t type = record_type((const uint8_t *)buf + at, len - at);
	int err;

	if (broken)
		return MIG_CHAN_BROKEN;
	if (vm_started_sent) {
		break_after_vm_started();
		return MIG_CHAN_BROKEN;
	}
	/* What goes before VM_STARTED in the same send (PONG, in one flight) goes out first. */
	if (at && at < len) {
		err = inner->send(ctx, buf, at);
		if (err)
			return err;
		buf = (const uint8_t *)buf + at;
		len -= at;
	}
	if (type == MIG_REC_VM_STARTED && hold) {
		uint64_t until = arch_counter_now() + arch_counter_freq() / 1000u * HOLD_MS;

		hold = false;
		console_printf("migration: test: RUN taken, VM_STARTED held for %u ms\n", HOLD_MS);
		while (arch_counter_now() < until)
			link_net_pump(HOLD_MS);
	} else if (type == MIG_REC_VM_STARTED && cut_after) {
		vm_started_sent = true; /* it goes out, then nothing more */
	} else if (type == MIG_REC_VM_STARTED && lose) {
		console_printf("migration: test: the link breaks before VM_STARTED\n");
		broken = true;
		return MIG_CHAN_BROKEN;
	}
	return inner->send(ctx, buf, len);
}

static int faulty_recv(void *ctx, void *buf, size_t len, unsigned timeout_ms)
{
	int err;

	if (vm_started_sent && !broken)
		break_after_vm_started();
	if (broken)
		return MIG_CHAN_BROKEN;
	err = inner->recv(ctx, buf, len, timeout_ms);
	if (pong_payload) { /* PONG is whole: from now on the link is gone */
		pong_payload = false;
		console_printf("migration: test: the link breaks right after PONG\n");
		broken = true;
		return err;
	}
	if (err || len != MIG_RECORD_HEADER_SIZE || record_type(buf, len) != MIG_REC_PONG)
		return err;
	/* The source hears PONG and is cancelled before it can commit. */
	if (cancel_at_pong) {
		cancel_at_pong = false;
		console_printf("migration: test: cancelled right after PONG\n");
		migrate_cancel(job);
	}
	/* Or the link breaks once PONG is in: RUN may or may not leave. */
	if (cut_at_pong) {
		cut_at_pong = false;
		pong_payload = true;
	}
	return err;
}

static int faulty_wait(void *ctx, unsigned timeout_ms)
{
	return broken ? -1 : inner->wait(ctx, timeout_ms);
}

static const struct mig_channel_ops faulty_ops = { faulty_send, faulty_recv, faulty_wait, NULL };

const struct mig_channel_ops *migrate_faults_channel(struct migrate_job *j,
						     const struct mig_channel_ops *real)
{
	static bool first_link_taken;
	bool first = !first_link_taken;

	first_link_taken = true;
	job = j;
	inner = real;
	broken = vm_started_sent = pong_payload = false;
	/* Each fault strikes the first link only; later links (a reconnection) are healthy. */
	end_after = first && hook(j, "end_after_vm_started");
	cut_after = end_after || (first && hook(j, "cut_after_vm_started"));
	lose = first && hook(j, "lose_vm_started");
	hold = first && hook(j, "hold_vm_started");
	cancel_at_pong = first && hook(j, "cancel_after_pong");
	cut_at_pong = first && hook(j, "cut_after_pong");
	return lose || cut_after || hold || cancel_at_pong || cut_at_pong ? &faulty_ops : real;
}
