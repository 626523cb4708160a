/* SPDX-License-Identifier: Apache-2.0 */
/** One JSON object a line on stdout, see json_line.h. */
#include "tools/ferry/json_line.h"

#include <stdio.h>

void json_line_begin(struct json_out *o, char *buf, size_t size)
{
	json_out_init(o, buf, size);
	json_out_object(o, NULL);
}

bool json_line_print(struct json_out *o)
{
	const char *text;
	size_t len;

	json_out_end(o);
	text = json_out_text(o, &len);
	if (!text)
		return false;
	printf("%.*s\n", (int)len, text);
	fflush(stdout);
	return true;
}
