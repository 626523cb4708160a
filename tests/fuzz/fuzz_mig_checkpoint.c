/* SPDX-License-Identifier: Apache-2.0 */
/**
 * Fuzzes a standby's checkpoints (mig/checkpoint.c) with what a hostile
 * primary can send: epochs begun, ended and cut in any order, RAM payloads
 * and packages of any bytes. The guest's RAM and its loaded package change
 * only at a commit that succeeded, and then only within the guest.
 *
 * Input: operations, each a byte (its low 2 bits the kind) then its bytes:
 * 0 begin (u8 epoch), 1 RAM (u16 length, payload), 2 package (u8 length,
 * bytes), 3 end (u8 epoch; with bit 2 of the kind byte, a cut instead).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mig/checkpoint.h"

/* The stage's console lines end where their lengths say, within MIG_OUTPUT_MAX. */
static bool lines_whole(const struct mig_ckpt_stage *c)
{
	size_t at = 0;

	if (c->output_len > MIG_OUTPUT_MAX)
		return false;
	while (at < c->output_len)
		at += 1u + c->output[at];
	return at == c->output_len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PAGES 16

static uint8_t ram[PAGES][MIG_PAGE_SIZE];
static uint8_t before[PAGES][MIG_PAGE_SIZE];
static uint8_t scratch[MIG_PAGE_SIZE];
static uint8_t loaded[64], committed[64];
static size_t loaded_len, committed_len;

static bool load_devices(void *vm, const uint8_t *buf, size_t len, char *why, size_t n)
{
	(void)vm;
	if (!len || len > sizeof(loaded))
		__builtin_trap(); /* a package the stage should not have kept */
	if (buf[0] & 1) {	  /* the board refuses odd first bytes */
		strncpy(why, "refused", n);
		return false;
	}
	memcpy(loaded, buf, len);
	loaded_len = len;
	return true;
}

static void sink(void *ctx, uint64_t page, const void *data)
{
	(void)ctx;
	if (page >= PAGES)
		__builtin_trap();
	if (data)
		memcpy(ram[page], data, MIG_PAGE_SIZE);
	else
		memset(ram[page], 0, MIG_PAGE_SIZE);
}

static const uint8_t *base(void *ctx, uint64_t page)
{
	(void)ctx;
	if (page >= PAGES)
		__builtin_trap();
	return page % 3 ? ram[page] : NULL; /* some pages this standby does not hold */
}

static void patch(void *ctx, uint64_t page, unsigned first, unsigned words, const uint8_t *data)
{
	(void)ctx;
	if (page >= PAGES || page % 3 == 0 || first >= MIG_PAGE_SIZE / 8 ||
	    words > MIG_PAGE_SIZE / 8 - first)
		__builtin_trap();
	memcpy(ram[page] + 8u * first, data, 8u * words);
}

static const struct mig_ram_forms forms = { .scratch = scratch, .base = base, .patch = patch };
static const struct mig_vm_ops ops = { .load_devices = load_devices };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mig_ckpt_stage c;
	struct mig_vm vm = { &ops, NULL };
	char err[160];
	size_t at = 0;

	mig_ckpt_free(&c);
	if (!mig_ckpt_init(&c, 32 * 1024, 48))
		__builtin_trap();
	memset(ram, 0x5a, sizeof(ram));
	loaded_len = committed_len = 0;
	while (at < size) {
		uint8_t op = data[at++];
		bool ok = false;

		memcpy(before, ram, sizeof(ram));
		switch (op & 3) {
		case 0:
			if (at < size)
				mig_ckpt_begin(&c, data[at++], err, sizeof(err));
			break;
		case 1: {
			struct mig_reader r;
			size_t n;

			if (size - at < 2)
				return 0;
			n = (size_t)data[at] | (size_t)data[at + 1] << 8;
			at += 2;
			n = n < size - at ? n : size - at;
			mig_reader_init(&r, data + at, n);
			mig_ckpt_ram(&c, &r, PAGES, NULL, &forms, err, sizeof(err));
			at += n;
			break;
		}
		case 2: {
			size_t n = at < size ? data[at++] : 0;

			n = n < size - at ? n : size - at;
			if (op &
			    4) /* the console lines, which a commit leaves for the caller to show */
				mig_ckpt_output(&c, data + at, n, err, sizeof(err));
			else
				mig_ckpt_package(&c, data + at, n, err, sizeof(err));
			at += n;
			break;
		}
		default:
			if (op & 4) {
				mig_ckpt_drop(&c);
				break;
			}
			if (at < size)
				ok = mig_ckpt_commit(&c, data[at++], &vm, PAGES, sink, NULL, &forms,
						     err, sizeof(err));
			if (ok) {
				memcpy(committed, loaded, loaded_len);
				committed_len = loaded_len;
			}
			break;
		}
		/* Nothing but a commit that succeeded changes the guest. */
		if (!ok && memcmp(before, ram, sizeof(ram)))
			__builtin_trap();
		/* The lines kept are whole lines, within the bound, whatever came. */
		if (!lines_whole(&c))
			__builtin_trap();
		/* What is loaded is always the last committed package. */
		if (loaded_len != committed_len || memcmp(loaded, committed, committed_len))
			__builtin_trap();
	}
	return 0;
}
