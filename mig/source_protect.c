/* SPDX-License-Identifier: Apache-2.0 */
/**
 * Protection on the primary (docs/protection.md): once precopy made the
 * standby's copy whole but for what the guest writes, a checkpoint every
 * epoch. The VM stands only while its checkpoint is laid out (the pages it
 * wrote since the last, as their changes, and its device package); it runs
 * on while the checkpoint crosses the link. Each checkpoint is a message
 * of the lease rule (mig/lease.h): its acknowledgement renews the lease,
 * and the VM stops itself for good at the lease's end (mig_vm_ops.
 * lease_until), whatever this CPU is doing then.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/format.h"
#include "mig/page_sets.h"
#include "mig/ram_codec.h"
#include "mig/source_internal.h"

/** A checkpoint laid out while the VM stands: RAM records, the package, the end. */
#define MIG_CKPT_BUF_BYTES (2u * MIG_RECORD_MAX)
/*
 * The lines of the checkpoints not yet acknowledged (and the last
 * acknowledged one's): within a lease at most lease / epoch of them go
 * unacknowledged, and two more; room for that many full checkpoints' lines,
 * up to UNACKED_EPOCHS_MAX of them (beyond, the oldest go: a lease of more
 * than 62 epochs).
 */
#define UNACKED_HEADER 10u /* u64 epoch, u16 length */
/* The fewest pages an epoch the pace lets the guest write (protect_pace). */
#define PROTECT_LEAST_PAGES 16u
/*
 * A send this large times the link (send_rate): its time is mostly the
 * link's rate, not a round trip (some 3 ms at the emulated link's 40 MB/s).
 */
#define PROTECT_RATE_SAMPLE_BYTES (128u * 1024u)
/*
 * The fewest pages a checkpoint is bounded to: a checkpoint that large is
 * timed, so the bound can always rise again. Timing smaller ones instead
 * measured their round trips: at 10 ms epochs the bound fell to 16 pages
 * (the link timed at 1.3 MB/s) and the guest crawled.
 */
#define PROTECT_LEAST_BOUND (PROTECT_RATE_SAMPLE_BYTES / MIG_PAGE_WIRE_BYTES + 1)
/* How long a CANCEL to a standby that may be gone may wait for the link. */
#define CANCEL_STALL_MS	    100u
#define UNACKED_EPOCHS_MAX  64u
#define UNACKED_EPOCH_BYTES (MIG_OUTPUT_MAX + UNACKED_HEADER)

/*
 * Hot pages: a page the guest wrote in two checkpoints in a row is left
 * writable, and goes in every checkpoint, written or not (unchanged, it
 * goes as no changed words), without the stage-2 fault each write after
 * each checkpoint's arming costs, and the emulated board's flush of the
 * guest's TLB at each arming (measured: the bench's guest, rewriting 64
 * pages every 20 ms epoch, ran 0.87 of a host core, and lost as much again
 * inside it). At most PROTECT_HOT_MAX of them (each checkpoint carries
 * them all, beyond the checkpoint bound); every PROTECT_HOT_COOL_EPOCHS
 * they are armed again, to see which still are.
 */
#define PROTECT_HOT_MAX		256u
#define PROTECT_HOT_COOL_EPOCHS 32u

/*
 * While the VM stands, after the collection into s->bitmap: the hot pages
 * join it, and s->arm gets the pages to arm (those collected that are not
 * hot; at a cooling epoch the hot ones too, and none is hot any more).
 */
static void heat(struct mig_source *s, uint64_t epoch)
{
	uint64_t words = mig_bitmap_words(s->pages);
	bool cool = epoch % PROTECT_HOT_COOL_EPOCHS == 0;

	for (uint64_t w = 0; w < words; w++) {
		uint64_t now = s->bitmap[w], again = now & s->prev[w] & ~s->hot[w];

		s->prev[w] = now;
		while (again && s->hot_count < PROTECT_HOT_MAX && !cool) {
			s->hot[w] |= again & -again; /* the lowest page first */
			again &= again - 1;
			s->hot_count++;
		}
		s->bitmap[w] = now | s->hot[w];
		s->arm[w] = cool ? s->bitmap[w] : now & ~s->hot[w];
		if (cool)
			s->hot[w] = 0;
	}
	if (s->hot_count > s->rep.epoch_hot_max)
		s->rep.epoch_hot_max = s->hot_count;
	if (cool)
		s->hot_count = 0;
}

/*
 * The pages to arm (s->arm) are armed before the VM goes on (it stands
 * now: nothing is written in between), a span of words at a time, spans
 * with no page skipped: a write from then on is logged for the next
 * checkpoint.
 */
