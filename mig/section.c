/* SPDX-License-Identifier: Apache-2.0 */
/** The section interpreter, see section.h. Hosts and boards are little-endian. */
#include "mig/section.h"

#include <stdarg.h>
#include <string.h>

#include "lib/format.h"

#define NAME_MAX_LEN   32
#define SUBSECTION_MAX 16
#define NEST_MAX       4

static const uint8_t *elem(const void *obj, const struct mig_field *f, unsigned i)
{
	return (const uint8_t *)obj + f->offset + (size_t)i * (f->stride ? f->stride : f->size);
}

enum { FORM_DENSE, FORM_RUNS };

/*
 * One element, read and written at its width: a vGIC's arrays are
 * thousands of elements, saved and loaded while the VM stands still, so
 * each costs a load or a store, not a call.
 */
static uint64_t read_elem(const uint8_t *p, unsigned size)
{
	uint16_t v16;
	uint32_t v32;
	uint64_t v64 = 0;

	switch (size) {
	case 1:
		return *p;
	case 2:
		memcpy(&v16, p, 2);
		return v16;
	case 4:
		memcpy(&v32, p, 4);
		return v32;
	default:
		memcpy(&v64, p, size < 8 ? size : 8);
		return v64;
	}
}

static void write_elem(uint8_t *p, uint64_t v, unsigned size)
{
	uint16_t v16 = (uint16_t)v;
	uint32_t v32 = (uint32_t)v;

	switch (size) {
	case 1:
		*p = (uint8_t)v;
		return;
	case 2:
		memcpy(p, &v16, 2);
		return;
	case 4:
		memcpy(p, &v32, 4);
		return;
	default:
		memcpy(p, &v, size < 8 ? size : 8);
	}
}

static uint64_t value_of(const void *obj, const struct mig_field *f, unsigned i)
{
	uint64_t v = read_elem(elem(obj, f, i), f->size);

	return f->kind == MIG_BOOL ? (v & 0xff) != 0 : v;
}

/*
 * How many elements from k on equal v (k's own value), at most `most`: a
 * walk by pointer at the element's width, the form's hot loop (a vGIC's
 * 988 SPIs, field by field, in the downtime).
 */
static unsigned run_from(const void *obj, const struct mig_field *f, unsigned k, uint64_t v,
			 unsigned most)
{
	size_t stride = f->stride ? f->stride : f->size;
	const uint8_t *p = elem(obj, f, k) + stride;
	unsigned n = 1;

	if (f->size == 1) {
		if (f->kind == MIG_BOOL)
			for (; n < most && (*p != 0) == (v != 0); n++, p += stride)
				;
		else
			for (; n < most && *p == v; n++, p += stride)
				;
		return n;
	}
	for (; n < most && value_of(obj, f, k + n) == v; n++)
		;
	return n;
}

/**
 * An array in its shorter form (see section.h), in one pass: runs as long
 * as they stay shorter than the dense form, else dense from the start.
 */
static void save_packed(const void *obj, const struct mig_field *f, struct mig_writer *w)
{
	size_t start = w->len, dense = (size_t)f->count * f->size, runs_len = 0;
	bool overflow = w->overflow;

	mig_put_u8(w, FORM_RUNS);
	for (unsigned k = 0, n; k < f->count; k += n) {
		uint64_t v = value_of(obj, f, k);

		n = run_from(obj, f, k, v, f->count - k < UINT16_MAX ? f->count - k : UINT16_MAX);
		runs_len += 2u + f->size;
		if (runs_len >= dense) {
			w->len = start;
			w->overflow = overflow;
			mig_put_u8(w, FORM_DENSE);
			for (unsigned e = 0; e < f->count; e++)
				mig_put_le(w, value_of(obj, f, e), f->size);
			return;
		}
		mig_put_u16(w, (uint16_t)n);
		mig_put_le(w, v, f->size);
	}
}

/** Whether subsection s goes with its section (for a peer one format older: `older`). */
static bool sent(const struct mig_subsection *s, const void *obj, bool older)
{
	return !(older && s->new_in_format) && (!s->needed || s->needed(obj));
}

