/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The wall clock (Unix time in µs) from a real-time clock that counts
 * whole seconds, and the counter. Each reading of the seconds, taken
 * between two counter values, bounds where in counter time a second
 * begins: its beginning comes no later than the reading's end, and the
 * next second's no earlier than its start. The bounds of all readings
 * intersect into a window; a reading taken at the window's middle, a
 * whole number of seconds on, halves it. Timestamps are exact to half the
 * window: half a second after the first reading, a few milliseconds after
 * a few seconds of readings (system/control.c takes them when due).
 */
#ifndef LIB_WALL_CLOCK_H
#define LIB_WALL_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

/* A window this narrow (ms) is narrow enough: readings then only every WALL_CLOCK_CHECK_S. */
#define WALL_CLOCK_EXACT_MS 1u
/*
 * How often a narrow window is checked against a reading: the RTC follows
 * the host's time, the counter the emulator's, and the two part when the
 * host's clock is stepped or the emulator stopped; a reading the window
 * cannot hold then starts it afresh.
 */
#define WALL_CLOCK_CHECK_S 60u

struct wall_clock {
	int64_t freq;	 /**< counter ticks per second */
	bool started;	 /**< a first reading was taken */
	uint64_t second; /**< Unix second whose beginning ... */
	int64_t lo, hi;	 /**< ... lies in (lo, hi], in counter ticks */
	uint64_t last;	 /**< when the last reading was taken (counter ticks) */
};

void wall_clock_init(struct wall_clock *w, uint64_t freq);
/**
 * A reading of the real-time clock: `seconds`, read between counter
 * values before and after. A reading that contradicts the window (the
 * real-time clock was set) starts it afresh.
 */
void wall_clock_sample(struct wall_clock *w, uint32_t seconds, uint64_t before, uint64_t after);
/** When the next reading is due (counter ticks): soon while the window is wide, else a check. */
uint64_t wall_clock_next(const struct wall_clock *w, uint64_t now);
/** Unix time in µs at counter value ticks; 0 before any reading. */
uint64_t wall_clock_us(const struct wall_clock *w, uint64_t ticks);
/** How far off wall_clock_us may be, in µs: half the window. */
uint64_t wall_clock_error_us(const struct wall_clock *w);

#endif
