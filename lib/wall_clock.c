/* SPDX-License-Identifier: Apache-2.0 */
/** The wall clock from a seconds counter and the counter, see wall_clock.h. */
#include "lib/wall_clock.h"

#include <stdbool.h>

#define US_PER_S 1000000

void wall_clock_init(struct wall_clock *w, uint64_t freq)
{
	*w = (struct wall_clock){ .freq = freq ? (int64_t)freq : 1 };
}

void wall_clock_sample(struct wall_clock *w, uint32_t seconds, uint64_t before, uint64_t after)
{
	int64_t k, lo, hi;

	if (after < before)
		return;
	w->last = after;
	/* Second `seconds` began by `after`; the next one had not begun at `before`. */
	if (!w->started || seconds < w->second) {
		w->started = true;
		w->second = seconds;
		w->lo = (int64_t)before - w->freq;
		w->hi = (int64_t)after;
		return;
	}
	k = (int64_t)(seconds - w->second);
	lo = (int64_t)before - (k + 1) * w->freq;
	hi = (int64_t)after - k * w->freq;
	if (lo > w->lo)
		w->lo = lo;
	if (hi < w->hi)
		w->hi = hi;
	if (w->lo >= w->hi) { /* no second begins where every reading says: set anew */
		w->second = seconds;
		w->lo = (int64_t)before - w->freq;
		w->hi = (int64_t)after;
	}
}

uint64_t wall_clock_next(const struct wall_clock *w, uint64_t now)
{
	int64_t mid, k;

	if (!w->started)
		return now;
	if (w->hi - w->lo <= w->freq / 1000 * WALL_CLOCK_EXACT_MS)
		return w->last + (uint64_t)w->freq * WALL_CLOCK_CHECK_S;
	/* The window's middle, the first whole number of seconds on from now. */
	mid = w->lo + (w->hi - w->lo) / 2;
	k = ((int64_t)now - mid) / w->freq + 1;
	if (k < 1)
		k = 1;
	return (uint64_t)(mid + k * w->freq);
}

uint64_t wall_clock_us(const struct wall_clock *w, uint64_t ticks)
{
	int64_t d, secs, rem;

	if (!w->started)
		return 0;
	d = (int64_t)ticks - (w->lo + (w->hi - w->lo) / 2);
	secs = d / w->freq;
	rem = d % w->freq;
	if (rem < 0) {
		rem += w->freq;
		secs--;
	}
	return (uint64_t)((int64_t)w->second + secs) * US_PER_S +
	       (uint64_t)(rem * US_PER_S / w->freq);
}

uint64_t wall_clock_error_us(const struct wall_clock *w)
{
	if (!w->started)
		return UINT64_MAX;
	return (uint64_t)((w->hi - w->lo) / 2 * US_PER_S / w->freq);
}
