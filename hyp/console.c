/* SPDX-License-Identifier: Apache-2.0 */
/** The board console, see console.h. */
#include "hyp/console.h"

#include "hyp/arch.h"
#include "lib/format.h"

/** Longer messages are cut; the console is for humans and test verdicts. */
#define CONSOLE_LINE_MAX 512

static console_write_fn console_out;
static struct spinlock console_lock;

void console_init(console_write_fn write) { console_out = write; }

void console_write_unlocked(const char *buf, size_t len)
{
	if (console_out)
		console_out(buf, len);
}

void console_write(const char *buf, size_t len)
{
	arch_spin_lock(&console_lock);
	console_write_unlocked(buf, len);
	arch_spin_unlock(&console_lock);
}

void console_printf(const char *fmt, ...)
{
	char line[CONSOLE_LINE_MAX];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	n = format_vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n >= sizeof(line))
		n = sizeof(line) - 1;
	console_write(line, n);
}

static console_input_fn input_fn;
static void *input_ctx;
static void (*input_resume)(void);

void console_set_input(console_input_fn fn, void *ctx)
{
	input_ctx = ctx;
	__atomic_store_n(&input_fn, fn, __ATOMIC_RELEASE);
	console_input_ready();
}

bool console_input_byte(char c)
{
	console_input_fn fn = __atomic_load_n(&input_fn, __ATOMIC_ACQUIRE);

	return fn ? fn(c, input_ctx) : true; /* nobody listens: dropped */
}

void console_set_resume(void (*resume)(void)) { input_resume = resume; }

void console_input_ready(void)
{
	if (input_resume)
		input_resume();
}
