/* SPDX-License-Identifier: Apache-2.0 */
/**
 * Two ends of the TLS link on the host for tests: credentials made with
 * creds_make into a temporary folder and loaded back as a board would, and
 * a server thread against a client over a socketpair, optionally through
 * a relay that flips a byte or goes silent.
 */
#ifndef TESTS_SUPPORT_LINK_PAIR_H
#define TESTS_SUPPORT_LINK_PAIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "link/link_config.h"

/** A board's credentials as loaded from its folder (link.conf and PEM files). */
struct board_creds {
	struct link_config cfg;
	char ca[4096], cert[4096], key[4096];
};

/** Loads dir/board; false with err. */
bool board_creds_load(const char *dir, const char *board, struct board_creds *bc, char *err,
		      size_t err_size);

enum relay_fault { RELAY_NONE, RELAY_FLIP_BYTE, RELAY_GO_SILENT };

struct link_pair_result {
	bool server_ok, client_ok; /**< handshake and transfer */
	char server_error[160], client_error[160];
	char suite[80];
	unsigned long long bytes;
};

/**
 * Server (listener) with s, client with c, moving `bytes` from client to
 * server with a checksum check; `plaintext_client` replaces the client by
 * one that writes plain bytes. The relay applies `fault` after `after` bytes.
 */
void link_pair_run(struct board_creds *s, struct board_creds *c, size_t bytes,
		   bool plaintext_client, enum relay_fault fault, size_t after,
		   struct link_pair_result *r);

/**
 * One real end (the server when `server`) with bc against a scripted peer
 * that sends `say` (after reading the real client's hello) and keeps what
 * comes back, up to heard_size bytes, until the real end closes or is
 * silent for the timeout.
 */
void link_pair_scripted(struct board_creds *bc, bool server, const uint8_t *say, size_t len,
			struct link_pair_result *r, uint8_t *heard, size_t heard_size,
			size_t *heard_len);

#endif