static void arm_collected(struct mig_source *s)
{
	uint64_t words = mig_bitmap_words(s->pages);

	for (uint64_t w = 0; w < words; w += 8) {
		uint64_t n = words - w < 8 ? words - w : 8, any = 0;

		for (uint64_t i = 0; i < n; i++)
			any |= s->arm[w + i];
		if (any)
			s->ops->arm_for_copy(s->vm->ctx, w, s->arm + w, n);
	}
}

/* EPOCH (mig/record.h): its message number after the session. */
#define EPOCH_SEQ_AT 8u

/* The EPOCH the standby reads: with the epoch and the flag to protect again, or the first form. */
static uint32_t epoch_bytes(const struct mig_source *s)
{
	return s->caps & MIG_CAP_PROTECT_AGAIN ? MIG_EPOCH_BYTES : MIG_EPOCH_V1_BYTES;
}

/*
 * The checkpoint at buf is numbered as it leaves (its acknowledgement
 * renews the lease from here), saying whether the lease is held now.
 */
static void number(struct mig_source *s, uint8_t *buf)
{
	uint64_t seq = lease_primary_send(&s->lease, s->ops->now_ns(s->vm->ctx));
	uint8_t *flags = buf + MIG_RECORD_HEADER_SIZE + epoch_bytes(s) - 1;
	struct mig_writer w;

	mig_writer_init(&w, buf + MIG_RECORD_HEADER_SIZE + EPOCH_SEQ_AT, 8);
	mig_put_u64(&w, seq);
	*flags = s->cfg.protect.reprotect && epoch_bytes(s) == MIG_EPOCH_BYTES ? MIG_EPOCH_REPROTECT
									       : 0;
	if (s->cfg.protect.manual) { /* never a lease: only a supervisor's word runs the standby */
		*flags |= MIG_EPOCH_MANUAL;
		return;
	}
	if (s->lease.leased)
		*flags |= MIG_EPOCH_LEASED;
	if (s->lease.leased && !s->told_leased) {
		/* The standby may hear it: the VM stops itself at the lease's end from now. */
		s->told_leased = true;
		s->leased_seq = seq;
		s->ops->lease_until(s->vm->ctx, s->lease.expires_ns);
	}
}

/* Fencing is owed once the standby may have heard of the lease, and is due at its end. */
static bool must_fence(struct mig_source *s)
{
	return s->told_leased && (lease_primary_must_fence(&s->lease, s->ops->now_ns(s->vm->ctx)) ||
				  s->ops->fenced(s->vm->ctx));
}

/*
 * The VM goes on after its checkpoint's pause, unless its lease ended
 * meanwhile (a checkpoint sent in parts can take that long): it then stands
 * (false). Past the deadline the VM's own guard keeps it stopped anyway.
 */
static bool go_on(struct mig_source *s)
{
	if (must_fence(s))
		return false;
	s->ops->resume(s->vm->ctx);
	return true;
}

static size_t lay_out_epoch(struct mig_source *s, uint8_t *at, uint64_t epoch)
{
	struct mig_writer w;

	mig_chan_header(at, MIG_REC_EPOCH, 0, epoch_bytes(s));
	mig_writer_init(&w, at + MIG_RECORD_HEADER_SIZE, epoch_bytes(s));
	mig_put_u64(&w, s->lease.session);
	mig_put_u64(&w, 0); /* its number, given when it is sent */
	mig_put_u64(&w, epoch);
	mig_put_u64(&w, s->cfg.protect.lease_ns);
	mig_put_u64(&w, s->cfg.protect.fence_ns);
	if (epoch_bytes(s) == MIG_EPOCH_BYTES)
		mig_put_u64(&w, s->cfg.protect.epoch_ns);
	mig_put_u8(&w, 0);
	return MIG_RECORD_HEADER_SIZE + epoch_bytes(s);
}

/* Drops the kept lines of epochs up to `epoch` (acknowledged, or to make room: the oldest). */
static void forget_unacked(struct mig_source *s, uint64_t epoch)
{
	size_t at = 0;

	while (at < s->unacked_len) {
		struct mig_reader r;

		mig_reader_init(&r, s->unacked + at, UNACKED_HEADER);
		if (mig_get_u64(&r) > epoch)
			break;
		at += UNACKED_HEADER + mig_get_u16(&r);
	}
	memmove(s->unacked, s->unacked + at, s->unacked_len - at);
	s->unacked_len -= at;
}

