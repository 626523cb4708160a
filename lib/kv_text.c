/* SPDX-License-Identifier: Apache-2.0 */
/** key=value text records, see kv_text.h. */
#include "lib/kv_text.h"

#include <string.h>

#include "lib/format.h"

bool kv_parse_uint(const char *s, size_t len, unsigned max, unsigned *out)
{
	unsigned v = 0;

	if (len == 0 || len > 9)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > max)
		return false;
	*out = v;
	return true;
}

static int find_key(const struct kv_key *keys, unsigned count, const char *key, size_t len)
{
	for (unsigned i = 0; i < count; i++)
		if (strlen(keys[i].key) == len && memcmp(keys[i].key, key, len) == 0)
			return (int)i;
	return -1;
}

bool kv_text_parse(const char *text, size_t len, const struct kv_key *keys, unsigned key_count,
		   size_t line_max, void *obj, const char *what, char *err, size_t err_size)
{
	unsigned seen = 0, line_no = 0;
	size_t pos = 0;

	while (pos < len) {
		const char *line = text + pos, *eq;
		size_t n = 0, key_len;
		char why[96];
		int k;

		while (pos + n < len && text[pos + n] != '\n')
			n++;
		pos += n + 1;
		line_no++;
		if (n > 0 && line[n - 1] == '\r')
			n--;
		if (memchr(line, '\0', n)) {
			format_snprintf(err, err_size, "%s line %u: contains a NUL byte", what,
					line_no);
			return false;
		}
		if (n == 0 || line[0] == '#')
			continue;
		if (n > line_max) {
			format_snprintf(err, err_size, "%s line %u: longer than %u bytes", what,
					line_no, (unsigned)line_max);
			return false;
		}
		eq = memchr(line, '=', n);
		if (!eq) {
			format_snprintf(err, err_size, "%s line %u: expected key=value", what,
					line_no);
			return false;
		}
		key_len = (size_t)(eq - line);
		k = find_key(keys, key_count, line, key_len);
		if (k < 0) {
			format_snprintf(err, err_size, "%s line %u: unknown key '%.*s'", what,
					line_no, (int)(key_len > 32 ? 32 : key_len), line);
			return false;
		}
		/* Each key once: a repeated key is a mistake, not an override. */
		if (seen & (1u << k)) {
			format_snprintf(err, err_size, "%s line %u: '%s' given twice", what,
					line_no, keys[k].key);
			return false;
		}
		seen |= 1u << k;
		if (!keys[k].set(obj, eq + 1, n - key_len - 1, why, sizeof(why))) {
			format_snprintf(err, err_size, "%s line %u: %s", what, line_no, why);
			return false;
		}
	}
	return true;
}

int kv_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}
