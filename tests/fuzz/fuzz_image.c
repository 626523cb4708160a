/* SPDX-License-Identifier: Apache-2.0 */
/** Fuzzes guest image inspection and loading: the image comes from outside Ferry. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hyp/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RAM_BASE 0x40000000ull
#define RAM_SIZE (1ull << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t ram[RAM_SIZE];
	struct image_info info;
	char err[160];

	if (!image_inspect(data, size, RAM_BASE, RAM_SIZE, &info, err, sizeof(err)))
		return 0;
	/* Whatever was accepted must fit: ASan checks every byte load touches. */
	if (info.end_offset > RAM_SIZE || info.entry_offset >= RAM_SIZE)
		__builtin_trap();
	image_load(data, &info, ram);
	return 0;
}