static void keep_unacked(struct mig_source *s, uint64_t epoch, const uint8_t *lines, size_t n)
{
	struct mig_writer w;

	while (s->unacked_len && s->unacked_size - s->unacked_len < UNACKED_HEADER + n) {
		struct mig_reader r;

		mig_reader_init(&r, s->unacked, 8);
		forget_unacked(s, mig_get_u64(&r));
	}
	mig_writer_init(&w, s->unacked + s->unacked_len, UNACKED_HEADER + n);
	mig_put_u64(&w, epoch);
	mig_put_u16(&w, (uint16_t)n);
	mig_put_bytes(&w, lines, n);
	s->unacked_len += UNACKED_HEADER + n;
}

/*
 * The standby is lost and the VM goes on here: the lines of the checkpoints
 * it never acknowledged, and of the last it did, are shown here, the oldest
 * first, then those held since (a standby that showed some before it was
 * lost: they show twice rather than never).
 */
static void show_unacked(struct mig_source *s)
{
	for (size_t at = 0; at < s->unacked_len;) {
		struct mig_reader r;
		size_t n;

		mig_reader_init(&r, s->unacked + at, UNACKED_HEADER);
		mig_get_u64(&r);
		n = mig_get_u16(&r);
		if (s->ops->output_show)
			s->ops->output_show(s->vm->ctx, s->unacked + at + UNACKED_HEADER, n);
		at += UNACKED_HEADER + n;
	}
	s->unacked_len = 0;
}

/*
 * The console lines the guest printed since the last checkpoint, as an
 * OUTPUT record at `at` (the VM stands: nothing is printed meanwhile); its
 * bytes, 0 when there were none.
 */
static size_t take_output(struct mig_source *s, uint8_t *at)
{
	size_t n;

	if (!s->ops->output_take)
		return 0;
	n = s->ops->output_take(s->vm->ctx, at + MIG_RECORD_HEADER_SIZE, MIG_OUTPUT_MAX);
	if (!n)
		return 0;
	keep_unacked(s, s->rep.epochs_sent + 1, at + MIG_RECORD_HEADER_SIZE, n);
	mig_chan_header(at, MIG_REC_OUTPUT, 0, (uint32_t)n);
	s->rep.bytes_sent += MIG_RECORD_HEADER_SIZE + n;
	return MIG_RECORD_HEADER_SIZE + n;
}

/*
 * What the guest prints from now on: held, shown (after the lines the
 * standby never acknowledged), or what was held dropped.
 */
static void output(struct mig_source *s, enum mig_output what)
{
	const struct mig_frames_ops *f = s->cfg.frames;

	if (what == MIG_OUTPUT_SHOW)
		show_unacked(s);
	if (what == MIG_OUTPUT_DROP)
		s->unacked_len = 0;
	if (s->ops->output)
		s->ops->output(s->vm->ctx, what);
	if (f && f->hold)
		f->hold(f->ctx, what);
}

/*
 * While the VM stands for checkpoint epoch: the frames it sent so far are
 * covered by it, and leave once the standby acknowledges it (frame_release).
 */
static void frame_cut(struct mig_source *s, uint64_t epoch)
{
	const struct mig_frames_ops *f = s->cfg.frames;

	unsigned at;

	if (!f || !f->cut)
		return;
	if (s->marks_head - s->marks_tail == MIG_FRAME_MARKS)
		at = (s->marks_head - 1) % MIG_FRAME_MARKS; /* the newest: it stands for both */
	else
		at = s->marks_head++ % MIG_FRAME_MARKS;
	s->frame_marks[at].epoch = epoch;
	s->frame_marks[at].mark = f->cut(f->ctx);
}

/*
 * Checkpoint epoch is committed on the standby: its frames leave (the
 * standby's copy knows they were sent; should it take over, it never
 * sends them again). A network frame leaves once, or, with the primary
 * dying before this, never: a loss the network's protocols recover from.
 */
static void frame_release(struct mig_source *s, uint64_t epoch)
{
	const struct mig_frames_ops *f = s->cfg.frames;

	bool any = false;
	uint64_t mark = 0;

	if (!f || !f->release)
		return;
	/* Acknowledged in order: every checkpoint up to epoch is committed there. */
	while (s->marks_tail != s->marks_head &&
	       s->frame_marks[s->marks_tail % MIG_FRAME_MARKS].epoch <= epoch) {
		mark = s->frame_marks[s->marks_tail++ % MIG_FRAME_MARKS].mark;
		any = true;
	}
	if (any)
		f->release(f->ctx, mark);
}

/*
 * A checkpoint's send is broken once nothing moved for the lease: by then no
 * acknowledgement can renew it (auto: the VM stands at its end anyway;
 * manual: the standby is lost, the VM goes on unprotected at once rather
 * than after the link's own, longer, bound).
 */
