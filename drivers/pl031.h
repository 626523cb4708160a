/* SPDX-License-Identifier: Apache-2.0 */
/** Arm PrimeCell real-time clock (PL031): the board's wall clock in whole seconds. */
#ifndef DRIVERS_PL031_H
#define DRIVERS_PL031_H

#include <stdint.h>

/** The seconds the clock counts (RTCDR): Unix time where the firmware set it so, as QEMU does. */
uint32_t pl031_seconds(uintptr_t base);

#endif
