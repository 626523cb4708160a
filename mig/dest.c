/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The destination end: checks HELLO, receives RAM, loads the device
 * package into shadow state and synchronizes it into the hardware context
 * *before* it answers PONG (shared/seeds: an acknowledged package must be
 * one this board can run), starts the VM on RUN and says so with VM_STARTED.
 */
#include <stdlib.h>
#include <string.h>

#include "hyp/format.h"
#include "mig/engine.h"
#include "mig/ram_codec.h"

struct dest {
	struct mig_vm *vm;
	struct mig_channel *ch;
	struct mig_report *rep;
	uint8_t *buf;
};

static void reply_text(struct dest *d, uint16_t type, const char *text)
{
	uint8_t msg[1 + 255];
	size_t n = strlen(text);

	if (n > 255)
		n = 255;
	msg[0] = (uint8_t)n;
	memcpy(msg + 1, text, n);
	mig_chan_send(d->ch, type, 0, msg, (uint32_t)(n + 1));
}

static enum mig_state fail(struct dest *d, const char *why)
{
	format_snprintf(d->rep->error, sizeof(d->rep->error), "%s", why);
	reply_text(d, MIG_REC_ERROR, why);
	return d->rep->state = MIG_FAILED;
}

static void write_page(void *ctx, uint64_t page, const void *data)
{
	struct dest *d = ctx;
	uint8_t *dst = d->vm->ops->page(d->vm->ctx, page);

	if (data)
		memcpy(dst, data, MIG_PAGE_SIZE);
	else
		memset(dst, 0, MIG_PAGE_SIZE);
}

static bool check_hello(struct dest *d, const struct mig_hello *local, unsigned timeout_ms)
{
	struct mig_record rec;
	struct mig_hello remote;
	uint32_t caps;

	if (mig_chan_recv(d->ch, d->buf, &rec, timeout_ms) || rec.type != MIG_REC_HELLO) {
		format_snprintf(d->rep->error, sizeof(d->rep->error), "no HELLO from the source");
		d->rep->state = MIG_FAILED;
		return false;
	}
	if (!mig_hello_get(&rec.payload, &remote, d->rep->error, sizeof(d->rep->error)) ||
	    !mig_hello_compatible(local, &remote, d->rep->error, sizeof(d->rep->error))) {
		reply_text(d, MIG_REC_REFUSE, d->rep->error);
		d->rep->state = MIG_FAILED;
		return false;
	}
	caps = local->capabilities & remote.capabilities;
	mig_chan_send(d->ch, MIG_REC_ACCEPT, 0, &caps, sizeof(caps));
	return true;
}

enum mig_state mig_dest_run(struct mig_vm *vm, struct mig_channel *ch,
			    const struct mig_hello *local, unsigned timeout_ms,
			    struct mig_report *rep)
{
	struct dest d = { .vm = vm, .ch = ch, .rep = rep };
	const struct mig_vm_ops *ops = vm->ops;
	bool loaded = false, synced = false, running = false;
	enum mig_state result = MIG_FAILED;

	memset(rep, 0, sizeof(*rep));
	rep->state = MIG_SETUP;
	d.buf = malloc(MIG_RECORD_MAX);
	if (!d.buf)
		return fail(&d, "out of memory for the migration buffer");
	if (!check_hello(&d, local, timeout_ms)) {
		result = rep->state;
		goto out;
	}
	rep->state = MIG_ACTIVE;
	for (;;) {
		struct mig_record rec;
		int err = mig_chan_recv(ch, d.buf, &rec, timeout_ms);

		if (err) {
			/* Before RUN the source resumes; after it, the VM runs here. */
			result = running ? (rep->state = MIG_COMPLETED)
					 : fail(&d, "link lost before RUN: this copy is discarded");
			goto out;
		}
		switch (rec.type) {
		case MIG_REC_RAM:
			if (running ||
			    !mig_ram_decode(&rec.payload, ops->page_count(vm->ctx), write_page, &d,
					    rep->error, sizeof(rep->error))) {
				result = fail(&d, running ? "RAM after RUN" : rep->error);
				goto out;
			}
			break;
		case MIG_REC_DEVICE_PACKAGE:
			rep->state = MIG_DEVICE;
			if (!ops->load_devices(vm->ctx, rec.payload.buf, rec.length, rep->error,
					       sizeof(rep->error))) {
				result = fail(&d, rep->error);
				goto out;
			}
			loaded = true;
			rep->dest_loaded_ns = ops->now_ns(vm->ctx);
			break;
		case MIG_REC_PING: {
			uint32_t id = mig_get_u32(&rec.payload);

			if (id == MIG_PING_PACKAGE_LOADED) {
				/* Synchronize into the hardware context before acknowledging. */
				if (!loaded ||
				    !ops->sync_devices(vm->ctx, rep->error, sizeof(rep->error))) {
					result =
						fail(&d, loaded ? rep->error
								: "PING before the device package");
					goto out;
				}
				synced = true;
				rep->dest_synced_ns = ops->now_ns(vm->ctx);
			}
			mig_chan_send(ch, MIG_REC_PONG, 0, &id, sizeof(id));
			break;
		}
		case MIG_REC_RUN: {
			uint8_t stamps[24];
			struct mig_writer w;

			if (!synced || !ops->start(vm->ctx)) {
				result = fail(&d, "RUN without a synchronized device state");
				goto out;
			}
			running = true;
			rep->dest_started_ns = ops->now_ns(vm->ctx);
			mig_writer_init(&w, stamps, sizeof(stamps));
			mig_put_u64(&w, rep->dest_loaded_ns);
			mig_put_u64(&w, rep->dest_synced_ns);
			mig_put_u64(&w, rep->dest_started_ns);
			mig_chan_send(ch, MIG_REC_VM_STARTED, 0, stamps, sizeof(stamps));
			break;
		}
		case MIG_REC_ROUND_END:
			break;
		case MIG_REC_END:
			result =
				running ? (rep->state = MIG_COMPLETED) : fail(&d, "END before RUN");
			goto out;
		case MIG_REC_CANCEL:
			if (running) {
				reply_text(&d, MIG_REC_ERROR, "cancel refused: the VM runs here");
				break;
			}
			rep->state = result = MIG_CANCELLED;
			goto out;
		default:
			result = fail(&d, "unexpected record on the migration stream");
			goto out;
		}
	}
out:
	free(d.buf);
	return result;
}
