/* SPDX-License-Identifier: Apache-2.0 */
/**
 * Writes one JSON object into a fixed buffer: members are added in order
 * and commas placed as needed; strings are escaped (RFC 8259 section 7).
 * A text that does not fit is marked and not sent half-written.
 */
#ifndef LIB_JSON_OUT_H
#define LIB_JSON_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSON_OUT_DEPTH 8

struct json_out {
	char *buf;
	size_t size, len;
	bool overflow;
	unsigned depth;
	bool first[JSON_OUT_DEPTH]; /**< nothing yet at this depth: no comma before the next */
	char close[JSON_OUT_DEPTH]; /**< '}' or ']' */
};

void json_out_init(struct json_out *o, char *buf, size_t size);

/** Opens an object, as a member `key` of the enclosing one (NULL at the top). */
void json_out_object(struct json_out *o, const char *key);
/** Opens an array; its elements are added with key NULL. */
void json_out_array(struct json_out *o, const char *key);
/** Closes the innermost object or array. */
void json_out_end(struct json_out *o);

void json_out_str(struct json_out *o, const char *key, const char *value);
void json_out_u64(struct json_out *o, const char *key, uint64_t value);
void json_out_i64(struct json_out *o, const char *key, int64_t value);
void json_out_bool(struct json_out *o, const char *key, bool value);

/** A value already in JSON (checked by the caller), like a request's id. */
void json_out_raw(struct json_out *o, const char *key, const char *json, size_t len);

/** The text (NUL-terminated) and its length; NULL when it did not fit. */
const char *json_out_text(const struct json_out *o, size_t *len);

#endif
