/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The tool's output on a terminal and elsewhere: bold and a bar redrawn in
 * place only on a terminal, bold never with NO_COLOR (no-color.org) or
 * TERM=dumb. The terminal is a pseudo-terminal made here.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "tools/ferry/migrate_view.h"

static void test_terminal_or_not(void **state)
{
	int master = posix_openpt(O_RDWR | O_NOCTTY);
	FILE *tty, *file = tmpfile();

	(void)state;
	assert_true(master >= 0);
	assert_int_equal(grantpt(master), 0);
	assert_int_equal(unlockpt(master), 0);
	tty = fopen(ptsname(master), "w");
	assert_non_null(tty);
	assert_non_null(file);
	setenv("TERM", "xterm", 1);
	unsetenv("NO_COLOR");
	assert_true(view_redraw(tty) && view_styled(tty));
	assert_false(view_redraw(file) || view_styled(file));
	setenv("NO_COLOR", "", 1); /* empty: as if unset */
	assert_true(view_styled(tty));
	setenv("NO_COLOR", "1", 1);
	assert_true(view_redraw(tty));
	assert_false(view_styled(tty));
	unsetenv("NO_COLOR");
	setenv("TERM", "dumb", 1);
	assert_false(view_redraw(tty) || view_styled(tty));
	fclose(tty);
	fclose(file);
	close(master);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_terminal_or_not),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
