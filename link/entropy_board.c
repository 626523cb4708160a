/* SPDX-License-Identifier: Apache-2.0 */
/**
 * mbedtls' entropy source on the board (MBEDTLS_ENTROPY_HARDWARE_ALT): the
 * CPU's RNDR, with the checks a hardware source needs before mbedtls mixes
 * it in: a failed read is retried a few times, and a source that repeats
 * a 64-bit value (stuck) or never answers yields nothing, so mbedtls
 * refuses to seed (MBEDTLS_ERR_ENTROPY_SOURCE_FAILED) instead of using a
 * weak seed. There is no fixed seed anywhere.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hyp/arch.h"

int mbedtls_hardware_poll(void *data, unsigned char *output, size_t len, size_t *olen);

#define RETRIES 16

int mbedtls_hardware_poll(void *data, unsigned char *output, size_t len, size_t *olen)
{
	static uint64_t last;
	size_t done = 0;

	(void)data;
	while (done < len) {
		uint64_t v = 0;
		unsigned tries = 0;

		while (!arch_random64(&v))
			if (++tries == RETRIES)
				return -1;
		if (v == last)
			return -1; /* stuck */
		last = v;
		memcpy(output + done, &v, len - done < 8 ? len - done : 8);
		done += len - done < 8 ? len - done : 8;
	}
	*olen = done;
	return 0;
}
