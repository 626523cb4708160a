/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The board console: whole lines from every CPU, never interleaved. The
 * output device is plugged in at boot (drivers/pl011 on the board, a buffer
 * in host tests).
 */
#ifndef HYP_CONSOLE_H
#define HYP_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>

/** Writes raw bytes to the console device. */
typedef void (*console_write_fn)(const char *buf, size_t len);

void console_init(console_write_fn write);

/** Formats (format.h) and writes one message atomically with respect to other CPUs. */
void console_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/** Writes raw bytes atomically. */
void console_write(const char *buf, size_t len);

/** Takes one byte typed on the board console; false when it has no room now. */
typedef bool (*console_input_fn)(char c, void *ctx);

/** Sets who gets console input (a VM's UART); NULL drops it. */
void console_set_input(console_input_fn fn, void *ctx);

/**
 * Hands a byte read from the console device to its input owner. False: no
 * room; the caller keeps the byte and stops reading (flow control) until
 * the owner calls console_input_ready().
 */
bool console_input_byte(char c);

/** The console device's reader, called when an input owner has room again. */
void console_set_resume(void (*resume)(void));

/** Called by the input owner when it took bytes out and has room again. */
void console_input_ready(void);

/** Like console_write, but takes no lock: only for a crash report. */
void console_write_unlocked(const char *buf, size_t len);

#endif
