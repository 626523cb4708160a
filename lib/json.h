/* SPDX-License-Identifier: Apache-2.0 */
/**
 * A strict JSON reader (RFC 8259) for management commands: the text is cut
 * into tokens in document order, each knowing where its subtree ends, and
 * values are looked up by key. Nothing is allocated; depth and token count
 * are bounded, so a hostile line costs a bounded amount of work.
 */
#ifndef LIB_JSON_H
#define LIB_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum json_type {
	JSON_OBJECT,
	JSON_ARRAY,
	JSON_STRING,
	JSON_NUMBER,
	JSON_TRUE,
	JSON_FALSE,
	JSON_NULL
};

struct json_tok {
	enum json_type type;
	uint32_t start, end; /**< the value's text (a string's without its quotes) */
	uint32_t next;	     /**< index of the token after this one's subtree */
};

#define JSON_DEPTH_MAX 8

/**
 * Tokenizes one JSON value filling all of text[0, len) (whitespace around
 * allowed). The token count, or -1 with the reason in err.
 */
int json_parse(const char *text, size_t len, struct json_tok *toks, unsigned max, char *err,
	       size_t err_size);

/** The value of `key` in the object at token `obj`; -1 when absent or obj is no object. */
int json_get(const char *text, const struct json_tok *toks, int obj, const char *key);

/** A string token unescaped into out (NUL-terminated); false if not a string or too long. */
bool json_get_string(const char *text, const struct json_tok *t, char *out, size_t size);

/** A non-negative integer token up to max; false otherwise. */
bool json_get_uint(const char *text, const struct json_tok *t, uint64_t max, uint64_t *out);

#endif
