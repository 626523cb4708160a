/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The tool's --json output: each report one JSON object on one line of
 * stdout (docs/management.md, "--json"), flushed, so that a script reading
 * the pipe has it at once.
 */
#ifndef TOOLS_FERRY_JSON_LINE_H
#define TOOLS_FERRY_JSON_LINE_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/json_out.h"

/** Begins the object in buf; its members follow with json_out_*. */
void json_line_begin(struct json_out *o, char *buf, size_t size);

/** Ends the object and prints it as a line; false (nothing printed) when it did not fit. */
bool json_line_print(struct json_out *o);

#endif