static void save(const struct mig_section *d, const void *obj, struct mig_writer *w, bool older)
{
	size_t name_len = strlen(d->name), len_at, body_start;
	uint16_t version = older && d->version_before ? d->version_before : d->version;
	unsigned subs = 0;

	mig_put_u8(w, (uint8_t)name_len);
	mig_put_bytes(w, d->name, name_len);
	mig_put_u16(w, version);
	len_at = w->len;
	mig_put_u32(w, 0); /* body length, patched below */
	body_start = w->len;
	for (unsigned i = 0; i < d->field_count; i++) {
		const struct mig_field *f = &d->fields[i];

		if (f->since > version)
			continue; /* that version has no such field */
		if (d->packed_since && version >= d->packed_since && f->count > 1) {
			save_packed(obj, f, w);
			continue;
		}
		for (unsigned k = 0; k < f->count; k++)
			mig_put_le(w, value_of(obj, f, k), f->size);
	}
	for (unsigned i = 0; i < d->subsection_count; i++)
		subs += sent(&d->subsections[i], obj, older);
	mig_put_u8(w, (uint8_t)subs);
	for (unsigned i = 0; i < d->subsection_count; i++)
		if (sent(&d->subsections[i], obj, older))
			save(d->subsections[i].section, obj, w, older);
	if (!w->overflow) {
		uint32_t body = (uint32_t)(w->len - body_start);

		for (unsigned b = 0; b < 4; b++)
			w->buf[len_at + b] = (uint8_t)(body >> (8 * b));
	}
}

void mig_section_save(const struct mig_section *desc, const void *obj, struct mig_writer *w)
{
	save(desc, obj, w, false);
}

void mig_section_save_as(const struct mig_section *desc, const void *obj, struct mig_writer *w,
			 bool older)
{
	save(desc, obj, w, older);
}

struct load_ctx {
	char *err;
	size_t err_size;
};

static bool __attribute__((format(printf, 2, 3))) fail(struct load_ctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	format_vsnprintf(c->err, c->err_size, fmt, ap);
	va_end(ap);
	return false;
}

/** Reads a section header; false on a malformed one. */
static bool read_header(struct mig_reader *r, char *name, uint16_t *version,
			struct mig_reader *body)
{
	uint8_t name_len = mig_get_u8(r);

	if (r->error || name_len == 0 || name_len >= NAME_MAX_LEN ||
	    !mig_get_bytes(r, name, name_len))
		return false;
	/* A name goes into messages: printable ASCII only (section names are plain words). */
	for (unsigned i = 0; i < name_len; i++)
		if (name[i] < 0x21 || name[i] > 0x7e)
			return false;
	name[name_len] = '\0';
	*version = mig_get_u16(r);
	return mig_get_sub(r, mig_get_u32(r), body);
}

static bool load_body(const struct mig_section *d, uint16_t version, struct mig_reader *r,
		      void *obj, struct load_ctx *c, unsigned depth);

static bool load(const struct mig_section *d, struct mig_reader *r, void *obj, struct load_ctx *c,
		 unsigned depth)
{
	char name[NAME_MAX_LEN];
	struct mig_reader body;
	uint16_t version;

	if (!read_header(r, name, &version, &body))
		return fail(c, "section %s: truncated or malformed header", d->name);
	if (strcmp(name, d->name) != 0)
		return fail(c, "expected section %s, found %s", d->name, name);
	if (version > d->version)
		return fail(c, "section %s: version %u is newer than this build reads (%u)",
			    d->name, version, d->version);
	if (version < d->min_version)
		return fail(c, "section %s: version %u is older than this build reads (%u)",
			    d->name, version, d->min_version);
	return load_body(d, version, &body, obj, c, depth);
}

