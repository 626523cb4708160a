/* SPDX-License-Identifier: Apache-2.0 */
/** printf-style formatting, see format.h. */
#include "lib/format.h"

#include <stdbool.h>
#include <stdint.h>

struct out {
	char *buf;
	size_t size;
	size_t len;
};

static void out_char(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void out_repeat(struct out *o, char c, int count)
{
	for (int i = 0; i < count; i++)
		out_char(o, c);
}

struct spec {
	bool left, plus, space, alt, zero;
	int width;
	int precision; /**< -1 when absent */
	char length;   /**< 'H' hh, 'h', 'l', 'L' ll, 'z', 't', 'j', or 0 */
};

static int parse_number(const char **p)
{
	int n = 0;

	while (**p >= '0' && **p <= '9') {
		if (n < 100000)
			n = n * 10 + (**p - '0');
		(*p)++;
	}
	return n;
}

static void parse_spec(const char **p, va_list *ap, struct spec *s)
{
	for (;; (*p)++) {
		if (**p == '-')
			s->left = true;
		else if (**p == '+')
			s->plus = true;
		else if (**p == ' ')
			s->space = true;
		else if (**p == '#')
			s->alt = true;
		else if (**p == '0')
			s->zero = true;
		else
			break;
	}
	if (**p == '*') {
		s->width = va_arg(*ap, int);
		if (s->width < 0) {
			s->left = true;
			s->width = s->width == -2147483647 - 1 ? 0 : -s->width;
		}
		(*p)++;
	} else {
		s->width = parse_number(p);
	}
	s->precision = -1;
	if (**p == '.') {
		(*p)++;
		if (**p == '*') {
			s->precision = va_arg(*ap, int);
			if (s->precision < 0)
				s->precision = -1;
			(*p)++;
		} else {
			s->precision = parse_number(p);
		}
	}
	switch (**p) {
	case 'h':
		(*p)++;
		s->length = 'h';
		if (**p == 'h') {
			s->length = 'H';
			(*p)++;
		}
		break;
	case 'l':
		(*p)++;
		s->length = 'l';
		if (**p == 'l') {
			s->length = 'L';
			(*p)++;
		}
		break;
	case 'z':
	case 't':
	case 'j':
		s->length = **p;
		(*p)++;
		break;
	default:
		break;
	}
}

static uint64_t arg_unsigned(va_list *ap, char length)
{
	switch (length) {
	case 'H':
		return (unsigned char)va_arg(*ap, unsigned int);
	case 'h':
		return (unsigned short)va_arg(*ap, unsigned int);
	case 'l':
		return va_arg(*ap, unsigned long);
	case 'L':
		return va_arg(*ap, unsigned long long);
	case 'z':
		return va_arg(*ap, size_t);
	case 't':
		return (uint64_t)va_arg(*ap, ptrdiff_t);
	case 'j':
		return va_arg(*ap, uintmax_t);
	default:
		return va_arg(*ap, unsigned int);
	}
}

static int64_t arg_signed(va_list *ap, char length)
{
	switch (length) {
	case 'H':
		return (signed char)va_arg(*ap, int);
	case 'h':
		return (short)va_arg(*ap, int);
	case 'l':
		return va_arg(*ap, long);
	case 'L':
		return va_arg(*ap, long long);
	case 'z':
		return (int64_t)va_arg(*ap, size_t);
	case 't':
		return va_arg(*ap, ptrdiff_t);
	case 'j':
		return va_arg(*ap, intmax_t);
	default:
		return va_arg(*ap, int);
	}
}

/** Writes an integer with sign/prefix, precision and width, as C99 7.19.6.1. */
static void out_integer(struct out *o, const struct spec *s, uint64_t value, unsigned base,
			bool upper, const char *prefix)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	int n = 0, prefix_len = 0, zeros, pad;

	while (value != 0) {
		tmp[n++] = digits[value % base];
		value /= base;
	}
	/* "%.0d" of 0 prints nothing; "%#.0o" of 0 prints "0" */
	if (n == 0 && s->precision != 0)
		tmp[n++] = '0';
	if (base == 8 && s->alt && (n == 0 || tmp[n - 1] != '0') && s->precision <= n)
		tmp[n++] = '0';

	if (prefix)
		while (prefix[prefix_len])
			prefix_len++;
	zeros = s->precision > n ? s->precision - n : 0;
	pad = s->width - (n + zeros + prefix_len);
	if (pad < 0)
		pad = 0;
	if (s->zero && !s->left && s->precision < 0) {
		zeros += pad;
		pad = 0;
	}
	if (!s->left)
		out_repeat(o, ' ', pad);
	for (int i = 0; i < prefix_len; i++)
		out_char(o, prefix[i]);
	out_repeat(o, '0', zeros);
	while (n > 0)
		out_char(o, tmp[--n]);
	if (s->left)
		out_repeat(o, ' ', pad);
}