static unsigned stall_ms(const struct mig_source *s)
{
	uint64_t ms = s->cfg.protect.lease_ns / 1000000u;

	return ms ? (unsigned)ms : 1u;
}

/*
 * What the guest may write while protected, in pages a second, at most:
 * half what the standby keeps aside would take whole, an epoch (a
 * checkpoint larger than that is refused there, and the standby takes
 * over).
 */
static uint64_t least_pps(const struct mig_source *s);

static uint64_t stage_pps(const struct mig_source *s)
{
	uint64_t pps = MIG_CKPT_STAGE_BYTES / 2 / MIG_PAGE_WIRE_BYTES * MIG_NS_PER_S /
		       s->cfg.protect.epoch_ns;

	return pps > least_pps(s) ? pps : least_pps(s); /* never 0: that lifts the throttle */
}

/* And at least PROTECT_LEAST_PAGES each epoch. */
static uint64_t least_pps(const struct mig_source *s)
{
	return PROTECT_LEAST_PAGES * MIG_NS_PER_S / s->cfg.protect.epoch_ns + 1;
}

/*
 * The pages one checkpoint may carry: as many as leave in a quarter of the
 * lease at the rate checkpoints left at lately. The pace (protect_pace)
 * spreads the guest's writes over time, and may grow far past the link
 * while the guest writes little; a burst then made a checkpoint of 2 MB
 * whose send, on a busy emulated host, outlasted the lease (seen: 500
 * pages sent in 190 ms, and the healthy pair failed over). Bounded, a send
 * leaves three quarters of the lease for the host's stalls; a guest that
 * reaches the bound waits in its write fault for the next checkpoint.
 */
static void bound_checkpoints(struct mig_source *s)
{
	uint64_t pages = (uint64_t)((unsigned __int128)s->send_rate * s->cfg.protect.lease_ns / 4 /
				    MIG_NS_PER_S / MIG_PAGE_WIRE_BYTES);
	uint64_t most = MIG_CKPT_STAGE_BYTES / 2 / MIG_PAGE_WIRE_BYTES;

	if (!s->send_rate)
		pages = most; /* no checkpoint timed yet: none was large enough to need it */
	pages = pages < PROTECT_LEAST_BOUND ? PROTECT_LEAST_BOUND : pages > most ? most : pages;
	s->rep.epoch_pages_bound = pages;
	if (s->ops->throttle_collection)
		s->ops->throttle_collection(s->vm->ctx, pages);
}

/*
 * A checkpoint of `bytes` left in `ns`: the first such sets the rate; then
 * it goes half way down to a slower send at once (a slow send is what fails
 * a pair over), and an eighth of the way up to a faster one.
 */
static void measure_send(struct mig_source *s, size_t bytes, uint64_t ns)
{
	uint64_t rate;

	if (bytes < PROTECT_RATE_SAMPLE_BYTES || !ns)
		return;
	rate = (uint64_t)((unsigned __int128)bytes * MIG_NS_PER_S / ns);
	if (!s->send_rate)
		s->send_rate = rate;
	else if (rate < s->send_rate)
		s->send_rate = (s->send_rate + rate) / 2;
	else
		s->send_rate += (rate - s->send_rate) / 8;
	bound_checkpoints(s);
}

/*
 * Precopy's throttle lifted; in its place what the guest may write: from
 * half the link's rate as precopy measured it (the stage's bound at most),
 * then as the acknowledgements say (protect_pace).
 */
static void protect_throttle(struct mig_source *s)
{
	uint64_t pps = s->pre.bandwidth / 2 / MIG_PAGE_WIRE_BYTES;

	s->pace_pps = pps < least_pps(s) ? least_pps(s) : pps > stage_pps(s) ? stage_pps(s) : pps;
	s->pace_cut_seq = 0;
	s->rep.epoch_pace_pps = s->pace_pps;
	s->ops->throttle(s->vm->ctx, s->pace_pps);
	/*
	 * Unbounded until a checkpoint of 128 KiB was timed. Precopy's rate is
	 * no guide: it is a stream's (checkpoints go in bursts, behind their
	 * pauses and the standby's commits: on the emulated boards they left
	 * at a third of it), and of a guest mostly of zeroes, or of pages sent
	 * as the words that changed, it times the scan, not the link (the
	 * bench's guest: a bound of 32 pages, and it crawled).
	 */
	s->send_rate = 0;
	bound_checkpoints(s);
}

