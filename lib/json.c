/* SPDX-License-Identifier: Apache-2.0 */
/** The JSON reader, see json.h. */
#include "lib/json.h"

#include <string.h>

#include "lib/format.h"

struct parser {
	const char *s;
	size_t len, pos;
	struct json_tok *toks;
	unsigned max, count;
	char *err;
	size_t err_size;
};

static bool fail(struct parser *p, const char *why)
{
	format_snprintf(p->err, p->err_size, "%s at byte %u", why, (unsigned)p->pos);
	return false;
}

static void skip_space(struct parser *p)
{
	while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' ||
				   p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
		p->pos++;
}

static int new_tok(struct parser *p, enum json_type type)
{
	if (p->count == p->max)
		return -1;
	p->toks[p->count] = (struct json_tok){ .type = type, .start = (uint32_t)p->pos };
	return (int)p->count++;
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool string(struct parser *p, int t)
{
	p->pos++; /* the opening quote */
	p->toks[t].start = (uint32_t)p->pos;
	while (p->pos < p->len) {
		unsigned char c = (unsigned char)p->s[p->pos];

		if (c == '"') {
			p->toks[t].end = (uint32_t)p->pos++;
			return true;
		}
		if (c < 0x20)
			return fail(p, "control character in a string");
		if (c == '\\') {
			char e;

			if (++p->pos >= p->len)
				break;
			e = p->s[p->pos];
			if (e == 'u') {
				for (unsigned i = 1; i <= 4; i++)
					if (p->pos + i >= p->len || !is_hex(p->s[p->pos + i]))
						return fail(p, "bad \\u escape");
				p->pos += 4;
			} else if (!strchr("\"\\/bfnrt", e) || !e) {
				return fail(p, "bad escape in a string");
			}
		}
		p->pos++;
	}
	return fail(p, "unterminated string");
}

static bool digits(struct parser *p)
{
	size_t from = p->pos;

	while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
		p->pos++;
	return p->pos > from;
}

static bool number(struct parser *p, int t)
{
	if (p->s[p->pos] == '-')
		p->pos++;
	if (p->pos < p->len && p->s[p->pos] == '0')
		p->pos++;
	else if (!digits(p))
		return fail(p, "bad number");
	if (p->pos < p->len && p->s[p->pos] == '.') {
		p->pos++;
		if (!digits(p))
			return fail(p, "bad number");
	}
	if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
		p->pos++;
		if (p->pos < p->len && (p->s[p->pos] == '+' || p->s[p->pos] == '-'))
			p->pos++;
		if (!digits(p))
			return fail(p, "bad number");
	}
	p->toks[t].end = (uint32_t)p->pos;
	return true;
}

static bool literal(struct parser *p, int t, const char *word)
{
	size_t n = strlen(word);

	if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0)
		return fail(p, "unexpected character");
	p->pos += n;
	p->toks[t].end = (uint32_t)p->pos;
	return true;
}

static bool value(struct parser *p, unsigned depth);

/** The members of an object or the elements of an array, after its opening bracket. */
static bool members(struct parser *p, int t, bool object, unsigned depth)
{
	char close = object ? '}' : ']';

	p->pos++;
	skip_space(p);
	if (p->pos < p->len && p->s[p->pos] == close) {
		p->toks[t].end = (uint32_t)++p->pos;
		return true;
	}
	for (;;) {
		if (object) {
			int k;

			skip_space(p);
			if (p->pos >= p->len || p->s[p->pos] != '"')
				return fail(p, "expected a key");
			if ((k = new_tok(p, JSON_STRING)) < 0)
				return fail(p, "too many values");
			if (!string(p, k))
				return false;
			p->toks[k].next = p->count;
			skip_space(p);
			if (p->pos >= p->len || p->s[p->pos] != ':')
				return fail(p, "expected ':'");
			p->pos++;
		}
		if (!value(p, depth + 1))
			return false;
		skip_space(p);
		if (p->pos < p->len && p->s[p->pos] == ',') {
			p->pos++;
			continue;
		}
		if (p->pos < p->len && p->s[p->pos] == close) {
			p->toks[t].end = (uint32_t)++p->pos;
			return true;
		}
		return fail(p, object ? "expected ',' or '}'" : "expected ',' or ']'");
	}
}

