/* SPDX-License-Identifier: Apache-2.0 */
/** A standby's checkpoints, see checkpoint.h. */
#include "mig/checkpoint.h"

#include <stdlib.h>
#include <string.h>

#include "lib/format.h"

bool mig_ckpt_init(struct mig_ckpt_stage *c, size_t ram_bytes, size_t package_max)
{
	*c = (struct mig_ckpt_stage){ 0 };
	c->buf = malloc(ram_bytes);
	c->package = malloc(package_max);
	c->committed_package = malloc(package_max);
	if (!c->buf || !c->package || !c->committed_package) {
		mig_ckpt_free(c);
		return false;
	}
	c->size = ram_bytes;
	c->package_max = package_max;
	return true;
}

void mig_ckpt_free(struct mig_ckpt_stage *c)
{
	free(c->buf);
	free(c->package);
	free(c->committed_package);
	*c = (struct mig_ckpt_stage){ 0 };
}

void mig_ckpt_drop(struct mig_ckpt_stage *c)
{
	c->open = 0;
	c->len = 0;
	c->package_len = 0;
	c->ram_records = 0;
	c->output_len = 0;
	c->output_given = false;
}

bool mig_ckpt_output(struct mig_ckpt_stage *c, const uint8_t *buf, size_t len, char *err,
		     size_t err_size)
{
	const char *why = NULL;

	if (!c->open)
		why = "OUTPUT outside a checkpoint";
	else if (c->output_given)
		why = "a second OUTPUT in one checkpoint";
	else if (!len || len > MIG_OUTPUT_MAX)
		why = "OUTPUT of no line, or longer than a checkpoint's lines may be";
	for (size_t at = 0; !why && at < len; at += 1u + buf[at]) {
		if (buf[at] > len - at - 1)
			why = "OUTPUT with a line cut short";
		/* A console line never holds its end: one that did would forge the next line. */
		else if (memchr(buf + at + 1, '\n', buf[at]) || memchr(buf + at + 1, '\r', buf[at]))
			why = "OUTPUT with a line break inside a line";
	}
	if (why) {
		format_snprintf(err, err_size, "%s", why);
		return false;
	}
	memcpy(c->output, buf, len);
	c->output_len = len;
	c->output_given = true;
	return true;
}

bool mig_ckpt_begin(struct mig_ckpt_stage *c, uint64_t epoch, char *err, size_t err_size)
{
	if (c->broken) {
		format_snprintf(err, err_size, "checkpoint %llu: this standby's copy is broken",
				(unsigned long long)epoch);
		return false;
	}
	if (c->open) {
		format_snprintf(err, err_size, "checkpoint %llu began while %llu was open",
				(unsigned long long)epoch, (unsigned long long)c->open);
		return false;
	}
	if (!epoch || (c->committed && epoch != c->committed + 1)) {
		format_snprintf(err, err_size, "checkpoint %llu does not follow %llu",
				(unsigned long long)epoch, (unsigned long long)c->committed);
		return false;
	}
	mig_ckpt_drop(c);
	c->open = epoch;
	return true;
}

bool mig_ckpt_ram(struct mig_ckpt_stage *c, const struct mig_reader *payload, uint64_t page_count,
		  void *ctx, const struct mig_ram_forms *forms, char *err, size_t err_size)
{
	size_t n = mig_remaining(payload);

	if (!c->open) {
		format_snprintf(err, err_size, "RAM outside a checkpoint");
		return false;
	}
	if (n > UINT32_MAX || n + 4 > c->size - c->len) {
		format_snprintf(
			err, err_size,
			"checkpoint %llu: more RAM than the standby keeps aside (%zu bytes)",
			(unsigned long long)c->open, c->size);
		return false;
	}
	if (!mig_ram_check(payload, page_count, ctx, forms, err, err_size))
		return false;
	for (unsigned i = 0; i < 4; i++)
		c->buf[c->len + i] = (uint8_t)(n >> (8 * i));
	memcpy(c->buf + c->len + 4, payload->buf + payload->pos, n);
	c->len += 4 + n;
	c->ram_records++;
	return true;
}

bool mig_ckpt_package(struct mig_ckpt_stage *c, const uint8_t *buf, size_t len, char *err,
		      size_t err_size)
{
	if (!c->open || c->package_len || !len || len > c->package_max) {
		format_snprintf(err, err_size,
				!c->open	 ? "device package outside a checkpoint"
				: c->package_len ? "checkpoint %llu: a second device package"
						 : "checkpoint %llu: device package of %zu bytes",
				(unsigned long long)c->open, len);
		return false;
	}
	memcpy(c->package, buf, len);
	c->package_len = len;
	return true;
}

bool mig_ckpt_commit(struct mig_ckpt_stage *c, uint64_t epoch, struct mig_vm *vm,
		     uint64_t page_count, mig_page_sink_fn sink, void *ctx,
		     const struct mig_ram_forms *forms, char *err, size_t err_size)
{
	char why[128];
	size_t out;

	if (!c->open || epoch != c->open || !c->package_len) {
		format_snprintf(err, err_size,
				!c->open || epoch != c->open
					? "end of checkpoint %llu, which is not the one open"
					: "checkpoint %llu ended without its device package",
				(unsigned long long)epoch);
		mig_ckpt_drop(c);
		return false;
	}
	/* The package first: a board that refuses it has had nothing of the epoch written. */
	if (!vm->ops->load_devices(vm->ctx, c->package, c->package_len, why, sizeof(why))) {
		format_snprintf(err, err_size, "checkpoint %llu refused: %s",
				(unsigned long long)epoch, why);
		if (c->committed_package_len)
			vm->ops->load_devices(vm->ctx, c->committed_package,
					      c->committed_package_len, why, sizeof(why));
		mig_ckpt_drop(c);
		return false;
	}
	for (size_t at = 0; at < c->len;) {
		struct mig_reader r;
		uint32_t n = (uint32_t)c->buf[at] | (uint32_t)c->buf[at + 1] << 8 |
			     (uint32_t)c->buf[at + 2] << 16 | (uint32_t)c->buf[at + 3] << 24;

		mig_reader_init(&r, c->buf + at + 4, n);
		/* Checked on arrival over the same committed pages: it cannot fail here. */
		if (!mig_ram_decode(&r, page_count, sink, ctx, forms, why, sizeof(why))) {
			format_snprintf(err, err_size,
					"checkpoint %llu could not be written whole (%s): this "
					"standby's copy is broken",
					(unsigned long long)epoch, why);
			c->broken = true;
			mig_ckpt_drop(c);
			return false;
		}
		at += 4 + n;
	}
	memcpy(c->committed_package, c->package, c->package_len);
	c->committed_package_len = c->package_len;
	c->committed = epoch;
	out = c->output_len;
	mig_ckpt_drop(c);
	c->output_len = out; /* the committed epoch's lines, for the caller to show */
	return true;
}
