/* SPDX-License-Identifier: Apache-2.0 */
/**
 * printf-style formatting without the C library: no heap, no locale, no
 * floating point, safe to call from an exception handler. Implements the
 * C99 conversions d i u o x X c s p %, flags - + space # 0, width and
 * precision (numbers or *), and length modifiers hh h l ll z t j.
 */
#ifndef LIB_FORMAT_H
#define LIB_FORMAT_H

#include <stdarg.h>
#include <stddef.h>

/**
 * Formats into buf (at most size bytes, always NUL-terminated when size > 0).
 * Returns the length the full output needs, as C99 vsnprintf does.
 */
size_t format_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
size_t format_snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/** A fixed buffer filled by successive formats; len counts what was cut too. */
struct strbuf {
	char *buf;
	size_t size;
	size_t len;
};
#define STRBUF_INIT(b, s)                                                                          \
	{                                                                                          \
		.buf = (b), .size = (s), .len = 0                                                  \
	}

void strbuf_printf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