/*
 * A checkpoint acknowledged `ns` after it went: a guest writing faster
 * than the link carries has its checkpoints queue, their acknowledgements
 * come later and later, and the lease end: a healthy pair failing over.
 * What it may write halves when an acknowledgement took over a quarter of
 * the lease, and grows by an eighth when one took under an eighth (a
 * link's stall, or a rate measured low, is outgrown within a second at
 * 20 ms epochs).
 */
static void protect_pace(struct mig_source *s, uint64_t seq, uint64_t ns)
{
	uint64_t pps = s->pace_pps;

	/*
	 * Once per slowdown: the messages sent before the last cut come late
	 * behind the same stall, and a stall the guest did not cause is not
	 * cured by halving again.
	 */
	if (ns > s->cfg.protect.lease_ns / 4) {
		if (seq <= s->pace_cut_seq)
			return;
		pps = pps / 2 > least_pps(s) ? pps / 2 : least_pps(s);
		s->pace_cut_seq = s->lease.next_seq - 1;
	} else if (ns < s->cfg.protect.lease_ns / 8)
		pps = pps + pps / 8 + 1 < stage_pps(s) ? pps + pps / 8 + 1 : stage_pps(s);
	if (pps != s->pace_pps) {
		s->pace_pps = s->rep.epoch_pace_pps = pps;
		s->ops->throttle(s->vm->ctx, pps);
	}
}

/*
 * One checkpoint: the VM stands while its pages and package are laid out,
 * goes on, and the checkpoint is sent. A checkpoint bigger than the buffer
 * is sent in parts while the VM still stands (its pause grows: reported).
 * 0, or -1 when the link broke or the package could not be saved.
 */
static int checkpoint(struct mig_source *s)
{
	const struct mig_vm_ops *ops = s->ops;
	uint64_t epoch = s->rep.epochs_sent + 1, t0, pause, pages;
	struct mig_writer w;
	size_t len, dev;
	struct mig_laid_out l;
	bool first = true;

	ops->stop(s->vm->ctx);
	t0 = ops->now_ns(s->vm->ctx);
	ops->dirty_collect(s->vm->ctx, s->bitmap);
	heat(s, epoch);
	arm_collected(s);
	pages = mig_bitmap_count(s->bitmap, s->pages);
	s->rep.epoch_pages += pages;
	if (pages > s->rep.epoch_pages_max)
		s->rep.epoch_pages_max = pages;
	mig_source_rewind(s);
	len = lay_out_epoch(s, s->ckpt, epoch);
	len += take_output(s, s->ckpt + len);
	frame_cut(s, epoch);
	for (;;) {
		while (MIG_CKPT_BUF_BYTES - len >= MIG_RECORD_HEADER_SIZE + MIG_RAM_BATCH_BYTES &&
		       mig_source_lay_out_batch(s, s->ckpt + len, MIG_BATCH_FULL, &l)) {
			mig_source_count_sent(s, &l);
			len += l.bytes;
		}
		if (MIG_CKPT_BUF_BYTES - len >= MIG_RECORD_MAX || s->cursor >= s->pages)
			break;
		/* More pages than the buffer holds: this part goes now, the VM standing. */
		if (first)
			number(s, s->ckpt);
		first = false;
		if (mig_chan_send_laid_out_within(s->ch, s->ckpt, len, stall_ms(s))) {
			go_on(s);
			return -1;
		}
		len = 0;
		if (must_fence(s))
			return -1; /* it stands: the caller fences */
	}
	dev = ops->save_devices(s->vm->ctx, s->rep.stream_format,
				s->ckpt + len + MIG_RECORD_HEADER_SIZE,
				MIG_CKPT_BUF_BYTES - len - 2 * MIG_RECORD_HEADER_SIZE - 8);
	if (!go_on(s))
		return -1;
	pause = ops->now_ns(s->vm->ctx) - t0;
	s->rep.epoch_pause_total_ns += pause;
	if (pause > s->rep.epoch_pause_max_ns)
		s->rep.epoch_pause_max_ns = pause;
	if (!dev) {
		format_snprintf(s->rep.error, sizeof(s->rep.error),
				"the device package did not fit a checkpoint");
		return -1;
	}
	mig_chan_header(s->ckpt + len, MIG_REC_DEVICE_PACKAGE, 0, (uint32_t)dev);
	len += MIG_RECORD_HEADER_SIZE + dev;
	mig_chan_header(s->ckpt + len, MIG_REC_EPOCH_END, 0, 8);
	mig_writer_init(&w, s->ckpt + len + MIG_RECORD_HEADER_SIZE, 8);
	mig_put_u64(&w, epoch);
	len += MIG_RECORD_HEADER_SIZE + 8;
	if (first)
		number(s, s->ckpt);
	t0 = ops->now_ns(s->vm->ctx);
	if (mig_chan_send_laid_out_within(s->ch, s->ckpt, len, stall_ms(s)))
		return -1;
	t0 = ops->now_ns(s->vm->ctx) - t0;
	measure_send(s, len, t0);
	if (t0 > s->rep.epoch_send_max_ns) {
		s->rep.epoch_send_max_ns = t0;
		s->rep.epoch_send_max_at = epoch;
		s->rep.epoch_send_max_pages = pages;
	}
	s->rep.epochs_sent = epoch;
	/* Its RAM records were counted as laid out. */
	s->rep.bytes_sent += 3 * MIG_RECORD_HEADER_SIZE + epoch_bytes(s) + dev + 8;
	return 0;
}

