/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The migrating guest dirtying faster than the link carries, with a
 * heartbeat every 2 ms (bench/converge.py): 320 pages every 10 ms
 * (125 MiB/s) of a 256 MiB area, for a 512 MiB VM; each beat checks an
 * eighth of the area.
 */
#define AREA_PAGES     65536u
#define PAGES_PER_PACE 320u
#define CHECK_SHARES   8u
#define GUEST_NAME     "downtime_fast"
#define HEARTBEAT_US   2000u
#define RUN_MS	       70000u
#include "tests/guests/migrating.c"