/** One value of field f, checked, written to elements [k, k + n). */
static bool load_value(const struct mig_section *d, const struct mig_field *f, struct mig_reader *r,
		       void *obj, unsigned k, unsigned n, struct load_ctx *c)
{
	uint64_t v = mig_get_le(r, f->size);

	if (r->error)
		return fail(c, "section %s: field %s truncated", d->name, f->name);
	if ((f->kind == MIG_BOOL && v > 1) || (f->max && v > f->max))
		return fail(c, "section %s: field %s has an invalid value at index %u", d->name,
			    f->name, k);
	if (f->size == 1) { /* a run of bytes: the form's hot loop on this side */
		size_t stride = f->stride ? f->stride : 1;
		uint8_t *p = (uint8_t *)elem(obj, f, k);

		for (unsigned e = 0; e < n; e++, p += stride)
			*p = (uint8_t)v;
		return true;
	}
	for (unsigned e = k; e < k + n; e++)
		write_elem((uint8_t *)elem(obj, f, e), v, f->size);
	return true;
}

/** A packed array: the form byte, then dense elements or runs that cover it exactly. */
static bool load_packed(const struct mig_section *d, const struct mig_field *f,
			struct mig_reader *r, void *obj, struct load_ctx *c)
{
	uint8_t form = mig_get_u8(r);

	if (r->error || form > FORM_RUNS)
		return fail(c, "section %s: field %s has no valid form", d->name, f->name);
	for (unsigned k = 0, n = 1; k < f->count; k += n) {
		if (form == FORM_RUNS) {
			n = mig_get_u16(r);
			if (r->error || n == 0 || n > f->count - k)
				return fail(c, "section %s: field %s has a run of %u at index %u",
					    d->name, f->name, n, k);
		}
		if (!load_value(d, f, r, obj, k, n, c))
			return false;
	}
	return true;
}

static bool load_fields(const struct mig_section *d, uint16_t version, struct mig_reader *r,
			void *obj, struct load_ctx *c)
{
	for (unsigned i = 0; i < d->field_count; i++) {
		const struct mig_field *f = &d->fields[i];

		if (f->since > version)
			continue; /* absent in that version: keeps its default */
		if (d->packed_since && version >= d->packed_since && f->count > 1) {
			if (!load_packed(d, f, r, obj, c))
				return false;
			continue;
		}
		for (unsigned k = 0; k < f->count; k++)
			if (!load_value(d, f, r, obj, k, 1, c))
				return false;
	}
	return true;
}

static bool load_body(const struct mig_section *d, uint16_t version, struct mig_reader *r,
		      void *obj, struct load_ctx *c, unsigned depth)
{
	bool seen[SUBSECTION_MAX] = { false };
	unsigned subs;

	if (!load_fields(d, version, r, obj, c))
		return false;
	subs = mig_get_u8(r);
	if (r->error)
		return fail(c, "section %s: truncated before its subsections", d->name);
	if (depth >= NEST_MAX)
		return fail(c, "section %s: subsections nested too deep", d->name);
	for (unsigned s = 0; s < subs; s++) {
		char name[NAME_MAX_LEN];
		struct mig_reader probe = *r;
		uint16_t v;
		struct mig_reader body;
		unsigned i;

		if (!read_header(&probe, name, &v, &body))
			return fail(c, "section %s: malformed subsection %u", d->name, s);
		for (i = 0; i < d->subsection_count && i < SUBSECTION_MAX; i++)
			if (!strcmp(d->subsections[i].section->name, name))
				break;
		if (i == d->subsection_count || i == SUBSECTION_MAX)
			return fail(c, "section %s: unknown subsection %s", d->name, name);
		if (seen[i])
			return fail(c, "section %s: subsection %s given twice", d->name, name);
		seen[i] = true;
		if (!load(d->subsections[i].section, r, obj, c, depth + 1))
			return false;
	}
	if (mig_remaining(r))
		return fail(c, "section %s: %zu bytes left over", d->name, mig_remaining(r));
	return true;
}

bool mig_section_load(const struct mig_section *desc, struct mig_reader *r, void *obj, char *err,
		      size_t err_size)
{
	struct load_ctx c = { err, err_size };

	return load(desc, r, obj, &c, 0);
}
