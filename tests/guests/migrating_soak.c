/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The migrating guest (2 vCPUs: memory, counter, timer and SGIs checked),
 * running for an hour: it outlasts any number of round trips
 * (tests/qemu/round_trips.sh, bench/round-trips.sh), which end it from outside.
 */
#define GUEST_NAME "migrating_soak"
#define RUN_MS	   3600000u
#include "tests/guests/migrating.c"
