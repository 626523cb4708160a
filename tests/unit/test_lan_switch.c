/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The guests' LAN switch: group frames and unknown destinations flood,
 * learned ones go to one port, a station that moves (a migrated VM's
 * announcement) moves, a port that leaves is forgotten, stations age out,
 * a full table makes room, runts and closed ports are dropped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tools/ferry/lan_switch.h"

static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t mac_a[6] = { 0x52, 0x54, 0, 0, 0, 0xa };
static const uint8_t mac_b[6] = { 0x52, 0x54, 0, 0, 0, 0xb };
static const uint8_t mac_c[6] = { 0x52, 0x54, 0, 0, 0, 0xc };

static struct lan_switch sw;

static uint32_t frame(unsigned in, const uint8_t *dst, const uint8_t *src, uint64_t t)
{
	uint8_t f[60] = { 0 };

	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	return lan_switch_frame(&sw, in, f, sizeof(f), t);
}

static void three_ports(void)
{
	lan_switch_init(&sw);
	for (unsigned p = 0; p < 3; p++)
		lan_switch_port(&sw, p, true);
}

static void test_learns_and_filters(void **state)
{
	(void)state;
	three_ports();
	/* Broadcast and an unknown unicast: every other port. */
	assert_int_equal(frame(1, bcast, mac_a, 1), 1u << 0 | 1u << 2);
	assert_int_equal(frame(0, mac_c, mac_b, 2), 1u << 1 | 1u << 2);
	/* Learned: one port each way. */
	assert_int_equal(frame(2, mac_a, mac_c, 3), 1u << 1);
	assert_int_equal(frame(1, mac_b, mac_a, 4), 1u << 0);
	assert_int_equal(frame(0, mac_c, mac_b, 5), 1u << 2);
	/* A destination on the port the frame came from: nowhere. */
	assert_int_equal(frame(1, mac_a, mac_a, 6), 0);
	assert_int_equal(sw.moves, 0);
}

static void test_a_station_moves(void **state)
{
	(void)state;
	three_ports();
	assert_int_equal(frame(1, bcast, mac_a, 1), 1u << 0 | 1u << 2);
	assert_int_equal(frame(0, mac_a, mac_b, 2), 1u << 1);
	/* The VM starts behind port 2 and announces itself: frames follow it. */
	assert_int_equal(frame(2, bcast, mac_a, 3), 1u << 0 | 1u << 1);
	assert_int_equal(sw.moves, 1);
	assert_int_equal(frame(0, mac_a, mac_b, 4), 1u << 2);
}

/* A source with the group bit is never learned: probes that leave the table as it is. */
static const uint8_t probe[6] = { 0x03, 0, 0, 0, 0, 1 };

static void test_ports_leave_and_stations_age(void **state)
{
	(void)state;
	three_ports();
	frame(2, bcast, mac_a, 1);
	lan_switch_port(&sw, 2, false);
	/* Forgotten with its port: flooded to the ports still there. */
	assert_int_equal(frame(0, mac_a, probe, 2), 1u << 1);
	/* Nothing comes in on a port that left, or one that never was. */
	assert_int_equal(frame(2, bcast, mac_c, 3), 0);
	assert_int_equal(frame(LAN_PORTS_MAX, bcast, mac_c, 3), 0);
	lan_switch_port(&sw, 2, true);
	assert_int_equal(frame(0, mac_a, probe, 4), 1u << 1 | 1u << 2);
	/* Aged out: a station heard from too long ago is flooded to again. */
	frame(1, bcast, mac_c, 10);
	assert_int_equal(frame(0, mac_c, probe, 10 + LAN_AGEING_NS), 1u << 1);
	assert_int_equal(frame(0, mac_c, probe, 11 + LAN_AGEING_NS), 1u << 1 | 1u << 2);
}

static void test_runts_and_a_full_table(void **state)
{
	uint8_t runt[LAN_HEADER_BYTES - 1] = { 0 };
	uint8_t mac[6] = { 0x52, 0x54, 0, 0, 0, 0 };

	(void)state;
	three_ports();
	assert_int_equal(lan_switch_frame(&sw, 1, runt, sizeof(runt), 1), 0);
	assert_int_equal(sw.frames_dropped, 1);
	/* As many stations as the table holds, the first heard from longest ago. */
	for (unsigned i = 0; i < LAN_STATIONS_MAX; i++) {
		mac[4] = (uint8_t)(i >> 8);
		mac[5] = (uint8_t)i;
		frame(1, bcast, mac, 100 + i);
	}
	mac[4] = mac[5] = 0;
	assert_int_equal(frame(0, mac, probe, 1000), 1u << 1);
	/* One more makes room: the oldest goes, and is flooded to again. */
	mac[4] = 1;
	frame(2, bcast, mac, 2000);
	assert_int_equal(frame(0, mac, probe, 2001), 1u << 2);
	mac[4] = 0;
	assert_int_equal(frame(0, mac, probe, 2002), 1u << 1 | 1u << 2);
	mac[5] = 1;
	assert_int_equal(frame(0, mac, probe, 2003), 1u << 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_learns_and_filters),
		cmocka_unit_test(test_a_station_moves),
		cmocka_unit_test(test_ports_leave_and_stations_age),
		cmocka_unit_test(test_runts_and_a_full_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
