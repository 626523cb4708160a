/* SPDX-License-Identifier: Apache-2.0 */
/**
 * Fuzzes both engines with a hostile peer: the first byte picks the side.
 * Even: the input is the stream a destination receives (HELLO, RAM,
 * discards, device package, PING, RUN, ...). Odd: the input is the return
 * path a source receives (ACCEPT, SWITCHOVER_ACK, PONG, VM_STARTED,
 * REQ_PAGES, RECV_BITMAP, STATUS, ...), the second byte picks precopy or
 * postcopy and whether to reconnect afterwards. Whatever comes, neither end
 * may crash, write outside the guest, or leave two running copies.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tests/support/fake_vm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PAGES 64

struct memory_link {
	const uint8_t *in;
	size_t len, pos;
};

static int mem_send(void *ctx, const void *buf, size_t len)
{
	(void)ctx;
	(void)buf;
	(void)len;
	return 0; /* what the engine says goes nowhere */
}

static int mem_recv(void *ctx, void *buf, size_t len, unsigned timeout_ms)
{
	struct memory_link *l = ctx;

	(void)timeout_ms;
	if (l->len - l->pos < len)
		return MIG_CHAN_BROKEN; /* the peer is gone when the input ends */
	memcpy(buf, l->in + l->pos, len);
	l->pos += len;
	return 0;
}

static int mem_wait(void *ctx, unsigned timeout_ms)
{
	struct memory_link *l = ctx;

	(void)timeout_ms;
	return l->pos < l->len ? 1 : -1;
}

static const struct mig_channel_ops memory_ops = { mem_send, mem_recv, mem_wait, NULL };

/* The guest's frames the source passes on: each must be a frame the VM could take. */
static void deliver(void *ctx, const uint8_t *frame, size_t len)
{
	(void)ctx;
	if (!len || len > MIG_FRAME_MAX)
		__builtin_trap();
	volatile uint8_t last = frame[len - 1]; /* ASan: all of it readable */

	(void)last;
}

static void drained(void *ctx) { (void)ctx; }

static const struct mig_frames_ops frames = { NULL, deliver, drained, NULL };

static void fuzz_destination(struct memory_link *l)
{
	static struct fake_vm vm;
	struct mig_vm mvm = { &fake_vm_ops, &vm };
	struct mig_channel ch = { &memory_ops, l };
	struct mig_hello local = fake_vm_hello(PAGES);
	struct mig_dest *d;

	local.capabilities |= MIG_CAP_PROTECT; /* it may be asked to be a standby */
	fake_vm_init(&vm, PAGES, false);
	vm.idle_skips = true; /* a lease waited out costs no time here */
	d = mig_dest_new(&mvm, &local, 1);
	if (d) {
		mig_dest_set_frames(d, &frames);
		mig_dest_serve(d, &ch);
		mig_dest_serve(d, &ch); /* what is left: a reconnection */
	}
	mig_dest_free(d);
	fake_vm_free(&vm);
}

static void fuzz_source(struct memory_link *l, uint8_t how)
{
	static struct fake_vm vm;
	struct mig_vm mvm = { &fake_vm_ops, &vm };
	struct mig_channel ch = { &memory_ops, l };
	struct mig_source_config cfg = {
		.hello = fake_vm_hello(PAGES),
		.precopy = { .downtime_limit_ns = UINT64_MAX, .max_rounds = 2 },
		.reply_timeout_ms = 1,
		.mode = how & 8	  ? MIG_MODE_PROTECT
			: how & 1 ? MIG_MODE_POSTCOPY
				  : MIG_MODE_PRECOPY,
		.postcopy_after_rounds = how >> 1 & 1,
		.protect = { .epoch_ns = 1000000, .lease_ns = 5000000, .fence_ns = 1000000 },
	};
	struct mig_source *s;

	fake_vm_init(&vm, PAGES, true);
	vm.idle_skips = true;
	s = mig_source_new(&mvm, &cfg);
	if (s) {
		enum mig_state st = mig_source_run(s, &ch);

		/* Before RUN the VM runs here; after it, never; fenced, never again. */
		if ((st == MIG_FAILED && !vm.running) || (st == MIG_FENCED && vm.running) ||
		    (st == MIG_CANCELLED && cfg.mode == MIG_MODE_PROTECT && !vm.running) ||
		    (mig_state_runs_on_destination(st) && vm.running) ||
		    (st == MIG_UNRESOLVED && vm.running))
			__builtin_trap();
		if (how & 4)
			mig_source_reconnect(s, &ch);
	}
	mig_source_free(s);
	fake_vm_free(&vm);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct memory_link l;

	if (size < 2)
		return 0;
	l = (struct memory_link){ .in = data + 2, .len = size - 2 };
	if (data[0] & 1)
		fuzz_source(&l, data[1]);
	else
		fuzz_destination(&l);
	return 0;
}
