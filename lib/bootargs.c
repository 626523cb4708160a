/* SPDX-License-Identifier: Apache-2.0 */
/** Boot option parsing, see bootargs.h. */
#include "lib/bootargs.h"

#include <string.h>

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/** Finds `key`; sets *value (NULL for a bare key) and *len. */
static bool bootargs_find(const char *args, const char *key, const char **value, size_t *len)
{
	size_t key_len = strlen(key);
	const char *p = args;

	if (!args || key_len == 0)
		return false;
	while (*p) {
		const char *word, *end;

		while (is_space(*p))
			p++;
		word = p;
		while (*p && !is_space(*p))
			p++;
		end = p;
		if ((size_t)(end - word) < key_len || memcmp(word, key, key_len) != 0)
			continue;
		if (word + key_len == end) {
			*value = NULL;
			*len = 0;
			return true;
		}
		if (word[key_len] == '=') {
			*value = word + key_len + 1;
			*len = (size_t)(end - *value);
			return true;
		}
	}
	return false;
}

bool bootargs_get(const char *args, const char *key, char *val, size_t size)
{
	const char *value;
	size_t len;

	if (!bootargs_find(args, key, &value, &len) || len + 1 > size)
		return false;
	if (len)
		memcpy(val, value, len);
	val[len] = '\0';
	return true;
}

bool bootargs_flag(const char *args, const char *key)
{
	const char *value;
	size_t len;

	if (!bootargs_find(args, key, &value, &len))
		return false;
	return !((len == 3 && memcmp(value, "off", 3) == 0) || (len == 1 && value[0] == '0'));
}
