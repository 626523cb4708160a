/* SPDX-License-Identifier: Apache-2.0 */
/** mbedtls' entropy source on the host (MBEDTLS_ENTROPY_HARDWARE_ALT): the kernel's. */
#include <stddef.h>
#include <sys/random.h>

int mbedtls_hardware_poll(void *data, unsigned char *output, size_t len, size_t *olen);

int mbedtls_hardware_poll(void *data, unsigned char *output, size_t len, size_t *olen)
{
	ssize_t n = getrandom(output, len, 0);

	(void)data;
	if (n < 0)
		return -1;
	*olen = (size_t)n;
	return 0;
}
