/* SPDX-License-Identifier: Apache-2.0 */
/** ID-register compatibility, see id_compat.h; field layouts from the Arm ARM, D19.2. */
#include "mig/id_compat.h"

#include "lib/format.h"

/* A system register's encoding as in the ISS of a trapped MRS (Arm ARM D19.2.40). */
#define ENC(op0, op1, crn, crm, op2)                                                               \
	((uint32_t)(((op0) << 14) | ((op1) << 11) | ((crn) << 7) | ((crm) << 3) | (op2)))
#define FIELD(shift) (0xfull << (shift))

struct id_rule {
	const char *name;
	uint32_t encoding;
	uint64_t signed_fields; /**< compared as signed 4-bit numbers */
	uint64_t exact_fields;	/**< not a scale: must be equal */
};

static const struct id_rule rules[MIG_ID_REG_COUNT] = {
	/* FP [19:16] and AdvSIMD [23:20] are signed (0xf: not implemented). */
	[MIG_ID_AA64PFR0] = { "ID_AA64PFR0_EL1", ENC(3, 0, 0, 4, 0), FIELD(16) | FIELD(20), 0 },
	[MIG_ID_AA64PFR1] = { "ID_AA64PFR1_EL1", ENC(3, 0, 0, 4, 1), 0, 0 },
	[MIG_ID_AA64ISAR0] = { "ID_AA64ISAR0_EL1", ENC(3, 0, 0, 6, 0), 0, 0 },
	[MIG_ID_AA64ISAR1] = { "ID_AA64ISAR1_EL1", ENC(3, 0, 0, 6, 1), 0, 0 },
	[MIG_ID_AA64ISAR2] = { "ID_AA64ISAR2_EL1", ENC(3, 0, 0, 6, 2), 0, 0 },
	/*
	 * TGran64 [27:24] and TGran4 [31:28] are signed; the stage-2 granule
	 * fields TGran16_2, TGran64_2, TGran4_2 [43:32] are an encoding (0:
	 * "as stage 1"), not a scale.
	 */
	[MIG_ID_AA64MMFR0] = { "ID_AA64MMFR0_EL1", ENC(3, 0, 0, 7, 0), FIELD(24) | FIELD(28),
			       FIELD(32) | FIELD(36) | FIELD(40) },
	[MIG_ID_AA64MMFR1] = { "ID_AA64MMFR1_EL1", ENC(3, 0, 0, 7, 1), 0, 0 },
	[MIG_ID_AA64MMFR2] = { "ID_AA64MMFR2_EL1", ENC(3, 0, 0, 7, 2), 0, 0 },
};

const char *mig_id_reg_name(enum mig_id_reg reg)
{
	return (unsigned)reg < MIG_ID_REG_COUNT ? rules[reg].name : "unknown";
}

uint32_t mig_id_reg_encoding(enum mig_id_reg reg)
{
	return (unsigned)reg < MIG_ID_REG_COUNT ? rules[reg].encoding : 0;
}

/** A 4-bit field as a number that sorts by what it offers. */
static int field_value(uint64_t reg, unsigned shift, bool is_signed)
{
	int v = (int)((reg >> shift) & 0xf);

	return is_signed && v >= 8 ? v - 16 : v;
}

bool mig_id_reg_fits(enum mig_id_reg reg, uint64_t remote, uint64_t local, char *err,
		     size_t err_size)
{
	const struct id_rule *r;

	if ((unsigned)reg >= MIG_ID_REG_COUNT) {
		format_snprintf(err, err_size, "unknown ID register %u", (unsigned)reg);
		return false;
	}
	r = &rules[reg];
	for (unsigned shift = 0; shift < 64; shift += 4) {
		bool is_signed = (r->signed_fields >> shift) & 1;
		bool exact = (r->exact_fields >> shift) & 1;
		int want = field_value(remote, shift, is_signed);
		int have = field_value(local, shift, is_signed);

		if (exact ? want == have : want <= have)
			continue;
		format_snprintf(
			err, err_size, "%s bits [%u:%u]: the guest saw %d, this board offers %d%s",
			r->name, shift + 3, shift, want, have, exact ? " (must be equal)" : "");
		return false;
	}
	return true;
}
