/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The `key=value` text records boards receive (the VM configuration, the
 * link configuration): one pair a line, `#` comments, each key at most
 * once, every value checked by its key's setter; errors name the record
 * and the line. Outside input.
 */
#ifndef LIB_KV_TEXT_H
#define LIB_KV_TEXT_H

#include <stdbool.h>
#include <stddef.h>

struct kv_key {
	const char *key;
	/** Checks and stores val (len bytes, not terminated) into obj; false with why. */
	bool (*set)(void *obj, const char *val, size_t len, char *why, size_t why_size);
};

/** At most 32 keys; lines at most line_max bytes. */
bool kv_text_parse(const char *text, size_t len, const struct kv_key *keys, unsigned key_count,
		   size_t line_max, void *obj, const char *what, char *err, size_t err_size);

/** The value of a hexadecimal digit, either case; -1 when c is none. */
int kv_hex_digit(char c);

/** Parses a decimal number of at most 9 digits, up to max. */
bool kv_parse_uint(const char *s, size_t len, unsigned max, unsigned *out);

#endif
