/* SPDX-License-Identifier: Apache-2.0 */
/**
 * A board's link configuration (fw_cfg file opt/ferry/link, docs/link.md),
 * `key=value` text:
 *
 *     auth=psk                 psk | cert
 *     identity=board-a         this board (PSK identity, certificate CN)
 *     peer=board-b             the only peer it accepts
 *     psk=<32-64 hex digits>   psk mode; the key itself
 *     cipher=any               any (both, ChaCha20 first) | chacha20 | aes-gcm
 *     ip=10.0.0.1/24           this board's address and prefix
 *     peer_ip=10.0.0.2
 *     port=4433
 *     role=listen              listen | connect
 *     timeout_ms=5000          handshake and stall limit
 *     liveness_ms=2000         a silent peer is reported after this long
 *
 * In cert mode the CA, the board's certificate and key come as PEM files
 * (opt/ferry/link-ca, link-cert, link-key). Outside input: every value is
 * checked.
 */
#ifndef LINK_LINK_CONFIG_H
#define LINK_LINK_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "link/tls.h"

struct link_config {
	struct link_creds creds;
	uint32_t ip, netmask, peer_ip; /**< host byte order */
	uint16_t port;
	bool listen;
	unsigned timeout_ms, liveness_ms;
};

bool link_config_parse(const char *text, size_t len, struct link_config *cfg, char *err,
		       size_t err_size);

/** "a.b.c.d" into a host-order address. */
bool link_parse_ipv4(const char *s, size_t len, uint32_t *out);

#endif
