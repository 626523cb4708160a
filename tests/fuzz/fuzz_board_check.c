/* SPDX-License-Identifier: Apache-2.0 */
/** Fuzzes the device-tree check: the DTB is input from outside Ferry. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "system/board_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void ignore(void *ctx, const char *msg)
{
	(void)ctx;
	/* Touch the message so a bad pointer or missing terminator shows up. */
	(void)strlen(msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* libfdt needs 8-byte alignment; the fuzzer's buffer has none. */
	uint64_t *copy = malloc(size + 8);
	struct board_facts facts;

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	board_check(copy, size, &board_current, &facts, ignore, NULL);
	if (facts.bootargs)
		(void)strlen(facts.bootargs);
	free(copy);
	return 0;
}
