/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The guests' LAN between emulated boards: a learning Ethernet switch.
 * Each port is a board's LAN device (a QEMU `-netdev stream` client) or
 * the host's endpoint; a frame goes to the port its destination MAC was
 * last seen on, and to every other port while that is not known or for a
 * group address (IEEE 802.1D, 7.8 and 7.9: learning and filtering). A
 * migrated VM's MAC moves to the destination's port by the frame the
 * destination sends when the VM starts there (docs/guest-view.md).
 */
#ifndef TOOLS_FERRY_LAN_SWITCH_H
#define TOOLS_FERRY_LAN_SWITCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Ports a switch joins: the host's endpoint and boards. */
#define LAN_PORTS_MAX 16u
/** Stations it remembers; the one seen longest ago makes room. */
#define LAN_STATIONS_MAX 256u
/** A station not heard from for this long is forgotten (802.1D's default ageing time). */
#define LAN_AGEING_NS (300ull * 1000000000ull)
/** Ethernet header: destination, source, type. */
#define LAN_HEADER_BYTES 14u

struct lan_station {
	uint8_t mac[6];
	uint8_t port;
	bool used;
	uint64_t seen_ns;
};

struct lan_switch {
	bool port_up[LAN_PORTS_MAX];
	struct lan_station stations[LAN_STATIONS_MAX];
	uint64_t frames_in, frames_dropped, moves;
};

void lan_switch_init(struct lan_switch *sw);

/** Port `p` joins (true) or leaves (false); a port that leaves is forgotten as a station's. */
void lan_switch_port(struct lan_switch *sw, unsigned p, bool up);

/**
 * A frame came in on port `in` at `now_ns`: learns its source, and returns
 * the ports it goes to, one bit each (0: none, as for a runt frame or one
 * whose destination is on the port it came from).
 */
uint32_t lan_switch_frame(struct lan_switch *sw, unsigned in, const uint8_t *frame, size_t len,
			  uint64_t now_ns);

#endif
