/* SPDX-License-Identifier: Apache-2.0 */
/**
 * A numbered UDP datagram every millisecond to a guest's echo service (the
 * demo's Linux answers on port 7 through `ferry lan`'s forward), its
 * answers counted by number: what a migration did to the guest's network
 * as a client sees it.
 */
#ifndef TOOLS_FERRY_UDP_FLOW_H
#define TOOLS_FERRY_UDP_FLOW_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define UDP_FLOW_MAX 600000u /* ten minutes of it */

struct udp_flow {
	int fd;
	pthread_t sender, receiver;
	volatile bool stop, stop_rx;
	uint32_t sent;
	uint8_t *answers; /**< per number: how often answered (saturating) */
	uint64_t last_answer_us, longest_gap_us;
};

struct udp_flow_result {
	uint32_t sent, answered_once, lost, twice;
	uint64_t longest_gap_us; /**< the longest wait between two answers */
};

/** Starts it towards 127.0.0.1:port; false with err. */
bool udp_flow_start(struct udp_flow *f, int port, char *err, size_t err_size);

/** Stops sending, waits for late answers (`drain_ms`), counts. */
void udp_flow_stop(struct udp_flow *f, unsigned drain_ms, struct udp_flow_result *r);

#endif
