/* SPDX-License-Identifier: Apache-2.0 */
/** The LAN's learning switch, see lan_switch.h. */
#include "tools/ferry/lan_switch.h"

#include <string.h>

void lan_switch_init(struct lan_switch *sw) { memset(sw, 0, sizeof(*sw)); }

void lan_switch_port(struct lan_switch *sw, unsigned p, bool up)
{
	if (p >= LAN_PORTS_MAX)
		return;
	sw->port_up[p] = up;
	if (up)
		return;
	for (unsigned i = 0; i < LAN_STATIONS_MAX; i++)
		if (sw->stations[i].used && sw->stations[i].port == p)
			sw->stations[i].used = false;
}

static bool is_group(const uint8_t *mac) { return mac[0] & 1; } /* I/G bit, IEEE 802 */

static struct lan_station *find(struct lan_switch *sw, const uint8_t *mac, uint64_t now_ns)
{
	for (unsigned i = 0; i < LAN_STATIONS_MAX; i++) {
		struct lan_station *st = &sw->stations[i];

		if (!st->used || memcmp(st->mac, mac, 6))
			continue;
		if (now_ns - st->seen_ns > LAN_AGEING_NS) {
			st->used = false;
			return NULL;
		}
		return st;
	}
	return NULL;
}

/* The source heard on `port`: a station that moved (a migrated VM) moves with it. */
static void learn(struct lan_switch *sw, const uint8_t *mac, unsigned port, uint64_t now_ns)
{
	struct lan_station *st = find(sw, mac, now_ns), *oldest = &sw->stations[0];

	if (!st) {
		for (unsigned i = 0; i < LAN_STATIONS_MAX && !st; i++) {
			if (!sw->stations[i].used)
				st = &sw->stations[i];
			else if (sw->stations[i].seen_ns < oldest->seen_ns)
				oldest = &sw->stations[i];
		}
		st = st ? st : oldest;
		memcpy(st->mac, mac, 6);
		st->used = true;
	} else if (st->port != port) {
		sw->moves++;
	}
	st->port = (uint8_t)port;
	st->seen_ns = now_ns;
}

uint32_t lan_switch_frame(struct lan_switch *sw, unsigned in, const uint8_t *frame, size_t len,
			  uint64_t now_ns)
{
	const struct lan_station *to;
	uint32_t all = 0;

	sw->frames_in++;
	if (in >= LAN_PORTS_MAX || !sw->port_up[in] || len < LAN_HEADER_BYTES) {
		sw->frames_dropped++;
		return 0;
	}
	if (!is_group(frame + 6))
		learn(sw, frame + 6, in, now_ns);
	for (unsigned p = 0; p < LAN_PORTS_MAX; p++)
		if (sw->port_up[p] && p != in)
			all |= 1u << p;
	if (is_group(frame))
		return all;
	to = find(sw, frame, now_ns);
	if (!to)
		return all;
	return to->port == in ? 0 : 1u << to->port;
}
