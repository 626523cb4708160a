/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The CPU features the board's mbedtls is built for: AES by the Armv8
 * Cryptographic Extension only (deps/mbedtls/ferry_mbedtls_config.h), which
 * mbedtls assumes present outside Linux. The link checks before its first
 * AES round.
 */
#include <stdbool.h>

#include "hyp/arch.h"

bool link_cpu_has_aes(void);

bool link_cpu_has_aes(void)
{
	struct arch_cpu_info info;

	arch_cpu_info(&info);
	return info.aes_pmull;
}
