/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The migrating guest dirtying faster than the link carries: 320 pages
 * every 10 ms (125 MiB/s) of its 16 MiB area, for a 64 MiB VM. Unthrottled,
 * each precopy round leaves nearly all of the area dirty again.
 */
#define PAGES_PER_PACE 320u
#define GUEST_NAME     "migrating_hot"
#include "tests/guests/migrating.c"
