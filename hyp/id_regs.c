/* SPDX-License-Identifier: Apache-2.0 */
/** ID register sanitizing; field positions from the Arm ARM, D19.2. */
#include "hyp/id_regs.h"

#include <stddef.h>

#include "hyp/arch_vcpu.h"

#define FIELD(shift) (0xfull << (shift))

struct id_rule {
	uint32_t encoding;
	uint64_t hide; /**< fields that read as 0 ("not implemented") */
};

static const struct id_rule id_rules[] = {
	/* ID_AA64PFR0_EL1: EL2 [11:8], EL3 [15:12], RAS [31:28], SVE [35:32],
	 * SEL2 [39:36], MPAM [43:40], AMU [47:44] */
	{ SYSREG_ENC(3, 0, 0, 4, 0),
	  FIELD(8) | FIELD(12) | FIELD(28) | FIELD(32) | FIELD(36) | FIELD(40) | FIELD(44) },
	/* ID_AA64PFR1_EL1: MTE [11:8], RAS_frac [15:12], MPAM_frac [19:16], SME [27:24],
	 * NMI [39:36] */
	{ SYSREG_ENC(3, 0, 0, 4, 1), FIELD(8) | FIELD(12) | FIELD(16) | FIELD(24) | FIELD(36) },
	/* ID_AA64ZFR0_EL1 (SVE), ID_AA64SMFR0_EL1 (SME): all */
	{ SYSREG_ENC(3, 0, 0, 4, 4), ~0ull },
	{ SYSREG_ENC(3, 0, 0, 4, 5), ~0ull },
	/* ID_AA64DFR0_EL1: TraceVer [7:4], PMUVer [11:8], PMSVer [35:32], TraceFilt [43:40],
	 * TraceBuffer [47:44], BRBE [55:52] */
	{ SYSREG_ENC(3, 0, 0, 5, 0),
	  FIELD(4) | FIELD(8) | FIELD(32) | FIELD(40) | FIELD(44) | FIELD(52) },
	/* ID_AA64ISAR1_EL1: APA [7:4], API [11:8], GPA [27:24], GPI [31:28] */
	{ SYSREG_ENC(3, 0, 0, 6, 1), FIELD(4) | FIELD(8) | FIELD(24) | FIELD(28) },
	/* ID_AA64ISAR2_EL1: WFxT [3:0], GPA3 [11:8], APA3 [15:12] */
	{ SYSREG_ENC(3, 0, 0, 6, 2), FIELD(0) | FIELD(8) | FIELD(12) },
	/* ID_AA64MMFR1_EL1: VH [11:8], LO [19:16] */
	{ SYSREG_ENC(3, 0, 0, 7, 1), FIELD(8) | FIELD(16) },
	/* ID_AA64MMFR2_EL1: NV [27:24] */
	{ SYSREG_ENC(3, 0, 0, 7, 2), FIELD(24) },
	/* ID_DFR0_EL1 (AArch32 view): PerfMon [27:24] */
	{ SYSREG_ENC(3, 0, 0, 1, 2), FIELD(24) },
};

uint64_t id_reg_sanitize(uint32_t encoding, uint64_t real)
{
	for (size_t i = 0; i < sizeof(id_rules) / sizeof(id_rules[0]); i++)
		if (id_rules[i].encoding == encoding)
			return real & ~id_rules[i].hide;
	return real;
}

uint64_t id_reg_guest(uint32_t encoding)
{
	uint64_t value;

	if (!arch_read_id_reg(encoding, &value))
		value = 0;
	return id_reg_sanitize(encoding, value);
}
