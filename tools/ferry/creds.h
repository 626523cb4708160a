/* SPDX-License-Identifier: Apache-2.0 */
/**
 * Credentials for a pair of boards (docs/link.md): a pre-shared key, or a
 * small CA with one certificate a board. Each board gets a folder with its
 * link.conf (and, in cert mode, ca.crt, board.crt, board.key); the CA's
 * own key stays in the top folder.
 */
#ifndef TOOLS_FERRY_CREDS_H
#define TOOLS_FERRY_CREDS_H

#include <stdbool.h>
#include <stddef.h>

/** Writes the credentials of boards a and b under dir; false with err. */
bool creds_make(const char *dir, bool cert_mode, const char *a, const char *b, char *err,
		size_t err_size);

#endif
