/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The migrating guest dirtying fast: 320 pages every 10 ms (125 MiB/s) of a
 * 256 MiB area, for a 512 MiB VM. Each heartbeat checks an eighth of the
 * area; it passes after 120 s of its own time.
 */
#define AREA_PAGES     65536u
#define PAGES_PER_PACE 320u
#define CHECK_SHARES   8u
#define GUEST_NAME     "migrating_fast"
#define RUN_MS	       120000u
#include "tests/guests/migrating.c"
