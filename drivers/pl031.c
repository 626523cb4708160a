/* SPDX-License-Identifier: Apache-2.0 */
/** The PL031 real-time clock, see pl031.h. */
#include "drivers/pl031.h"

#include "drivers/mmio.h"

/* PL031 Technical Reference Manual (DDI 0224), 3.3.1: the data register. */
#define RTCDR 0x000

uint32_t pl031_seconds(uintptr_t base) { return mmio_read32(base + RTCDR); }
