/* SPDX-License-Identifier: Apache-2.0 */
/**
 * Little-endian encoding for the migration stream, with a writer that
 * never overruns its buffer and a reader that checks every length before it
 * reads: the stream is hostile input even after authentication. Both
 * remember the first failure, so a run of puts or gets is checked once.
 */
#ifndef MIG_WIRE_H
#define MIG_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct mig_writer {
	uint8_t *buf;
	size_t size;
	size_t len;
	bool overflow;
};

struct mig_reader {
	const uint8_t *buf;
	size_t len;
	size_t pos;
	bool error;
};

static inline void mig_writer_init(struct mig_writer *w, void *buf, size_t size)
{
	w->buf = buf;
	w->size = size;
	w->len = 0;
	w->overflow = false;
}

static inline void mig_reader_init(struct mig_reader *r, const void *buf, size_t len)
{
	r->buf = buf;
	r->len = len;
	r->pos = 0;
	r->error = false;
}

void mig_put_bytes(struct mig_writer *w, const void *p, size_t n);
/*
 * Hosts and boards are little-endian (checked below): a value's low bytes
 * are its wire form, copied as they are. The device package is thousands
 * of such values, encoded and decoded in the downtime.
 */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the wire is little-endian");

static inline void mig_put_le(struct mig_writer *w, uint64_t v, unsigned size)
{
	if (size > 8)
		size = 8;
	if (w->overflow || size > w->size - w->len) {
		w->overflow = true;
		return;
	}
	switch (size) { /* fixed sizes: copies the compiler inlines */
	case 1:
		w->buf[w->len] = (uint8_t)v;
		break;
	case 2:
		memcpy(w->buf + w->len, &v, 2);
		break;
	case 4:
		memcpy(w->buf + w->len, &v, 4);
		break;
	case 8:
		memcpy(w->buf + w->len, &v, 8);
		break;
	default:
		memcpy(w->buf + w->len, &v, size);
	}
	w->len += size;
}

static inline void mig_put_u8(struct mig_writer *w, uint8_t v) { mig_put_le(w, v, 1); }
static inline void mig_put_u16(struct mig_writer *w, uint16_t v) { mig_put_le(w, v, 2); }
static inline void mig_put_u32(struct mig_writer *w, uint32_t v) { mig_put_le(w, v, 4); }
static inline void mig_put_u64(struct mig_writer *w, uint64_t v) { mig_put_le(w, v, 8); }

/** Bytes left to read. */
static inline size_t mig_remaining(const struct mig_reader *r) { return r->len - r->pos; }

bool mig_get_bytes(struct mig_reader *r, void *p, size_t n);
static inline uint64_t mig_get_le(struct mig_reader *r, unsigned size)
{
	uint64_t v = 0;

	if (size > 8 || r->error || size > r->len - r->pos) {
		r->error = true;
		return 0;
	}
	switch (size) { /* fixed sizes: copies the compiler inlines */
	case 1:
		v = r->buf[r->pos];
		break;
	case 2:
		memcpy(&v, r->buf + r->pos, 2);
		break;
	case 4:
		memcpy(&v, r->buf + r->pos, 4);
		break;
	case 8:
		memcpy(&v, r->buf + r->pos, 8);
		break;
	default:
		memcpy(&v, r->buf + r->pos, size);
	}
	r->pos += size;
	return v;
}
static inline uint8_t mig_get_u8(struct mig_reader *r) { return (uint8_t)mig_get_le(r, 1); }
static inline uint16_t mig_get_u16(struct mig_reader *r) { return (uint16_t)mig_get_le(r, 2); }
static inline uint32_t mig_get_u32(struct mig_reader *r) { return (uint32_t)mig_get_le(r, 4); }
static inline uint64_t mig_get_u64(struct mig_reader *r) { return mig_get_le(r, 8); }

/**
 * A peer's text (REFUSE, ERROR: u8 length, then the bytes) into out, always
 * terminated; every byte outside printable ASCII becomes '?', so a peer's
 * text cannot move a cursor, clear a screen or forge a line on a console.
 */
void mig_get_text(struct mig_reader *r, char *out, size_t size);

/** A sub-reader over the next n bytes (consumed from r); error if fewer remain. */
bool mig_get_sub(struct mig_reader *r, size_t n, struct mig_reader *sub);

#endif
