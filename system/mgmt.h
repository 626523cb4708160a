/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The board's management protocol (docs/management.md): QEMU's QMP. A
 * client is greeted, negotiates (qmp_capabilities, with the board's token
 * when it has one), then each {"execute": NAME, "arguments": {...}, "id":
 * ID} is answered with {"return": {...}, "id": ID} or {"error": {"class":
 * ..., "desc": ...}, "id": ID}; events {"event": NAME, "data": {...},
 * "timestamp": {...}} come whenever something happens. This file is the
 * protocol only: the board's actions are behind mgmt_ops (system/control.c on
 * the board, fakes in host tests), so it runs and is fuzzed on the host.
 */
#ifndef SYSTEM_MGMT_H
#define SYSTEM_MGMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/json_out.h"

#define MGMT_LINE_MAX  1024u
#define MGMT_REPLY_MAX 2048u
/* Events kept while no client is connected, delivered on connect (oldest dropped first). */
#define MGMT_PENDING_MAX 16u
#define MGMT_EVENT_MAX	 512u
/* A management token (ferry creds): 32 random bytes as 64 hex digits. */
#define MGMT_TOKEN_LEN 64u

struct mgmt_migrate_args {
	char peer[32];
	bool postcopy;
	bool confirmed;		    /**< switchover "confirmed" (RUN after PONG), else one flight */
	bool switchover_given;	    /**< else the board's default */
	uint64_t downtime_limit_ms; /**< 0: the board's default */
	uint64_t max_bandwidth;	    /**< bytes/s, as QMP's; 0: as fast as the link goes */
	uint64_t postcopy_after_rounds; /**< postcopy: precopy rounds first */
	/** The word given ("throttle", "postcopy", "fail": checked by the board), "" when none. */
	char on_no_convergence[16];
	/** mode "protect" (docs/protection.md): the peer becomes the VM's standby. */
	bool protect;
	uint64_t epoch_ms, lease_ms;	 /**< protection: 0 for the board's defaults */
	bool manual;			 /**< protection: takeover "manual" (else "auto") */
	bool reprotect, reprotect_given; /**< protection: "reprotect" (docs/protection.md) */
};

struct mgmt_ops {
	/** Sends text (one or more whole lines) to the host. */
	void (*write)(void *ctx, const char *text, size_t len);
	uint64_t (*now_us)(void *ctx);
	/* The commands: false with a reason (err) when refused; *ret gets the "return" members. */
	bool (*migrate)(void *ctx, const struct mgmt_migrate_args *a, char *err, size_t n);
	bool (*migrate_cancel)(void *ctx, char *err, size_t n);
	/**
	 * A migration in doubt: ask the peer again now (force NULL), or the
	 * operator's verdict: force "source", "destination" or "lost".
	 */
	bool (*migrate_resolve)(void *ctx, const char *force, char *err, size_t n);
	/** A paused postcopy: try to recover it now. */
	bool (*migrate_recover)(void *ctx, char *err, size_t n);
	void (*query_migrate)(void *ctx, struct json_out *ret);
	void (*query_vms)(void *ctx, struct json_out *ret);
	/** QMP's query-status: "running", "status" and Ferry's own "vm-state". */
	void (*query_status)(void *ctx, struct json_out *ret);
	bool (*stop)(void *ctx, char *err, size_t n);
	bool (*cont)(void *ctx, char *err, size_t n);
	/* An empty board (its VM left or ended): wait for one from the peer, boot its own, power
	 * off. */
	bool (*migrate_incoming)(void *ctx, char *err, size_t n);
	bool (*vm_boot)(void *ctx, char *err, size_t n);
	bool (*quit)(void *ctx, char *err, size_t n);
	/** Optional: migrate-set-parameters reaches a migration under way too. */
	void (*set_parameters)(void *ctx, uint64_t downtime_limit_ms, uint64_t max_bandwidth);
};

struct mgmt {
	const struct mgmt_ops *ops;
	void *ctx;
	char line[MGMT_LINE_MAX];
	size_t len;
	bool discarding; /**< the line grew too long: dropped up to its end */
	/* Where a command's JSON stands: QMP frames by JSON itself, not by newlines. */
	unsigned depth; /**< open objects and arrays */
	bool in_string, escaped;
	uint64_t commands, errors;
	bool connected; /**< a client listens (mgmt_init: yes, until told otherwise) */
	char pending[MGMT_PENDING_MAX][MGMT_EVENT_MAX];
	uint16_t pending_len[MGMT_PENDING_MAX];
	unsigned pending_head, pending_count;
	uint64_t events_dropped; /**< kept events pushed out by newer ones */
	const char *package;	 /**< this board's version, from mgmt_connected */
	/**
	 * QMP's command mode (QMP specification, section 4): reached by
	 * qmp_capabilities after the greeting; events wait until then.
	 */
	bool negotiated;
	char token[MGMT_TOKEN_LEN + 1]; /**< qmp_capabilities must carry it; "" when none */
	/* migrate-set-parameters: what a migrate without them uses (0: the board's default). */
	uint64_t downtime_limit_ms, max_bandwidth;
};

void mgmt_init(struct mgmt *m, const struct mgmt_ops *ops, void *ctx);

/**
 * Bytes from the host: each command is answered at once. A command ends with
 * its line, or where its JSON object closes (QMP clients send no newline).
 */
void mgmt_input(struct mgmt *m, const char *bytes, size_t len);

/**
 * An event: mgmt_event_begin opens {"event": name, "data": {; the caller adds
 * the data's members to *o; mgmt_event_send closes and sends it.
 */
void mgmt_event_begin(struct mgmt *m, struct json_out *o, char *buf, size_t size, const char *name);
void mgmt_event_send(struct mgmt *m, struct json_out *o);

/**
 * A client connected (QMP section 2.2: it is greeted with `package`, this
 * board's version, then gets the events kept meanwhile), or left (events
 * are kept, at most MGMT_PENDING_MAX, and a line it left half-written is
 * dropped).
 */
void mgmt_connected(struct mgmt *m, bool connected, const char *package);

/**
 * From now on a client must give this token (MGMT_TOKEN_LEN hex digits) as
 * qmp_capabilities' "ferry-token" before any other command; false when it
 * is not such a token.
 */
bool mgmt_require_token(struct mgmt *m, const char *token);

#endif
