/* SPDX-License-Identifier: Apache-2.0 */
/** VM configuration records, see vm_config.h. */
#include "lib/vm_config.h"

#include <string.h>

#include "lib/format.h"
#include "lib/kv_text.h"

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

static bool set_name(void *obj, const char *val, size_t len, char *why, size_t n)
{
	struct vm_config *cfg = obj;

	if (!valid_name(val, len)) {
		format_snprintf(why, n, "name must be 1-%d letters, digits, '-' or '_'",
				VM_NAME_MAX - 1);
		return false;
	}
	memcpy(cfg->name, val, len);
	cfg->name[len] = '\0';
	return true;
}

static bool set_mem(void *obj, const char *val, size_t len, char *why, size_t n)
{
	struct vm_config *cfg = obj;

	/* 2 MiB multiples: guest RAM is carved in 2 MiB-aligned runs. */
	if (!vm_config_parse_size(val, len, &cfg->mem_bytes) || cfg->mem_bytes < VM_MEM_MIN ||
	    cfg->mem_bytes % (2ull << 20)) {
		format_snprintf(why, n,
				"mem must be a multiple of 2M and at least 16M (like 256M)");
		return false;
	}
	return true;
}

static bool set_vcpus(void *obj, const char *val, size_t len, char *why, size_t n)
{
	struct vm_config *cfg = obj;

	if (!kv_parse_uint(val, len, VM_VCPU_MAX, &cfg->vcpu_count) || cfg->vcpu_count == 0) {
		format_snprintf(why, n, "vcpus must be 1 to %d", VM_VCPU_MAX);
		return false;
	}
	return true;
}

static bool set_cmdline(void *obj, const char *val, size_t len, char *why, size_t n)
{
	struct vm_config *cfg = obj;

	if (len >= VM_CMDLINE_MAX) {
		format_snprintf(why, n, "cmdline is longer than %d bytes", VM_CMDLINE_MAX - 1);
		return false;
	}
	memcpy(cfg->cmdline, val, len);
	cfg->cmdline[len] = '\0';
	return true;
}

/* Six octets "52:54:00:12:34:56"; a group address (IEEE 802 bit 0 of the first) is no NIC's. */
static bool set_mac(void *obj, const char *val, size_t len, char *why, size_t n)
{
	struct vm_config *cfg = obj;
	bool zero = true;

	for (unsigned i = 0; i < 6 && len == 17; i++) {
		int hi = kv_hex_digit(val[3 * i]), lo = kv_hex_digit(val[3 * i + 1]);

		if (hi < 0 || lo < 0 || (i < 5 && val[3 * i + 2] != ':'))
			break;
		cfg->mac[i] = (uint8_t)(hi << 4 | lo);
		zero &= !cfg->mac[i];
		if (i == 5 && !zero && !(cfg->mac[0] & 1)) {
			cfg->has_nic = true;
			return true;
		}
	}
	format_snprintf(why, n, "mac must be a unicast address like 52:54:00:12:34:56");
	return false;
}

static const struct kv_key keys[] = {
	{ "name", set_name },	    { "mem", set_mem }, { "vcpus", set_vcpus },
	{ "cmdline", set_cmdline }, { "mac", set_mac },
};

bool vm_config_parse(const char *text, size_t len, struct vm_config *cfg, char *err,
		     size_t err_size)
{
	memset(cfg, 0, sizeof(*cfg));
	memcpy(cfg->name, "vm0", 4);
	cfg->mem_bytes = 256ull << 20;
	cfg->vcpu_count = 1;
	return kv_text_parse(text, len, keys, sizeof(keys) / sizeof(keys[0]), LINE_MAX_LEN, cfg,
			     "vm config", err, err_size);
}
