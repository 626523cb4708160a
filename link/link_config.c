/* SPDX-License-Identifier: Apache-2.0 */
/** Link configuration records, see link_config.h. */
#include "link/link_config.h"

#include <string.h>

#include "lib/format.h"
#include "lib/kv_text.h"

#define LINE_MAX_LEN 256

static bool is(const char *val, size_t len, const char *word)
{
	return len == strlen(word) && !memcmp(val, word, len);
}

static bool set_auth(void *obj, const char *val, size_t len, char *why, size_t n)
{
	struct link_config *c = obj;

	if (is(val, len, "psk") || is(val, len, "cert")) {
		c->creds.auth = is(val, len, "psk") ? LINK_AUTH_PSK : LINK_AUTH_CERT;
		return true;
	}
	format_snprintf(why, n, "auth must be psk or cert");
	return false;
}

static bool set_cipher(void *obj, const char *val, size_t len, char *why, size_t n)
{
	struct link_config *c = obj;

	if (is(val, len, "any") || is(val, len, "chacha20") || is(val, len, "aes-gcm")) {
		c->creds.cipher = is(val, len, "chacha20")  ? LINK_CIPHER_CHACHA20
				  : is(val, len, "aes-gcm") ? LINK_CIPHER_AES_GCM
							    : LINK_CIPHER_ANY;
		return true;
	}
	format_snprintf(why, n, "cipher must be any, chacha20 or aes-gcm");
	return false;
}

static bool set_name(char *dst, const char *val, size_t len, const char *key, char *why, size_t n)
{
	for (size_t i = 0; i < len; i++) {
		char ch = val[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.'))
			len = 0;
	}
	if (len == 0 || len >= LINK_NAME_MAX) {
		format_snprintf(why, n, "%s must be 1-%d letters, digits, '-', '_' or '.'", key,
				LINK_NAME_MAX - 1);
		return false;
	}
	memcpy(dst, val, len);
	dst[len] = 0;
	return true;
}

static bool set_identity(void *obj, const char *val, size_t len, char *why, size_t n)
{
	return set_name(((struct link_config *)obj)->creds.identity, val, len, "identity", why, n);
}

static bool set_peer(void *obj, const char *val, size_t len, char *why, size_t n)
{
	return set_name(((struct link_config *)obj)->creds.peer, val, len, "peer", why, n);
}

static bool set_psk(void *obj, const char *val, size_t len, char *why, size_t n)
{
	struct link_config *c = obj;

	if (len % 2 || len < 32 || len > 2 * LINK_PSK_MAX) {
		format_snprintf(why, n, "psk must be 32 to %d hex digits (16-%d bytes)",
				2 * LINK_PSK_MAX, LINK_PSK_MAX);
		return false;
	}
	for (size_t i = 0; i < len; i += 2) {
		int hi = kv_hex_digit(val[i]), lo = kv_hex_digit(val[i + 1]);

		if (hi < 0 || lo < 0) {
			format_snprintf(why, n, "psk must be hex digits");
			return false;
		}
		c->creds.psk[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	c->creds.psk_len = len / 2;
	return true;
}

bool link_parse_ipv4(const char *s, size_t len, uint32_t *out)
{
	uint32_t addr = 0;
	size_t pos = 0;

	for (unsigned part = 0; part < 4; part++) {
		size_t start = pos;
		unsigned v;

		while (pos < len && s[pos] != '.')
			pos++;
		if (!kv_parse_uint(s + start, pos - start, 255, &v) || pos - start > 3)
			return false;
		addr = addr << 8 | v;
		if (part < 3 && (pos == len || s[pos] != '.'))
			return false;
		pos++;
	}
	if (pos != len + 1)
		return false;
	*out = addr;
	return true;
}

static bool set_ip(void *obj, const char *val, size_t len, char *why, size_t n)
{
	struct link_config *c = obj;
	const char *slash = memchr(val, '/', len);
	unsigned prefix = 24;

	if (!slash || !link_parse_ipv4(val, (size_t)(slash - val), &c->ip) ||
	    !kv_parse_uint(slash + 1, len - (size_t)(slash - val) - 1, 30, &prefix) || prefix < 8) {
		format_snprintf(why, n, "ip must be an IPv4 address with a prefix (10.0.0.1/24)");
		return false;
	}
	c->netmask = ~0u << (32 - prefix);
	return true;
}

static bool set_peer_ip(void *obj, const char *val, size_t len, char *why, size_t n)
{
	if (!link_parse_ipv4(val, len, &((struct link_config *)obj)->peer_ip)) {
		format_snprintf(why, n, "peer_ip must be an IPv4 address (10.0.0.2)");
		return false;
	}
	return true;
}

static bool set_port(void *obj, const char *val, size_t len, char *why, size_t n)
{
	unsigned v;

	if (!kv_parse_uint(val, len, 65535, &v) || v == 0) {
		format_snprintf(why, n, "port must be 1 to 65535");
		return false;
	}
	((struct link_config *)obj)->port = (uint16_t)v;
	return true;
}

static bool set_role(void *obj, const char *val, size_t len, char *why, size_t n)
{
	if (!is(val, len, "listen") && !is(val, len, "connect")) {
		format_snprintf(why, n, "role must be listen or connect");
		return false;
	}
	((struct link_config *)obj)->listen = is(val, len, "listen");
	return true;
}

static bool set_ms(unsigned *dst, const char *val, size_t len, const char *key, char *why, size_t n)
{
	if (!kv_parse_uint(val, len, 600000, dst) || *dst < 10) {
		format_snprintf(why, n, "%s must be 10 to 600000 milliseconds", key);
		return false;
	}
	return true;
}

static bool set_timeout(void *obj, const char *val, size_t len, char *why, size_t n)
{
	return set_ms(&((struct link_config *)obj)->timeout_ms, val, len, "timeout_ms", why, n);
}

static bool set_liveness(void *obj, const char *val, size_t len, char *why, size_t n)
{
	return set_ms(&((struct link_config *)obj)->liveness_ms, val, len, "liveness_ms", why, n);
}

static const struct kv_key keys[] = {
	{ "auth", set_auth },
	{ "cipher", set_cipher },
	{ "identity", set_identity },
	{ "peer", set_peer },
	{ "psk", set_psk },
	{ "ip", set_ip },
	{ "peer_ip", set_peer_ip },
	{ "port", set_port },
	{ "role", set_role },
	{ "timeout_ms", set_timeout },
	{ "liveness_ms", set_liveness },
};

bool link_config_parse(const char *text, size_t len, struct link_config *cfg, char *err,
		       size_t err_size)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->port = 4433;
	cfg->timeout_ms = 5000;
	cfg->liveness_ms = 2000;
	if (!kv_text_parse(text, len, keys, sizeof(keys) / sizeof(keys[0]), LINE_MAX_LEN, cfg,
			   "link config", err, err_size))
		return false;
	if (!cfg->creds.identity[0] || !cfg->creds.peer[0] || !cfg->ip || !cfg->peer_ip) {
		format_snprintf(err, err_size,
				"link config: identity, peer, ip and peer_ip are required");
		return false;
	}
	if (cfg->creds.auth == LINK_AUTH_PSK && !cfg->creds.psk_len) {
		format_snprintf(err, err_size, "link config: auth=psk needs psk=");
		return false;
	}
	return true;
}
