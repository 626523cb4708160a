/* SPDX-License-Identifier: Apache-2.0 */
/** Fuzzes boot-option parsing: /chosen/bootargs comes from outside Ferry. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/bootargs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *args = malloc(size + 1);
	char val[16];

	if (!args)
		return 0;
	memcpy(args, data, size);
	args[size] = '\0';
	bootargs_flag(args, "ferry.semihosting");
	if (bootargs_get(args, "ferry.test", val, sizeof(val)))
		(void)strlen(val);
	bootargs_get(args, "f", val, 1);
	free(args);
	return 0;
}
