/* SPDX-License-Identifier: Apache-2.0 */
/** The board console of a host test, captured so a test can count what was reported. */
#ifndef TESTS_SUPPORT_HOST_CONSOLE_H
#define TESTS_SUPPORT_HOST_CONSOLE_H

/** Starts a fresh capture of hyp's console_printf and the guests' UART lines. */
void host_console_capture(void);

/** How many times `needle` appears in what was captured since host_console_capture. */
unsigned host_console_count(const char *needle);

/** A guest's UART line (vm_init's console_emit), captured as "prefix| line\n". */
void host_console_guest_line(const char *prefix, const char *line, unsigned len);

#endif
