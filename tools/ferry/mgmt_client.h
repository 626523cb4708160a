/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The host end of a board's management channel (docs/management.md): a
 * unix socket QEMU listens on; JSON lines in both directions.
 */
#ifndef TOOLS_FERRY_MGMT_CLIENT_H
#define TOOLS_FERRY_MGMT_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/json.h"

#define MGMT_CLIENT_LINE_MAX 4096
#define MGMT_CLIENT_TOKENS   256

struct mgmt_client {
	int fd;
	char buf[2 * MGMT_CLIENT_LINE_MAX];
	size_t len;
	/* The last line read, and its tokens. */
	char line[MGMT_CLIENT_LINE_MAX];
	struct json_tok toks[MGMT_CLIENT_TOKENS];
	int count;    /**< its tokens; 0: no line (yet) */
	bool greeted; /**< the board greeted this client (QMP) */
};

/**
 * The management token to give a board that asks for it, from this file
 * (ferry run --mgmt-token, for its own board); without, the file
 * FERRY_MGMT_TOKEN_FILE names.
 */
void mgmt_client_use_token(const char *path);

/**
 * The token file of the board at this management socket (a command that
 * reaches two boards, each with its own token), before the default above;
 * once one is given, FERRY_MGMT_TOKEN_FILE's goes to no other board.
 * False when too many are given.
 */
bool mgmt_client_token_for(const char *socket, const char *file);

/**
 * Connects, retrying for up to timeout_ms while the board starts, waits for
 * its greeting and negotiates (QMP); false with err.
 */
bool mgmt_client_open(struct mgmt_client *c, const char *path, unsigned timeout_ms, char *err,
		      size_t err_size);
void mgmt_client_close(struct mgmt_client *c);

/** Sends one command line (a JSON object, without the newline). */
bool mgmt_client_send(struct mgmt_client *c, const char *json);

/**
 * The next line (JSON) within timeout_ms: 1, 0 on timeout, -1 when the board
 * closed the channel or sent something that is not JSON (err says).
 */
int mgmt_client_next(struct mgmt_client *c, int timeout_ms, char *err, size_t err_size);

/** In the last line: the value of key in the object at token obj (0: the top); -1 if none. */
int mgmt_client_get(const struct mgmt_client *c, int obj, const char *key);
/** A string value ("" when absent), and a number (0 when absent). */
const char *mgmt_client_str(const struct mgmt_client *c, int obj, const char *key, char *out,
			    size_t size);
unsigned long long mgmt_client_u64(const struct mgmt_client *c, int obj, const char *key);

/**
 * Runs one command and waits for its answer (events before it are passed
 * to on_event if given); true on "return", false with the board's error.
 */
bool mgmt_client_command(struct mgmt_client *c, const char *json, int timeout_ms,
			 void (*on_event)(void *ctx, struct mgmt_client *c), void *ctx, char *err,
			 size_t err_size);

#endif
