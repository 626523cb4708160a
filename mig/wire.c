/* SPDX-License-Identifier: Apache-2.0 */
/** Little-endian stream encoding, see wire.h. */
#include "mig/wire.h"

#include <string.h>

void mig_put_bytes(struct mig_writer *w, const void *p, size_t n)
{
	if (w->overflow || n > w->size - w->len) {
		w->overflow = true;
		return;
	}
	if (n)
		memcpy(w->buf + w->len, p, n);
	w->len += n;
}

bool mig_get_bytes(struct mig_reader *r, void *p, size_t n)
{
	if (r->error || n > r->len - r->pos) {
		r->error = true;
		return false;
	}
	if (n)
		memcpy(p, r->buf + r->pos, n);
	r->pos += n;
	return true;
}

bool mig_get_sub(struct mig_reader *r, size_t n, struct mig_reader *sub)
{
	if (r->error || n > r->len - r->pos) {
		r->error = true;
		mig_reader_init(sub, NULL, 0);
		sub->error = true;
		return false;
	}
	mig_reader_init(sub, r->buf + r->pos, n);
	r->pos += n;
	return true;
}

void mig_get_text(struct mig_reader *r, char *out, size_t size)
{
	uint8_t n = mig_get_u8(r);
	size_t i = 0;

	if (!size)
		return;
	for (; i < n && i + 1 < size; i++) {
		uint8_t c = mig_get_u8(r);

		if (r->error)
			break;
		out[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	out[i] = '\0';
}
