/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The source in postcopy (docs/migration-protocol.md, "Postcopy"): the VM
 * runs on the destination; pages it faults on are requested and go ahead
 * of the background push. A cut link pauses; over a new link the
 * destination's RECV_BITMAP says what is still missing. Also the
 * resolution of an unresolved switchover by reconnecting.
 */
#include <string.h>

#include "lib/format.h"
#include "mig/page_sets.h"
#include "mig/ram_codec.h"
#include "mig/source_internal.h"

static enum mig_state paused(struct mig_source *s)
{
	uint64_t left = mig_bitmap_count(s->bitmap, s->pages);

	format_snprintf(s->rep.error, sizeof(s->rep.error),
			"link lost in postcopy with %llu pages not yet sent: paused until a "
			"new link recovers it",
			(unsigned long long)left);
	return s->rep.state = MIG_POSTCOPY_PAUSED;
}

enum mig_state mig_source_postcopy_push(struct mig_source *s)
{
	uint32_t done = MIG_PING_POSTCOPY_DONE;
	struct mig_record rec;

	s->rep.state = MIG_POSTCOPY_ACTIVE;
	mig_source_rewind(s);
	while (mig_bitmap_count(s->bitmap, s->pages)) {
		int64_t n;

		if (mig_source_serve_return_path(s) || mig_source_pass_frames(s, false))
			return paused(s);
		n = mig_source_send_batch(s, MIG_POSTCOPY_PUSH_PAGES);
		if (n < 0)
			return paused(s);
		if (n == 0)
			s->cursor = 0; /* requests took pages behind the cursor: wrap */
		if (s->ops->now_ns(s->vm->ctx) - s->progress_ns >= MIG_PROGRESS_EVERY_NS)
			mig_source_progress(s);
	}
	/* Everything sent: the frames still to pass on, then the destination confirms. */
	if (mig_source_pass_frames(s, true))
		return paused(s);
	/* Everything sent: the destination confirms it has every page. */
	if (mig_chan_send(s->ch, MIG_REC_PING, 0, &done, sizeof(done)) ||
	    mig_source_expect(s, MIG_REC_PONG, &rec) || mig_get_u32(&rec.payload) != done ||
	    rec.length != MIG_PONG_POSTCOPY_DONE_BYTES)
		return paused(s);
	/*
	 * The guest's stalls there, for the report. No measurement: standing
	 * still longer than postcopy has lasted, or a longest stall longer than
	 * all the waits and the gaps it may span between them.
	 */
	s->rep.faults_served = mig_get_u64(&rec.payload);
	s->rep.stall_max_ns = mig_get_u64(&rec.payload);
	s->rep.blocked_ns = mig_get_u64(&rec.payload);
	if (s->rep.faults_served > s->pages || /* a page faults once */
	    s->rep.blocked_ns > s->ops->now_ns(s->vm->ctx) - s->t_stop ||
	    s->rep.stall_max_ns > s->rep.blocked_ns + s->rep.faults_served * MIG_STALL_GAP_NS)
		s->rep.faults_served = s->rep.stall_max_ns = s->rep.blocked_ns = 0;
	mig_chan_send(s->ch, MIG_REC_END, 0, NULL, 0);
	return mig_source_completed(s);
}

/** RECV_BITMAP chunks: what the destination has; the rest is to send. */
static int receive_bitmap(struct mig_source *s)
{
	uint64_t words = mig_bitmap_words(s->pages);
	struct mig_record rec;

	/* As many chunks as the bitmap needs, no more: a peer cannot keep it going. */
	uint64_t chunks = words / MIG_BITMAP_CHUNK_WORDS + 1;

	memset(s->bitmap, 0, words * sizeof(uint64_t));
	do {
		if (!chunks--) {
			format_snprintf(s->rep.error, sizeof(s->rep.error),
					"RECV_BITMAP in more chunks than the guest has pages for");
			return -1;
		}
		if (mig_source_expect(s, MIG_REC_RECV_BITMAP, &rec) ||
		    !mig_bitmap_chunk_get(&rec.payload, s->bitmap, s->pages, s->rep.error,
					  sizeof(s->rep.error)))
			return -1;
	} while (!(rec.flags & MIG_FLAG_LAST));
	for (uint64_t i = 0; i < words; i++)
		s->bitmap[i] = ~s->bitmap[i];
	if (s->pages % 64)
		s->bitmap[words - 1] &= (1ull << (s->pages % 64)) - 1;
	return 0;
}