/*
 * The protection holds once the standby acknowledged a checkpoint it may
 * run: one that told it of the lease (auto), or any (manual: it runs one on
 * the supervisor's word). Only then is it announced (the progress report
 * with MIG_PROTECTED): before, a primary lost leaves nothing to take over.
 */
static void announce_protected(struct mig_source *s, uint64_t acked_seq)
{
	if (s->announced ||
	    (!s->cfg.protect.manual && (!s->told_leased || acked_seq < s->leased_seq)))
		return;
	s->announced = true;
	mig_source_progress(s);
}

int mig_source_protect_reply(struct mig_source *s, struct mig_record *rec)
{
	uint64_t session = mig_get_u64(&rec->payload);

	if (rec->type == MIG_REC_RELEASED) {
		if (rec->length != 8 || session != s->lease.session)
			goto malformed;
		s->released = true;
		return 0;
	} else {
		uint64_t seq = mig_get_u64(&rec->payload), epoch = mig_get_u64(&rec->payload);
		bool taken;

		if (rec->length != MIG_EPOCH_ACK_BYTES || epoch > s->rep.epochs_sent)
			goto malformed;
		taken = lease_primary_ack(&s->lease, session, seq, s->ops->now_ns(s->vm->ctx));
		/*
		 * How long this message took to be acknowledged: once a message, the
		 * first time (a replayed acknowledgement neither counts again in the
		 * report nor paces the guest again).
		 */
		if (taken && seq > s->timed_seq) {
			uint64_t wait = s->ops->now_ns(s->vm->ctx) -
					s->lease.sent[seq % LEASE_WINDOW].sent_ns;

			s->rep.ack_wait_total_ns += wait;
			s->rep.epoch_acks++;
			if (wait > s->rep.ack_wait_max_ns)
				s->rep.ack_wait_max_ns = wait;
			s->timed_seq = seq;
			protect_pace(s, seq, wait);
		}
		if (taken && s->told_leased)
			s->ops->lease_until(s->vm->ctx, s->lease.expires_ns);
		announce_protected(s, seq);
		if (epoch > s->rep.epochs_acked)
			s->rep.epochs_acked = epoch;
		if (taken)
			s->rep.last_ack_ns = s->ops->now_ns(s->vm->ctx);
		/*
		 * Committed there, and shown there right after this acknowledgement
		 * left: epoch's own lines only once the next one is acknowledged
		 * (the standby shows them before it can commit that one), so that
		 * a standby lost in between leaves them shown twice, not never.
		 */
		if (epoch)
			forget_unacked(s, epoch - 1);
		if (taken) /* an acknowledgement of this session's, in time */
			frame_release(s, epoch);
		return 0;
	}
malformed:
	format_snprintf(s->rep.error, sizeof(s->rep.error), "malformed %s",
			mig_record_name(rec->type));
	return -1;
}

/* The lease ended: the VM stands for good here (it may have stopped itself already). */
static enum mig_state fence(struct mig_source *s)
{
	s->ops->stop(s->vm->ctx);
	/*
	 * Its lines stay held: the standby's copy prints them again if it runs;
	 * a supervisor who says the standby is dead shows them here
	 * (mig_source_unfence). A board that ends the VM drops them with it.
	 */
	s->ops->dirty_stop(s->vm->ctx);
	format_snprintf(
		s->rep.error, sizeof(s->rep.error),
		"lease ended (%llu of %llu checkpoints acknowledged, the last %llu ms "
		"ago): the VM is stopped here for good; the standby runs it if it took "
		"over",
		(unsigned long long)s->rep.epochs_acked, (unsigned long long)s->rep.epochs_sent,
		(unsigned long long)((s->ops->now_ns(s->vm->ctx) - s->rep.last_ack_ns) / 1000000u));
	return s->rep.state = MIG_FENCED;
}

