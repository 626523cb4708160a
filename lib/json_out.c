/* SPDX-License-Identifier: Apache-2.0 */
/** The JSON writer, see json_out.h. */
#include "lib/json_out.h"

#include <string.h>

#include "lib/format.h"

void json_out_init(struct json_out *o, char *buf, size_t size)
{
	*o = (struct json_out){ .buf = buf, .size = size };
	if (size)
		buf[0] = '\0';
}

static void put(struct json_out *o, const char *s, size_t n)
{
	if (o->overflow || o->len + n + 1 > o->size) {
		o->overflow = true;
		return;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

static void put_string(struct json_out *o, const char *s)
{
	put(o, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[8];

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			put(o, esc, 2);
		} else if (c < 0x20 || c == 0x7f) {
			format_snprintf(esc, sizeof(esc), "\\u%04x", c);
			put(o, esc, 6);
		} else {
			put(o, s, 1);
		}
	}
	put(o, "\"", 1);
}

/** A comma if needed, then the key. */
static void member(struct json_out *o, const char *key)
{
	if (o->depth && !o->first[o->depth - 1])
		put(o, ",", 1);
	if (o->depth)
		o->first[o->depth - 1] = false;
	if (key) {
		put_string(o, key);
		put(o, ":", 1);
	}
}

static void open_nested(struct json_out *o, const char *key, char open, char close)
{
	member(o, key);
	put(o, &open, 1);
	if (o->depth == JSON_OUT_DEPTH) {
		o->overflow = true;
		return;
	}
	o->close[o->depth] = close;
	o->first[o->depth++] = true;
}

void json_out_object(struct json_out *o, const char *key) { open_nested(o, key, '{', '}'); }

void json_out_array(struct json_out *o, const char *key) { open_nested(o, key, '[', ']'); }

void json_out_end(struct json_out *o)
{
	if (!o->depth) {
		o->overflow = true; /* more closed than opened: a caller's bug, never sent */
		return;
	}
	o->depth--;
	put(o, &o->close[o->depth], 1);
}

void json_out_str(struct json_out *o, const char *key, const char *value)
{
	member(o, key);
	put_string(o, value);
}

void json_out_u64(struct json_out *o, const char *key, uint64_t value)
{
	char n[24];

	member(o, key);
	put(o, n, format_snprintf(n, sizeof(n), "%llu", (unsigned long long)value));
}

void json_out_i64(struct json_out *o, const char *key, int64_t value)
{
	char n[24];

	member(o, key);
	put(o, n, format_snprintf(n, sizeof(n), "%lld", (long long)value));
}

void json_out_bool(struct json_out *o, const char *key, bool value)
{
	member(o, key);
	put(o, value ? "true" : "false", value ? 4 : 5);
}

void json_out_raw(struct json_out *o, const char *key, const char *json, size_t len)
{
	member(o, key);
	put(o, json, len);
}

const char *json_out_text(const struct json_out *o, size_t *len)
{
	if (o->overflow || o->depth)
		return NULL;
	*len = o->len;
	return o->buf;
}
