/* SPDX-License-Identifier: Apache-2.0 */
/**
 * A scripted peer for the migration engine's host tests: one end of a
 * socketpair that sends exactly the records a test writes, in any order a
 * hostile board could choose, and reads what the engine answers. The
 * engine under test runs in a thread on the other end.
 */
#ifndef TESTS_SUPPORT_SCRIPT_PEER_H
#define TESTS_SUPPORT_SCRIPT_PEER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "mig/engine.h"

struct script_peer {
	int fd;		       /**< the script's end */
	int peer_fd;	       /**< the engine's end */
	struct mig_channel ch; /**< the engine's channel */
	pthread_t thread;
	uint8_t *buf; /**< MIG_RECORD_MAX: the last record read */
	struct mig_record rec;
	char text[256]; /**< the last REFUSE or ERROR text */
	/* the engine in its thread: a destination serving one link, or a source */
	struct mig_dest *dest;
	struct mig_source *source;
	bool reconnect;	      /**< the source reconnects rather than runs */
	enum mig_state state; /**< what the engine returned */
};

/** Serves one link of destination d in a thread, against the script. */
void script_serve_dest(struct script_peer *p, struct mig_dest *d);

/** Runs source s (or its reconnection) in a thread, against the script. */
void script_run_source(struct script_peer *p, struct mig_source *s, bool reconnect);

/** Sends one record; false when the engine hung up. */
bool script_send(struct script_peer *p, uint16_t type, uint16_t flags, const void *payload,
		 uint32_t len);

/** Reads the next record into p->rec (text records also into p->text); false on a hang-up. */
bool script_read(struct script_peer *p, unsigned timeout_ms);

/** Reads records until one of `type` comes; false when another came first or none. */
bool script_expect(struct script_peer *p, uint16_t type);

/** Hangs up, waits for the engine's thread, returns its state. */
enum mig_state script_end(struct script_peer *p);

/** A HELLO payload of hello into buf; its length. */
uint32_t script_hello(uint8_t *buf, uint32_t size, const struct mig_hello *hello);

#endif