static void out_string(struct out *o, const struct spec *s, const char *str)
{
	int n = 0, pad;

	if (!str)
		str = "(null)";
	while (str[n] && (s->precision < 0 || n < s->precision))
		n++;
	pad = s->width > n ? s->width - n : 0;
	if (!s->left)
		out_repeat(o, ' ', pad);
	for (int i = 0; i < n; i++)
		out_char(o, str[i]);
	if (s->left)
		out_repeat(o, ' ', pad);
}

static void out_conversion(struct out *o, char conv, struct spec *s, va_list *ap)
{
	switch (conv) {
	case 'd':
	case 'i': {
		int64_t v = arg_signed(ap, s->length);
		uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
		const char *sign = v < 0 ? "-" : s->plus ? "+" : s->space ? " " : NULL;

		out_integer(o, s, mag, 10, false, sign);
		break;
	}
	case 'u':
		out_integer(o, s, arg_unsigned(ap, s->length), 10, false, NULL);
		break;
	case 'o':
		out_integer(o, s, arg_unsigned(ap, s->length), 8, false, NULL);
		break;
	case 'x':
	case 'X': {
		uint64_t v = arg_unsigned(ap, s->length);
		const char *prefix = s->alt && v ? (conv == 'x' ? "0x" : "0X") : NULL;

		out_integer(o, s, v, 16, conv == 'X', prefix);
		break;
	}
	case 'p': {
		uint64_t v = (uint64_t)(uintptr_t)va_arg(*ap, void *);

		out_integer(o, s, v, 16, false, "0x");
		break;
	}
	case 'c': {
		char c[2] = { (char)va_arg(*ap, int), 0 };
		int pad = s->width > 1 ? s->width - 1 : 0;

		if (!s->left)
			out_repeat(o, ' ', pad);
		out_char(o, c[0]);
		if (s->left)
			out_repeat(o, ' ', pad);
		break;
	}
	case 's':
		out_string(o, s, va_arg(*ap, const char *));
		break;
	case '%':
		out_char(o, '%');
		break;
	default:
		/* Unknown conversion: show it rather than guess its argument. */
		out_char(o, '%');
		if (conv)
			out_char(o, conv);
		break;
	}
}

size_t format_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap_in)
{
	struct out o = { .buf = buf, .size = size, .len = 0 };
	va_list ap;

	va_copy(ap, ap_in);
	for (const char *p = fmt; *p; p++) {
		struct spec s = { 0 };

		if (*p != '%') {
			out_char(&o, *p);
			continue;
		}
		p++;
		parse_spec(&p, &ap, &s);
		out_conversion(&o, *p, &s, &ap);
		if (!*p)
			break;
	}
	va_end(ap);
	if (size > 0)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return o.len;
}

size_t format_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	n = format_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

void strbuf_printf(struct strbuf *sb, const char *fmt, ...)
{
	size_t used = sb->len < sb->size ? sb->len : sb->size;
	va_list ap;

	va_start(ap, fmt);
	sb->len +=
		format_vsnprintf(used < sb->size ? sb->buf + used : NULL, sb->size - used, fmt, ap);
	va_end(ap);
}
