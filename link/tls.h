/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The encrypted link between two boards (shared/design.md section 4): TLS
 * 1.3 by mbedtls with mutual authentication always on, either by a
 * pre-shared key with an ephemeral ECDHE share (psk_dhe_ke) or by
 * certificates of a CA both boards trust (ECDSA on P-256), the peer's
 * identity checked in both modes; records in AES-128-GCM or
 * ChaCha20-Poly1305. There is no plaintext mode and no older TLS.
 * The same code runs on the board (over lwIP) and on the host (over a
 * socket).
 */
#ifndef LINK_TLS_H
#define LINK_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "link/link_io.h"

enum link_auth { LINK_AUTH_PSK, LINK_AUTH_CERT };

/** The AEAD of the link's records: both offered, or only one (docs/link.md). */
enum link_cipher {
	LINK_CIPHER_ANY,      /**< the default: both, ChaCha20-Poly1305 first */
	LINK_CIPHER_CHACHA20, /**< ChaCha20-Poly1305 only */
	LINK_CIPHER_AES_GCM,  /**< AES-128-GCM only */
};

#define LINK_NAME_MAX 64
#define LINK_PSK_MAX  64

/** What a board knows to authenticate itself and its peer (docs/link.md). */
struct link_creds {
	enum link_auth auth;
	enum link_cipher cipher;
	char identity[LINK_NAME_MAX]; /**< this board: PSK identity or certificate CN */
	char peer[LINK_NAME_MAX];     /**< the only peer it accepts */
	uint8_t psk[LINK_PSK_MAX];
	size_t psk_len;
	const char *ca_pem, *cert_pem, *key_pem; /**< certificate mode, NUL-terminated */
};

struct link_tls;

/**
 * Runs the handshake over io, as the server (the board that listens) or
 * the client. NULL with the reason in err (naming what the peer did wrong,
 * or what is wrong with the credentials) when it fails or times out.
 */
struct link_tls *link_tls_open(const struct link_creds *creds, bool server, struct link_io io,
			       unsigned timeout_ms, char *err, size_t err_size);

/** Sends all of buf: 0, or -1 (err set) when the link broke or timed out. */
int link_tls_send(struct link_tls *t, const void *buf, size_t len, unsigned timeout_ms);

/** Receives exactly len bytes: 0, -1 broken or forged (err set), -2 timed out. */
int link_tls_recv(struct link_tls *t, void *buf, size_t len, unsigned timeout_ms);

/** 1 when decrypted bytes wait, 0 none within timeout_ms, -1 broken. */
int link_tls_wait(struct link_tls *t, unsigned timeout_ms);

/** Why the link failed last. */
const char *link_tls_error(const struct link_tls *t);

/** The suite agreed in the handshake ("TLS1-3-CHACHA20-POLY1305-SHA256"). */
const char *link_tls_suite(const struct link_tls *t);

/** Sends close_notify (unless the link failed: then its alert went) and frees everything. */
void link_tls_close(struct link_tls *t);

#endif
