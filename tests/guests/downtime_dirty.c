/* SPDX-License-Identifier: Apache-2.0 */
/** The migrating guest with a heartbeat every 2 ms (bench/downtime.py): rewriting memory. */
#define GUEST_NAME   "downtime_dirty"
#define HEARTBEAT_US 2000u
#define RUN_MS	     12000u
#include "tests/guests/migrating.c"
