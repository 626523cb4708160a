/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The migrating guest dirtying faster than the link carries, with a
 * heartbeat every 2 ms (bench/converge.py): 320 pages every 10 ms
 * (125 MiB/s) of a 256 MiB area, for a 512 MiB VM; each beat checks an
 * eighth of the area. Between its deadlines it waits in WFI, as an
 * operating system idles (downtime_fast_spins.c polls its counter instead).
 */
#define AREA_PAGES     65536u
#define PAGES_PER_PACE 320u
#define CHECK_SHARES   8u
#ifndef GUEST_NAME
#define GUEST_NAME "downtime_fast"
#define SLEEPS	   1u
#endif
#define HEARTBEAT_US 2000u
#define RUN_MS	     70000u
#include "tests/guests/migrating.c"
