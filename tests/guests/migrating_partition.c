/* SPDX-License-Identifier: Apache-2.0 */
/** The migrating guest, running 55 s: long enough to outlast a 30 s partition and its healing. */
#define GUEST_NAME "migrating_partition"
#define RUN_MS	   55000u
#include "tests/guests/migrating.c"