static bool value(struct parser *p, unsigned depth)
{
	int t;
	bool ok;
	char c;

	skip_space(p);
	if (p->pos >= p->len)
		return fail(p, "value expected");
	if (depth > JSON_DEPTH_MAX)
		return fail(p, "nested too deep");
	c = p->s[p->pos];
	t = new_tok(p, c == '{'	  ? JSON_OBJECT
		       : c == '[' ? JSON_ARRAY
		       : c == '"' ? JSON_STRING
		       : c == 't' ? JSON_TRUE
		       : c == 'f' ? JSON_FALSE
		       : c == 'n' ? JSON_NULL
				  : JSON_NUMBER);
	if (t < 0)
		return fail(p, "too many values");
	switch (p->toks[t].type) {
	case JSON_OBJECT:
	case JSON_ARRAY:
		ok = members(p, t, c == '{', depth);
		break;
	case JSON_STRING:
		ok = string(p, t);
		break;
	case JSON_TRUE:
		ok = literal(p, t, "true");
		break;
	case JSON_FALSE:
		ok = literal(p, t, "false");
		break;
	case JSON_NULL:
		ok = literal(p, t, "null");
		break;
	default:
		ok = (c == '-' || (c >= '0' && c <= '9')) ? number(p, t)
							  : fail(p, "unexpected character");
		break;
	}
	p->toks[t].next = p->count;
	return ok;
}

int json_parse(const char *text, size_t len, struct json_tok *toks, unsigned max, char *err,
	       size_t err_size)
{
	struct parser p = { text, len, 0, toks, max, 0, err, err_size };

	if (!value(&p, 0))
		return -1;
	skip_space(&p);
	if (p.pos != len) {
		fail(&p, "text after the value");
		return -1;
	}
	return (int)p.count;
}

int json_get(const char *text, const struct json_tok *toks, int obj, const char *key)
{
	size_t n = strlen(key);

	if (obj < 0 || toks[obj].type != JSON_OBJECT)
		return -1;
	for (uint32_t k = (uint32_t)obj + 1; k < toks[obj].next; k = toks[k + 1].next) {
		if (toks[k].end - toks[k].start == n && memcmp(text + toks[k].start, key, n) == 0)
			return (int)k + 1;
	}
	return -1;
}

static unsigned hex(char c)
{
	return c <= '9' ? (unsigned)(c - '0') : (unsigned)((c | 0x20) - 'a' + 10);
}

bool json_get_string(const char *text, const struct json_tok *t, char *out, size_t size)
{
	size_t o = 0;

	if (t->type != JSON_STRING || !size)
		return false;
	for (uint32_t i = t->start; i < t->end; i++) {
		char c = text[i];

		if (c == '\\') {
			c = text[++i];
			if (c == 'u') {
				unsigned u = hex(text[i + 1]) << 12 | hex(text[i + 2]) << 8 |
					     hex(text[i + 3]) << 4 | hex(text[i + 4]);

				i += 4;
				c = u && u < 0x80 ? (char)u : '?'; /* names are ASCII */
			} else {
				c = c == 'b'   ? '\b'
				    : c == 'f' ? '\f'
				    : c == 'n' ? '\n'
				    : c == 'r' ? '\r'
				    : c == 't' ? '\t'
					       : c;
			}
		}
		if (o + 1 >= size)
			return false;
		out[o++] = c;
	}
	out[o] = '\0';
	return true;
}

bool json_get_uint(const char *text, const struct json_tok *t, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (t->type != JSON_NUMBER || t->start == t->end)
		return false;
	for (uint32_t i = t->start; i < t->end; i++) {
		unsigned d = (unsigned)(text[i] - '0');

		if (d > 9 || d > max || v > (max - d) / 10)
			return false; /* a sign, fraction, exponent, or too big */
		v = v * 10 + d;
	}
	*out = v;
	return true;
}