/*
 * takeover=manual, the standby lost to this primary (no acknowledgement for
 * a lease, a send stuck as long): should it be alive, it is to drop its
 * copy rather than wait for a supervisor with a stale one while the VM runs
 * on here. A CANCEL, if the link still takes it (briefly: it may be gone).
 */
static void tell_standby_to_drop(struct mig_source *s)
{
	uint8_t cancel[MIG_RECORD_HEADER_SIZE];

	mig_chan_header(cancel, MIG_REC_CANCEL, 0, 0);
	(void)mig_chan_send_laid_out_within(s->ch, cancel, sizeof(cancel), CANCEL_STALL_MS);
}

bool mig_source_unfence(struct mig_source *s)
{
	output(s, MIG_OUTPUT_SHOW); /* before its vCPUs may go on: no newer line first */
	s->ops->lease_until(s->vm->ctx, 0);
	s->ops->resume(s->vm->ctx);
	format_snprintf(s->rep.error, sizeof(s->rep.error),
			"resolved by the supervisor: the standby is gone and never ran the VM; "
			"it runs on here, unprotected");
	s->rep.state = MIG_FAILED;
	return true;
}

/*
 * The link is gone. Without a lease the standby can never run the VM (it
 * runs nothing until told the primary holds one): it goes on here,
 * unprotected. With one, the standby may take over once it ends: the VM
 * runs on here until then, and stops for good.
 */
static enum mig_state link_gone(struct mig_source *s)
{
	const struct mig_vm_ops *ops = s->ops;

	if (!s->told_leased) {
		if (s->cfg.protect.manual)
			tell_standby_to_drop(s);
		ops->dirty_stop(s->vm->ctx);
		output(s, MIG_OUTPUT_SHOW);
		format_snprintf(
			s->rep.error + strlen(s->rep.error),
			sizeof(s->rep.error) - strlen(s->rep.error), "%s%s",
			s->rep.error[0] ? ": " : "",
			s->cfg.protect.manual
				? "the standby is gone: the VM runs on here, unprotected "
				  "(takeover=manual: the standby runs it only on the "
				  "supervisor's word)"
				: "protection ended before the standby held a checkpoint: the "
				  "VM runs on here, unprotected");
		return s->rep.state = MIG_FAILED;
	}
	for (;;) {
		uint64_t now = ops->now_ns(s->vm->ctx);

		if (must_fence(s))
			return fence(s);
		ops->idle(s->vm->ctx, s->lease.expires_ns > now ? s->lease.expires_ns - now : 1000);
	}
}

/*
 * The standby said it dropped its copy (RELEASED): it will never run the
 * VM. The deadline is lifted, and a VM that stopped itself at it meanwhile
 * goes on (this is its only copy), unprotected.
 */
static enum mig_state go_on_alone(struct mig_source *s, enum mig_state st, const char *why)
{
	bool stood = s->ops->fenced(s->vm->ctx);

	output(s, MIG_OUTPUT_SHOW); /* before its vCPUs may go on: no newer line first */
	s->ops->lease_until(s->vm->ctx, 0);
	if (stood)
		s->ops->resume(s->vm->ctx);
	s->ops->dirty_stop(s->vm->ctx);
	format_snprintf(s->rep.error, sizeof(s->rep.error), "%s", why);
	return s->rep.state = st;
}

/*
 * Ends protection on request: CANCEL, and once the standby says it dropped
 * its copy (RELEASED), the lease is given up and the VM goes on here
 * unprotected. Without that word within the reply timeout, the standby
 * may still take over: the lease's end fences the VM as after a cut.
 */
static enum mig_state release(struct mig_source *s, const char *why)
{
	uint64_t deadline = s->ops->now_ns(s->vm->ctx) + s->cfg.reply_timeout_ms * 1000000ull;

	if (mig_chan_send(s->ch, MIG_REC_CANCEL, 0, NULL, 0))
		return link_gone(s);
	for (;;) {
		int broken = mig_source_serve_return_path(s);

		if (s->released) /* said before the standby hung up, as it does */
			break;
		if (broken || s->ops->now_ns(s->vm->ctx) >= deadline)
			return link_gone(s);
		mig_chan_ready(s->ch, 1);
	}
	/*
	 * The standby heard CANCEL after every checkpoint before it, each
	 * committed, acknowledged and shown on arrival: their lines are out.
	 * (The wait for RELEASED renews nothing: the VM may have stopped at its
	 * deadline.)
	 */
	forget_unacked(s, s->rep.epochs_acked);
	return go_on_alone(s, MIG_CANCELLED, why);
}

