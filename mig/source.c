/* SPDX-License-Identifier: Apache-2.0 */
/** The source end: HELLO, precopy rounds, the switchover (design section 5). */
#include <stdlib.h>
#include <string.h>

#include "hyp/format.h"
#include "mig/engine.h"
#include "mig/ram_codec.h"

struct source {
	struct mig_vm *vm;
	struct mig_channel *ch;
	const struct mig_source_config *cfg;
	struct mig_report *rep;
	uint64_t *bitmap;
	uint64_t pages;
	uint8_t *buf; /**< MIG_RECORD_MAX + header: one record at a time */
};

static enum mig_state fail(struct source *s, const char *why)
{
	format_snprintf(s->rep->error, sizeof(s->rep->error), "%s", why);
	return s->rep->state = MIG_FAILED;
}

/** Sends the pages set in the bitmap (clearing them); returns bytes sent or -1. */
static int64_t send_dirty(struct source *s)
{
	struct mig_ram_batch b;
	int64_t bytes = 0;

	mig_ram_batch_init(&b, s->buf, MIG_RECORD_MAX);
	for (uint64_t p = 0; p < s->pages; p++) {
		if (!(s->bitmap[p / 64] >> (p % 64) & 1))
			continue;
		s->bitmap[p / 64] &= ~(1ull << (p % 64));
		if (!mig_ram_batch_add(&b, p, s->vm->ops->page(s->vm->ctx, p))) {
			mig_ram_batch_finish(&b);
			if (mig_chan_send(s->ch, MIG_REC_RAM, 0, b.w.buf, (uint32_t)b.w.len))
				return -1;
			bytes += (int64_t)(b.w.len + MIG_RECORD_HEADER_SIZE);
			s->rep->zero_pages += b.zero_count;
			mig_ram_batch_init(&b, s->buf, MIG_RECORD_MAX);
			mig_ram_batch_add(&b, p, s->vm->ops->page(s->vm->ctx, p));
		}
		s->rep->pages_sent++;
	}
	if (b.count) {
		mig_ram_batch_finish(&b);
		if (mig_chan_send(s->ch, MIG_REC_RAM, 0, b.w.buf, (uint32_t)b.w.len))
			return -1;
		bytes += (int64_t)(b.w.len + MIG_RECORD_HEADER_SIZE);
		s->rep->zero_pages += b.zero_count;
	}
	s->rep->bytes_sent += (uint64_t)bytes;
	return bytes;
}

static uint64_t count_bits(const uint64_t *bm, uint64_t pages)
{
	uint64_t n = 0;

	for (uint64_t i = 0; i < (pages + 63) / 64; i++)
		n += (uint64_t)__builtin_popcountll(bm[i]);
	return n;
}

static int hello(struct source *s)
{
	struct mig_writer w;
	struct mig_record rec;

	mig_writer_init(&w, s->buf, MIG_RECORD_MAX);
	mig_hello_put(&w, &s->cfg->hello);
	if (mig_chan_send(s->ch, MIG_REC_HELLO, 0, w.buf, (uint32_t)w.len) ||
	    mig_chan_recv(s->ch, s->buf, &rec, s->cfg->reply_timeout_ms)) {
		fail(s, "the destination did not answer HELLO");
		return -1;
	}
	if (rec.type == MIG_REC_REFUSE) {
		char why[128] = "";
		uint8_t n = mig_get_u8(&rec.payload);

		mig_get_bytes(&rec.payload, why, n < sizeof(why) ? n : sizeof(why) - 1);
		format_snprintf(s->rep->error, sizeof(s->rep->error),
				"refused by the destination: %s", why);
		s->rep->state = MIG_FAILED;
		return -1;
	}
	if (rec.type != MIG_REC_ACCEPT) {
		fail(s, "the destination answered HELLO with something else than ACCEPT");
		return -1;
	}
	return 0;
}

/** Waits for a return-path record of `want` type; anything else is a failure. */
static int expect(struct source *s, uint16_t want, struct mig_record *rec)
{
	int err = mig_chan_recv(s->ch, s->buf, rec, s->cfg->reply_timeout_ms);

	if (err)
		return err;
	return rec->type == want ? 0 : MIG_CHAN_BAD;
}

static enum mig_state switchover(struct source *s, uint64_t t_start)
{
	const struct mig_vm_ops *vm = s->vm->ops;
	struct mig_record rec;
	uint32_t ping = MIG_PING_PACKAGE_LOADED;
	uint64_t t_stop;
	size_t dev;

