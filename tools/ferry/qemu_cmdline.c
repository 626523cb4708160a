/* SPDX-License-Identifier: Apache-2.0 */
/** QEMU command line of a board, see qemu_cmdline.h. */
#include "tools/ferry/qemu_cmdline.h"

#include <stdarg.h>
#include <stdio.h>

struct argv_builder {
	const char **argv;
	int argc;
	char *scratch;
	size_t left;
	bool overflow;
};

static void add(struct argv_builder *b, const char *arg)
{
	if (b->argc + 1 >= QEMU_ARGV_MAX) {
		b->overflow = true;
		return;
	}
	b->argv[b->argc++] = arg;
	b->argv[b->argc] = NULL;
}

/** Adds a formatted argument, kept in the scratch buffer. */
static void __attribute__((format(printf, 2, 3))) addf(struct argv_builder *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b->scratch, b->left, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= b->left) {
		b->overflow = true;
		return;
	}
	add(b, b->scratch);
	b->scratch += n + 1;
	b->left -= (size_t)n + 1;
}

int qemu_cmdline(const struct board_desc *board, const struct boot_options *opt, const char **argv,
		 char *scratch, size_t scratch_size)
{
	struct argv_builder b = { .argv = argv, .scratch = scratch, .left = scratch_size };
	const char *append = opt->append ? opt->append : "";

	add(&b, board->qemu_binary);
	for (const char *const *a = board->qemu_args; *a; a++)
		add(&b, *a);
	add(&b, "-smp");
	addf(&b, "%u", opt->cpus ? opt->cpus : board->cpu_count_launch);
	add(&b, "-m");
	addf(&b, "%uM", opt->mem_mib ? opt->mem_mib : board->ram_mib_launch);
	add(&b, "-kernel");
	add(&b, opt->image);
	if (opt->semihosting) {
		/* SYS_EXIT carries Ferry's verdict out as QEMU's exit code. */
		add(&b, "-semihosting");
		add(&b, "-append");
		addf(&b, "ferry.semihosting%s%s", append[0] ? " " : "", append);
	} else if (append[0]) {
		add(&b, "-append");
		add(&b, append);
	}
	return b.overflow ? -1 : b.argc;
}
