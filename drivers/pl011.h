/* SPDX-License-Identifier: Apache-2.0 */
/** Arm PrimeCell UART (PL011), polled: the board console. */
#ifndef DRIVERS_PL011_H
#define DRIVERS_PL011_H

#include <stddef.h>
#include <stdint.h>

void pl011_init(uintptr_t base, uint32_t clock_hz, uint32_t baud);
void pl011_write(const char *buf, size_t len);
/** Returns a received byte, or -1 when none is waiting. */
int pl011_getc(void);

/** Raises the UART's interrupt when bytes arrive (receive and receive-timeout). */
void pl011_rx_irq_enable(void);
void pl011_rx_irq_disable(void);

#endif