/**
 * STATUS about this migration: its state there, or -1 when malformed, or
 * about another migration (the destination restarted, or holds another).
 */
static int their_state(struct mig_source *s, struct mig_record *rec, enum mig_state *theirs)
{
	uint64_t id = mig_get_u64(&rec->payload);
	uint8_t st = mig_get_u8(&rec->payload);

	if (rec->length != MIG_STATUS_BYTES || st > MIG_LOST) {
		format_snprintf(s->rep.error, sizeof(s->rep.error),
				"malformed STATUS from the destination");
		return -1;
	}
	if ((rec->flags & MIG_FLAG_UNKNOWN_MIGRATION) || id != s->rep.migration_id) {
		format_snprintf(s->rep.error, sizeof(s->rep.error),
				"the destination does not know this migration (%016llx; it holds "
				"%016llx, %s): it may have restarted, so it cannot say whether the "
				"VM ran there",
				(unsigned long long)s->rep.migration_id, (unsigned long long)id,
				mig_state_name((enum mig_state)st));
		return -1;
	}
	*theirs = (enum mig_state)st;
	return 0;
}

enum mig_state mig_source_reconnect(struct mig_source *s, struct mig_channel *ch)
{
	enum mig_state was = s->rep.state, theirs;
	uint64_t id = s->rep.migration_id;
	struct mig_record rec;

	if (was != MIG_UNRESOLVED && was != MIG_POSTCOPY_PAUSED)
		return was;
	s->ch = ch;
	s->rep.reconnects++;
	if (mig_chan_send(ch, MIG_REC_RECONNECT, 0, &id, sizeof(id)) ||
	    mig_source_expect(s, MIG_REC_STATUS, &rec) || their_state(s, &rec, &theirs))
		return was; /* still unknown: stay as we were */
	if (!mig_state_runs_on_destination(theirs)) {
		if (was == MIG_UNRESOLVED) {
			/* RUN never took effect there: this copy is the only one. */
			s->ops->resume(s->vm->ctx);
			format_snprintf(s->rep.error, sizeof(s->rep.error),
					"resolved: the destination never started the VM (%s "
					"there); it resumed here",
					mig_state_name(theirs));
			return s->rep.state = MIG_FAILED;
		}
		/* It ran there and is gone there: this copy is stale, it must not run. */
		s->rep.pages_lost = mig_bitmap_count(s->bitmap, s->pages);
		format_snprintf(s->rep.error, sizeof(s->rep.error),
				"the VM is lost: the destination no longer runs it (%s there) and "
				"%llu of its pages were never sent",
				mig_state_name(theirs), (unsigned long long)s->rep.pages_lost);
		return s->rep.state = MIG_LOST;
	}
	if (was == MIG_UNRESOLVED) {
		/* VM_STARTED was lost, the VM runs there: its stamps still tell when. */
		mig_source_take_stamps(s, &rec.payload);
	}
	if (theirs == MIG_COMPLETED || s->cfg.mode == MIG_MODE_PRECOPY) {
		s->rep.total_ns = s->ops->now_ns(s->vm->ctx) - s->t_start;
		format_snprintf(
			s->rep.error, sizeof(s->rep.error), "%s",
			rec.flags & MIG_FLAG_VM_ENDED
				? "resolved by reconnecting: the VM ran on the destination "
				  "and has ended there"
				: "resolved by reconnecting: the VM runs on the destination");
		mig_chan_send(ch, MIG_REC_END, 0, NULL, 0);
		return s->rep.state = MIG_COMPLETED;
	}
	s->rep.state = MIG_POSTCOPY_RECOVER;
	if (receive_bitmap(s)) {
		char why[sizeof(s->rep.error)];

		format_snprintf(why, sizeof(why), "recovery: %s", s->rep.error);
		paused(s);
		format_snprintf(s->rep.error, sizeof(s->rep.error), "%s", why);
		return s->rep.state;
	}
	return mig_source_postcopy_push(s);
}
