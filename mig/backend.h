/* SPDX-License-Identifier: Apache-2.0 */
/**
 * What the migration engine needs from a VM: its RAM page by page, dirty
 * tracking, stopping and resuming, its device state, and, on the
 * destination, loading that state into shadow, synchronizing it into the
 * hardware context, and starting. Implemented by the hypervisor for real
 * VMs and by a fake VM in host tests.
 */
#ifndef MIG_BACKEND_H
#define MIG_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** What a rehearsal measured of its end's switchover work, run warm (its quickest run). */
struct mig_rehearsal {
	/** source: saving the package; destination: loading, synchronizing, entering it */
	uint64_t ns;
	size_t package_bytes; /**< the stand-in package's size */
	/**
	 * Destination, a start rehearsed once (a dry run): when its last vCPU
	 * entered the stand-in, on now_ns's clock; 0: unknown.
	 */
	uint64_t entered_ns;
};

/** What becomes of the guest's console output (mig_vm_ops.output). */
enum mig_output { MIG_OUTPUT_HOLD, MIG_OUTPUT_SHOW, MIG_OUTPUT_DROP };

struct mig_vm_ops {
	uint64_t (*page_count)(void *vm);
	/** Pointer to a guest page (the engine reads and writes whole pages). */
	uint8_t *(*page)(void *vm, uint64_t page_number);
	/**
	 * Starts logging writes; the first round then copies every page, each
	 * armed first (arm_for_copy): nothing needs protecting yet.
	 */
	void (*dirty_start)(void *vm);
	/**
	 * ORs the pages dirtied since the last call into bitmap and restarts
	 * tracking; once the VM is stopped, tracking may just end there
	 * (dirty_stop comes before any resume). The pages taken are the
	 * engine's to copy: they are armed (arm_for_copy) before their copy.
	 */
	void (*dirty_collect)(void *vm, uint64_t *bitmap);
	/**
	 * While the VM may run (precopy): the pages set in `count` bitmap
	 * words, from word `first_word` on, are about to be copied, and stay
	 * the caller's to copy until they are. A write to one of them from now
	 * on is logged; one before is in the copy. Protecting a page only when
	 * its copy comes (rather than when it was collected) leaves the guest
	 * free to rewrite it until then: such writes cost it no fault (nor a
	 * throttle's wait) and the link no second copy. (Armed a span ahead of
	 * the copy, a page written between the two takes both.)
	 */
	void (*arm_for_copy)(void *vm, uint64_t first_word, const uint64_t *words, uint64_t count);
	void (*dirty_stop)(void *vm);
	/**
	 * Optional: how many writes of the guest were logged since dirty_start
	 * (a running count: each a page written after it was armed for its
	 * copy). Progress takes the dirty rate from it within a round, the
	 * first included, before any collection measured one.
	 */
	uint64_t (*dirty_marks)(void *vm);
	/**
	 * Limits the pages per second the VM's vCPUs may dirty, shared among
	 * them: a vCPU over its share waits in its write fault for the next
	 * period (design section 7, "Bounded"). 0 lifts the limit; so do
	 * dirty_stop and a stop (a vCPU waiting parks at once).
	 */
	void (*throttle)(void *vm, uint64_t pages_per_s);
	/**
	 * Optional: limits the pages the vCPUs together may newly dirty
	 * between two dirty_collect calls; a vCPU over it waits in its write
	 * fault until the next (a stop ends the wait). 0 lifts it; so does
	 * dirty_stop. Protection bounds each checkpoint's size with it.
	 */
	void (*throttle_collection)(void *vm, uint64_t pages);
	void (*stop)(void *vm);
	void (*resume)(void *vm);
	/** Device package: bytes written into buf, 0 when it does not fit. */
	size_t (*save_devices)(void *vm, unsigned format, uint8_t *buf, size_t size);
	/** Loads a device package into shadow state, validating every field. */
	bool (*load_devices)(void *vm, const uint8_t *buf, size_t len, char *err, size_t err_size);
	/**
	 * Puts the loaded state into the hardware context (before PONG). With
	 * `start` (one flight: RUN is already here), the vCPUs enter the guest
	 * as soon as all of them hold their state, without waiting for this
	 * CPU, and start() only waits for them: the downtime pays for one
	 * hand-over to the vCPUs, not three. False (with why) before any
	 * entered, as without `start`, when they did not take it.
	 */
	bool (*sync_devices)(void *vm, bool start, char *err, size_t err_size);
	/**
	 * Starts the vCPUs (or, synchronized with `start`, waits for them).
	 * Synchronization did everything that can fail: after PONG, starting
	 * cannot fail. Returns once they run, with the time (now_ns's clock)
	 * the last of them entered the guest.
	 */
	uint64_t (*start)(void *vm);
	/**
	 * The destination throws away what it received (a failure or a cancel
	 * before the VM ran here): RAM mapped as before postcopy, vCPUs and
	 * devices back to reset, so the next migration finds a clean board.
	 */
	void (*discard)(void *vm);
	/*
	 * Destination, postcopy. begin (before PONG, so it may fail, with why):
	 * the pages clear in `have` are missing; a vCPU touching one stalls
	 * (only that vCPU) until it is placed.
	 * fault: the next missing page a vCPU waits for (each reported once);
	 * false when none. place: fills a missing page (NULL: zeroes) and maps
	 * it, waking its vCPUs.
	 */
	bool (*postcopy_begin)(void *vm, const uint64_t *have, char *err, size_t err_size);
	bool (*postcopy_fault)(void *vm, uint64_t *page);
	void (*postcopy_place)(void *vm, uint64_t page, const void *data);
	/**
	 * The switchover's own code, once, early, on a state of the board's
	 * making that is thrown away: the source saves a package, the
	 * destination also loads, applies and synchronizes it, then discards
	 * it all. Code run once before runs faster: under emulation its first
	 * run costs its translation, milliseconds that would otherwise fall
	 * in the downtime. True when every step went through; `measured` then
	 * says how long the work took once translated (design section 7,
	 * "Bounded": the fixed cost of a switchover is measured, not guessed).
	 * once: a single timed run, the code having run before (a dry run
	 * right before the switchover, DRY_RUN).
	 */
	bool (*rehearse)(void *vm, bool destination, bool once, struct mig_rehearsal *measured);
	/** A monotonic clock in nanoseconds. */
	uint64_t (*now_ns)(void *vm);
	/**
	 * Protection's primary: the VM's vCPUs stop by themselves once now_ns
	 * passes `deadline` (the lease's end), whatever this CPU is doing then
	 * (a send may block it past the lease), and a resume past it does
	 * nothing: fenced. 0: no deadline, and a fenced VM may run again (the
	 * standby said it dropped its copy).
	 */
	void (*lease_until)(void *vm, uint64_t deadline);
	/** True once the VM stopped at its lease's end (lease_until). */
	bool (*fenced)(void *vm);
	/** Waits about ns, this CPU idle (a standby counting down its lease with no link). */
	void (*idle)(void *vm, uint64_t ns);
	/**
	 * Protection's output commit (docs/protection.md, "Output"), all three
	 * optional. Primary: the guest's console lines are held from
	 * MIG_OUTPUT_HOLD on (the guest told to wait while the hold is full),
	 * shown at once again from MIG_OUTPUT_SHOW (those held shown first) or
	 * MIG_OUTPUT_DROP (those held never shown: the standby's copy prints
	 * them again). output_take: while the VM stands, the lines held since
	 * the last take, as MIG_REC_OUTPUT lays them out, into buf (cap bytes,
	 * MIG_OUTPUT_MAX at least): their bytes. Standby: output_show shows a
	 * committed checkpoint's lines.
	 */
	void (*output)(void *vm, enum mig_output what);
	/**
	 * Optional: true once the VM stopped by itself here (powered off,
	 * crashed): its protection ends, the standby dropping its copy, so that
	 * it never runs a guest that ended.
	 */
	bool (*ended)(void *vm);
	size_t (*output_take)(void *vm, uint8_t *buf, size_t cap);
	void (*output_show)(void *vm, const uint8_t *lines, size_t len);
};

struct mig_vm {
	const struct mig_vm_ops *ops;
	void *ctx;
};

#endif