enum mig_state mig_source_protect(struct mig_source *s)
{
	const struct mig_vm_ops *ops = s->ops;
	uint64_t epoch_ns = s->cfg.protect.epoch_ns, next;

	if (!(s->caps & MIG_CAP_PROTECT)) {
		s->ops->dirty_stop(s->vm->ctx);
		return mig_source_fail(s, "the peer cannot be a standby: the VM runs on here");
	}
	if (!ops->lease_until || !ops->fenced || !ops->idle) {
		s->ops->dirty_stop(s->vm->ctx);
		return mig_source_fail(s, "this board cannot fence its VM: the VM runs on here");
	}
	if (epoch_ns < MIG_EPOCH_MIN_NS || epoch_ns > s->cfg.protect.lease_ns / 2) {
		s->ops->dirty_stop(s->vm->ctx);
		return mig_source_fail(s, "an epoch must be 1 ms at least and at most half the "
					  "lease: the VM runs on here");
	}
	if (!s->ckpt)
		s->ckpt = malloc(MIG_CKPT_BUF_BYTES);
	if (!s->hot) {
		s->hot = calloc(mig_bitmap_words(s->pages), sizeof(uint64_t));
		s->prev = calloc(mig_bitmap_words(s->pages), sizeof(uint64_t));
		s->arm = calloc(mig_bitmap_words(s->pages), sizeof(uint64_t));
	} else if (s->prev) { /* every page armed by the precopy before: none hot */
		memset(s->hot, 0, mig_bitmap_words(s->pages) * sizeof(uint64_t));
		memset(s->prev, 0, mig_bitmap_words(s->pages) * sizeof(uint64_t));
	}
	s->hot_count = 0;
	if (!s->unacked) {
		uint64_t epochs = s->cfg.protect.lease_ns / epoch_ns + 2;

		epochs = epochs < UNACKED_EPOCHS_MAX ? epochs : UNACKED_EPOCHS_MAX;
		s->unacked_size = (size_t)epochs * UNACKED_EPOCH_BYTES;
		s->unacked = malloc(s->unacked_size);
	}
	s->unacked_len = 0;
	s->marks_head = s->marks_tail = 0;
	if (!s->ckpt || !s->unacked || !s->hot || !s->prev || !s->arm) {
		s->ops->dirty_stop(s->vm->ctx);
		return mig_source_fail(s, "no memory for checkpoints: the VM runs on here");
	}
	protect_throttle(s);
	lease_primary_init(&s->lease, s->cfg.protect.lease_ns, s->cfg.hello.migration_id);
	/*
	 * From now on the guest's lines leave through the standby, once
	 * committed there; its frames from here, once committed there.
	 */
	output(s, MIG_OUTPUT_HOLD);
	s->rep.state = MIG_PROTECTED; /* announced once it holds (announce_protected) */
	next = ops->now_ns(s->vm->ctx);
	for (;;) {
		uint64_t now = ops->now_ns(s->vm->ctx);
		int ready;

		if (must_fence(s))
			return fence(s);
		/* takeover=manual: a standby silent for the lease is gone; so is its protection. */
		if (s->cfg.protect.manual && s->lease.leased && now >= s->lease.expires_ns) {
			format_snprintf(s->rep.error, sizeof(s->rep.error),
					"no acknowledgement for the lease");
			return link_gone(s);
		}
		if (s->released) /* unasked */
			return go_on_alone(s, MIG_FAILED,
					   "the standby dropped its copy: the VM runs on here, "
					   "unprotected");
		/* A VM that stopped by itself first: the board cancels its migration then too. */
		if (ops->ended && ops->ended(s->vm->ctx))
			return release(s,
				       "the VM stopped here: protection ended, the standby dropped "
				       "its copy");
		if (mig_source_cancel_requested(s))
			return release(s, "protection ended: the VM runs on here, unprotected");
		if (now >= next) {
			if (checkpoint(s))
				return link_gone(s);
			next = now + epoch_ns;
			now = ops->now_ns(s->vm->ctx);
		}
		/*
		 * The acknowledgements waiting are taken after every checkpoint, due
		 * or not: a checkpoint that took its whole epoch (a slow send)
		 * must not starve them, or the lease ends with them unread.
		 */
		ready = mig_chan_ready(s->ch,
				       next > now ? (unsigned)((next - now) / 1000000u) + 1 : 0);
		if (ready < 0 || (ready > 0 && mig_source_serve_return_path(s)))
			return link_gone(s);
	}
}
