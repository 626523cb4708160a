/* SPDX-License-Identifier: Apache-2.0 */
/** The migrating guest with nothing in its memory: it writes no page, only heartbeats. */
#define AREA_PAGES     0u
#define PAGES_PER_PACE 0u
#define GUEST_NAME     "migrating_zero"
#define RUN_MS	       20000u
#include "tests/guests/migrating.c"
