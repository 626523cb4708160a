/* SPDX-License-Identifier: Apache-2.0 */
/** The migrating guest with a heartbeat every 2 ms (bench/downtime.py): idle. */
#define GUEST_NAME     "downtime_idle"
#define PAGES_PER_PACE 0u
#define HEARTBEAT_US   2000u
#define RUN_MS	       12000u
#include "tests/guests/migrating.c"
