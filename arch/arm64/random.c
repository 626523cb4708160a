/* SPDX-License-Identifier: Apache-2.0 */
/** RNDR (Arm ARM C5.2.16): true random numbers when FEAT_RNG is present. */
#include <stdbool.h>
#include <stdint.h>

#include "arch/arm64/sysreg.h"
#include "hyp/arch.h"

static bool have_rndr(void)
{
	/* ID_AA64ISAR0_EL1.RNDR, bits [63:60] */
	return (sysreg_read(id_aa64isar0_el1) >> 60 & 0xf) != 0;
}

bool arch_random64(uint64_t *out)
{
	uint64_t v, ok;

	if (!have_rndr())
		return false;
	/* RNDR sets NZCV to 0b0100 when no random number was available in time. */
	__asm__ volatile("mrs %0, s3_3_c2_c4_0\n"
			 "cset %1, ne"
			 : "=r"(v), "=r"(ok)
			 :
			 : "cc");
	if (!ok)
		return false;
	*out = v;
	return true;
}
