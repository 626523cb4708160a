/* SPDX-License-Identifier: Apache-2.0 */
/** VM configuration records, see vm_config.h. */
#include "hyp/vm_config.h"

#include <string.h>

#include "hyp/format.h"

#define LINE_MAX_LEN (VM_CMDLINE_MAX + 16)

bool vm_config_parse_size(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0, mult = 1;
	size_t i = 0;

	if (len == 0)
		return false;
	switch (s[len - 1]) {
	case 'K':
	case 'k':
		mult = 1ull << 10;
		len--;
		break;
	case 'M':
	case 'm':
		mult = 1ull << 20;
		len--;
		break;
	case 'G':
	case 'g':
		mult = 1ull << 30;
		len--;
		break;
	default:
		break;
	}
	if (len == 0)
		return false;
	for (; i < len; i++) {
		if (s[i] < '0' || s[i] > '9' || v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > UINT64_MAX / mult)
		return false;
	*out = v * mult;
	return true;
}

static bool parse_uint(const char *s, size_t len, unsigned max, unsigned *out)
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

static bool valid_name(const char *s, size_t len)
{
	if (len == 0 || len >= VM_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return false;
	}
	return true;
}

static bool set_name(struct vm_config *cfg, const char *val, size_t len, char *why, size_t n)
{
	if (!valid_name(val, len)) {
		format_snprintf(why, n, "name must be 1-%d letters, digits, '-' or '_'",
				VM_NAME_MAX - 1);
		return false;
	}
	memcpy(cfg->name, val, len);
	cfg->name[len] = '\0';
	return true;
}

static bool set_mem(struct vm_config *cfg, const char *val, size_t len, char *why, size_t n)
{
	/* 2 MiB multiples: guest RAM is carved in 2 MiB-aligned runs. */
	if (!vm_config_parse_size(val, len, &cfg->mem_bytes) || cfg->mem_bytes < VM_MEM_MIN ||
	    cfg->mem_bytes % (2ull << 20)) {
		format_snprintf(why, n,
				"mem must be a multiple of 2M and at least 16M (like 256M)");
		return false;
	}
	return true;
}

static bool set_vcpus(struct vm_config *cfg, const char *val, size_t len, char *why, size_t n)
{
	if (!parse_uint(val, len, VM_VCPU_MAX, &cfg->vcpu_count) || cfg->vcpu_count == 0) {
		format_snprintf(why, n, "vcpus must be 1 to %d", VM_VCPU_MAX);
		return false;
	}
	return true;
}

static bool set_cmdline(struct vm_config *cfg, const char *val, size_t len, char *why, size_t n)
{
	if (len >= VM_CMDLINE_MAX) {
		format_snprintf(why, n, "cmdline is longer than %d bytes", VM_CMDLINE_MAX - 1);
		return false;
	}
	memcpy(cfg->cmdline, val, len);
	cfg->cmdline[len] = '\0';
	return true;
}

struct key_handler {
	const char *key;
	bool (*set)(struct vm_config *cfg, const char *val, size_t len, char *why, size_t n);
};

static const struct key_handler key_handlers[] = {
	{ "name", set_name },
	{ "mem", set_mem },
	{ "vcpus", set_vcpus },
	{ "cmdline", set_cmdline },
};

#define KEY_COUNT (sizeof(key_handlers) / sizeof(key_handlers[0]))

static int find_key(const char *key, size_t len)
{
	for (unsigned i = 0; i < KEY_COUNT; i++)
		if (strlen(key_handlers[i].key) == len &&
		    memcmp(key_handlers[i].key, key, len) == 0)
			return (int)i;
	return -1;
}

bool vm_config_parse(const char *text, size_t len, struct vm_config *cfg, char *err,
		     size_t err_size)
{
	unsigned seen = 0, line_no = 0;
	size_t pos = 0;

	memset(cfg, 0, sizeof(*cfg));
	memcpy(cfg->name, "vm0", 4);
	cfg->mem_bytes = 256ull << 20;
	cfg->vcpu_count = 1;

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
			format_snprintf(err, err_size, "vm config line %u: contains a NUL byte",
					line_no);
			return false;
		}
		if (n == 0 || line[0] == '#')
			continue;
		if (n > LINE_MAX_LEN) {
			format_snprintf(err, err_size, "vm config line %u: longer than %d bytes",
					line_no, LINE_MAX_LEN);
			return false;
		}
		eq = memchr(line, '=', n);
		if (!eq) {
			format_snprintf(err, err_size, "vm config line %u: expected key=value",
					line_no);
			return false;
		}
		key_len = (size_t)(eq - line);
		k = find_key(line, key_len);
		if (k < 0) {
			format_snprintf(err, err_size, "vm config line %u: unknown key '%.*s'",
					line_no, (int)(key_len > 32 ? 32 : key_len), line);
			return false;
		}
		/* Each key once: a repeated key is a mistake, not an override. */
		if (seen & (1u << k)) {
			format_snprintf(err, err_size, "vm config line %u: '%s' given twice",
					line_no, key_handlers[k].key);
			return false;
		}
		seen |= 1u << k;
		if (!key_handlers[k].set(cfg, eq + 1, n - key_len - 1, why, sizeof(why))) {
			format_snprintf(err, err_size, "vm config line %u: %s", line_no, why);
			return false;
		}
	}
	return true;
}
