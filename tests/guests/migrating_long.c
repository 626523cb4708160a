/* SPDX-License-Identifier: Apache-2.0 */
/** The migrating guest, running 25 s: long enough to outlast a migration with a recovery. */
#define GUEST_NAME "migrating_long"
#define RUN_MS	   25000u
#include "tests/guests/migrating.c"
