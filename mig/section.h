/* SPDX-License-Identifier: Apache-2.0 */
/**
 * Versioned device-state sections described by field tables (after QEMU's
 * VMStateDescription): devices never write bytes themselves; one
 * interpreter saves and loads every section. Wire format
 * (docs/migration-protocol.md, "Sections"):
 *
 *     u8 name_len, name, u16 version, u32 body_len, body
 *     body = the fields present in that version, in table order,
 *            each count x size bytes little-endian,
 *            then u8 subsection_count and that many sections
 *
 * From a section's packed_since version on, an array (count > 1) starts
 * with a form byte: 0, dense as above; 1, runs of equal elements, each
 * u16 length (at least 1) and the value, the lengths adding up to count.
 * The writer takes whichever is shorter: a vGIC's SPIs are mostly alike
 * (untouched, or all set the same way by the guest), so ~15 KiB of them
 * become tens of bytes and the device package crosses the link in far less
 * of the downtime.
 *
 * Loading checks the name, the version window, every length and every
 * value's range, and refuses unknown subsections and trailing bytes. Fields
 * that an older version lacks keep the value the object had before loading.
 */
#ifndef MIG_SECTION_H
#define MIG_SECTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mig/wire.h"

enum mig_field_kind {
	MIG_UINT, /**< unsigned integer of 1, 2, 4 or 8 bytes */
	MIG_BOOL, /**< a C bool, one byte on the wire, 0 or 1 */
};

struct mig_field {
	const char *name;
	uint32_t offset; /**< of the first element in the object */
	uint8_t size;	 /**< bytes of one element */
	enum mig_field_kind kind;
	uint16_t count;	 /**< elements (1 for a scalar) */
	uint32_t stride; /**< bytes between elements in the object; 0 = size */
	uint16_t since;	 /**< first section version with this field */
	uint64_t max;	 /**< largest value accepted on load; 0 = any */
};

struct mig_section;

/** An optional part of a section, sent only when `needed` says so (or always if NULL). */
struct mig_subsection {
	const struct mig_section *section;
	bool (*needed)(const void *obj);
	/** New in this build's stream format: never written for a peer one format older. */
	bool new_in_format;
};

struct mig_section {
	const char *name;
	uint16_t version;     /**< what this build writes */
	uint16_t min_version; /**< the oldest this build loads */
	const struct mig_field *fields;
	unsigned field_count;
	const struct mig_subsection *subsections;
	unsigned subsection_count;
	uint16_t packed_since; /**< arrays packed from this version on; 0: never */
	/**
	 * What this build writes for a peer one stream format older
	 * (docs/migration-protocol.md, "Versions"); 0: the same as version.
	 */
	uint16_t version_before;
};

/** Helpers for field tables. */
#define MIG_FIELD(type, member, since_v)                                                           \
	{                                                                                          \
#member, (uint32_t)offsetof(type, member), (uint8_t)sizeof(((type *)0)->member),   \
			MIG_UINT, 1, 0, (since_v), 0                                               \
	}
/** A field whose largest legal value is max_v (a register's implemented bits, say). */
#define MIG_FIELD_MAX(type, member, since_v, max_v)                                                \
	{                                                                                          \
#member, (uint32_t)offsetof(type, member), (uint8_t)sizeof(((type *)0)->member),   \
			MIG_UINT, 1, 0, (since_v), (max_v)                                         \
	}
#define MIG_FIELD_ARRAY(type, member, since_v)                                                     \
	{                                                                                          \
#member, (uint32_t)offsetof(type, member),                                         \
			(uint8_t)sizeof(((type *)0)->member[0]), MIG_UINT,                         \
			(uint16_t)(sizeof(((type *)0)->member) / sizeof(((type *)0)->member[0])),  \
			0, (since_v), 0                                                            \
	}

/** Writes `obj` as `desc` (current version). */
void mig_section_save(const struct mig_section *desc, const void *obj, struct mig_writer *w);

/**
 * As mig_section_save, for a peer one stream format older when `older`:
 * each section at its version_before, without the fields and subsections
 * that version lacks.
 */
void mig_section_save_as(const struct mig_section *desc, const void *obj, struct mig_writer *w,
			 bool older);

/**
 * Reads one section into `obj` (which holds defaults for missing fields).
 * False, with a reason naming the section and field, on anything wrong;
 * `obj` may then be partly written: load into shadow state.
 */
bool mig_section_load(const struct mig_section *desc, struct mig_reader *r, void *obj, char *err,
		      size_t err_size);

#endif
