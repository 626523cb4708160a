/* SPDX-License-Identifier: Apache-2.0 */
/** The migrating guest, idle: it checks its memory and counter but writes nothing more. */
#define PAGES_PER_PACE 0u
#define GUEST_NAME     "migrating_idle"
#include "tests/guests/migrating.c"