	vm->stop(s->vm->ctx); /* the downtime starts */
	t_stop = vm->now_ns(s->vm->ctx);
	s->rep->state = MIG_DEVICE;
	vm->dirty_collect(s->vm->ctx, s->bitmap);
	vm->dirty_stop(s->vm->ctx);
	if (send_dirty(s) < 0)
		goto resume;
	dev = vm->save_devices(s->vm->ctx, s->buf, MIG_RECORD_MAX);
	if (!dev || mig_chan_send(s->ch, MIG_REC_DEVICE_PACKAGE, 0, s->buf, (uint32_t)dev) ||
	    mig_chan_send(s->ch, MIG_REC_PING, 0, &ping, sizeof(ping)))
		goto resume;
	s->rep->bytes_sent += dev;
	/* PONG(PACKAGE_LOADED): the destination loaded *and* synchronized the state. */
	if (expect(s, MIG_REC_PONG, &rec) || mig_get_u32(&rec.payload) != ping)
		goto resume;
	if (mig_chan_send(s->ch, MIG_REC_RUN, 0, NULL, 0)) {
		/* RUN may or may not have arrived: from here on, never resume. */
		s->rep->state = MIG_UNRESOLVED;
		format_snprintf(s->rep->error, sizeof(s->rep->error),
				"link lost while sending RUN: the VM stays stopped until resolved");
		return MIG_UNRESOLVED;
	}
	s->rep->state = MIG_UNRESOLVED;
	if (expect(s, MIG_REC_VM_STARTED, &rec)) {
		format_snprintf(s->rep->error, sizeof(s->rep->error),
				"no VM_STARTED after RUN: the VM stays stopped until resolved");
		return MIG_UNRESOLVED;
	}
	s->rep->downtime_ns = vm->now_ns(s->vm->ctx) - t_stop; /* the downtime ends */
	s->rep->dest_loaded_ns = mig_get_u64(&rec.payload);
	s->rep->dest_synced_ns = mig_get_u64(&rec.payload);
	s->rep->dest_started_ns = mig_get_u64(&rec.payload);
	mig_chan_send(s->ch, MIG_REC_END, 0, NULL, 0);
	s->rep->total_ns = vm->now_ns(s->vm->ctx) - t_start;
	return s->rep->state = MIG_COMPLETED;

resume:
	/* Before RUN nothing is lost: the VM goes on here. */
	vm->resume(s->vm->ctx);
	return fail(s, "the destination did not confirm the device state: the VM resumed here");
}

enum mig_state mig_source_run(struct mig_vm *vm, struct mig_channel *ch,
			      const struct mig_source_config *cfg, struct mig_report *rep)
{
	struct source s = { .vm = vm, .ch = ch, .cfg = cfg, .rep = rep };
	struct mig_precopy_state pre = { 0 };
	enum mig_state result;
	uint64_t t_start;

	memset(rep, 0, sizeof(*rep));
	rep->state = MIG_SETUP;
	s.pages = vm->ops->page_count(vm->ctx);
	s.bitmap = calloc((s.pages + 63) / 64, sizeof(uint64_t));
	s.buf = malloc(MIG_RECORD_MAX);
	if (!s.bitmap || !s.buf) {
		free(s.bitmap);
		free(s.buf);
		return fail(&s, "out of memory for the migration buffers");
	}
	t_start = vm->ops->now_ns(vm->ctx);
	if (hello(&s)) {
		result = rep->state;
		goto out;
	}
	rep->state = MIG_ACTIVE;
	vm->ops->dirty_start(vm->ctx);
	/* The first round is all of RAM. */
	memset(s.bitmap, 0xff, (s.pages + 63) / 64 * sizeof(uint64_t));
	if (s.pages % 64)
		s.bitmap[s.pages / 64] = (1ull << (s.pages % 64)) - 1;
	for (;;) {
		uint64_t t0 = vm->ops->now_ns(vm->ctx);
		int64_t bytes = send_dirty(&s);
		struct mig_round round;
		enum mig_precopy_decision d;

		if (bytes < 0) {
			vm->ops->dirty_stop(vm->ctx);
			result = fail(&s, "link lost during precopy: the VM runs on here");
			goto out;
		}
		vm->ops->dirty_collect(vm->ctx, s.bitmap);
		round = (struct mig_round){ .bytes = (uint64_t)bytes,
					    .ns = vm->ops->now_ns(vm->ctx) - t0,
					    .dirty_pages = count_bits(s.bitmap, s.pages) };
		d = mig_precopy_decide(&pre, &cfg->precopy, &round);
		rep->rounds = pre.rounds;
		rep->expected_downtime_ns = pre.expected_downtime_ns;
		if (d == MIG_SWITCH_OVER)
			break;
		if (d == MIG_GIVE_UP) {
			vm->ops->dirty_stop(vm->ctx);
			result =
				fail(&s, "precopy did not converge: given up, the VM runs on here");
			goto out;
		}
	}
	result = switchover(&s, t_start);
out:
	free(s.bitmap);
	free(s.buf);
	return result;
}

const char *mig_state_name(enum mig_state st)
{
	static const char *const names[] = { "setup",	  "active", "device",	"unresolved",
					     "completed", "failed", "cancelled" };

	return (unsigned)st < sizeof(names) / sizeof(names[0]) ? names[st] : "unknown";
}
