/* SPDX-License-Identifier: Apache-2.0 */
/**
 * Hot standby's checkpoints as the standby takes them (design section 8,
 * docs/protection.md): an epoch's RAM records and device package are kept
 * aside as they arrive, and applied to the VM only once its end arrived.
 * A link cut, or a primary that dies, in the middle of an epoch leaves the
 * last committed checkpoint exactly as it was: the standby runs either
 * that checkpoint or the next one whole, never a mix.
 *
 * Everything is checked before anything is applied: each RAM payload when
 * it arrives, as it will be applied over the committed pages (every page
 * number, run and delta, against the guest's size and the pages this
 * standby holds); the package at the end, by the board's own loading,
 * before a single page of the epoch is written. A package the board
 * refuses leaves RAM as committed and the committed package loaded again:
 * the epoch is refused, the last checkpoint stays the one that would run.
 */
#ifndef MIG_CHECKPOINT_H
#define MIG_CHECKPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mig/backend.h"
#include "mig/ram_codec.h"
#include "mig/record.h"

struct mig_ckpt_stage {
	uint8_t *buf; /**< the open epoch's RAM payloads, each after its u32 length */
	size_t size, len;
	uint8_t *package; /**< the open epoch's device package */
	size_t package_len;
	uint8_t *committed_package; /**< the last committed epoch's, loaded at its commit */
	size_t committed_package_len;
	size_t package_max;
	uint64_t open;	    /**< the epoch being staged; 0: none */
	uint64_t committed; /**< the last epoch committed; 0: none yet */
	uint32_t ram_records;
	/**
	 * The open epoch's console lines (MIG_REC_OUTPUT), checked; after a
	 * commit, the committed one's, until the next epoch begins.
	 */
	uint8_t output[MIG_OUTPUT_MAX];
	size_t output_len;
	bool output_given;
	/**
	 * A commit could not write all of its epoch (never, its RAM checked on
	 * arrival over the same pages): RAM may hold two epochs, and nothing
	 * here may run. Everything is refused from then on.
	 */
	bool broken;
};

/**
 * A stage holding up to `ram_bytes` of one epoch's RAM payloads and a
 * package of up to `package_max` bytes; false when memory is short.
 */
bool mig_ckpt_init(struct mig_ckpt_stage *c, size_t ram_bytes, size_t package_max);
void mig_ckpt_free(struct mig_ckpt_stage *c);

/**
 * An epoch begins: false, with why, while another is open, or unless it is
 * the one after the last committed (before any commit: any but 0), or
 * once the stage is broken.
 */
bool mig_ckpt_begin(struct mig_ckpt_stage *c, uint64_t epoch, char *err, size_t err_size);

/**
 * A RAM payload of the open epoch: checked as it would be applied (forms'
 * bases are the committed pages), then kept. False, with why, nothing kept:
 * malformed, no epoch open, or more than the stage holds.
 */
bool mig_ckpt_ram(struct mig_ckpt_stage *c, const struct mig_reader *payload, uint64_t page_count,
		  void *ctx, const struct mig_ram_forms *forms, char *err, size_t err_size);

/** The open epoch's device package, once: kept. False, with why, otherwise. */
bool mig_ckpt_package(struct mig_ckpt_stage *c, const uint8_t *buf, size_t len, char *err,
		      size_t err_size);

/**
 * The open epoch's console lines (MIG_REC_OUTPUT), once: kept, shown only
 * once it is committed. False, with why: no epoch open, a second time, or
 * not whole lines within MIG_OUTPUT_MAX.
 */
bool mig_ckpt_output(struct mig_ckpt_stage *c, const uint8_t *buf, size_t len, char *err,
		     size_t err_size);

/**
 * The open epoch `epoch` ended: its package loaded (vm->ops->load_devices)
 * and, only if the board took it, its RAM payloads applied in their order
 * through sink and forms; it is then the committed checkpoint. False, with
 * why, when it is not the open epoch, has no package, or the board refused
 * the package: nothing of it applied, the committed package loaded again,
 * the epoch dropped.
 */
bool mig_ckpt_commit(struct mig_ckpt_stage *c, uint64_t epoch, struct mig_vm *vm,
		     uint64_t page_count, mig_page_sink_fn sink, void *ctx,
		     const struct mig_ram_forms *forms, char *err, size_t err_size);

/** The open epoch is dropped (a cut, a takeover): the committed checkpoint stays. */
void mig_ckpt_drop(struct mig_ckpt_stage *c);

#endif
