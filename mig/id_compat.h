/* SPDX-License-Identifier: Apache-2.0 */
/**
 * Whether a guest that saw one board's ID registers can run on another
 * board (HELLO, docs/migration-protocol.md). Each 4-bit field is compared
 * by the rules of the Arm ARM (D19.1.3, "Principles of the ID scheme for
 * fields in ID registers"): most fields are unsigned and a larger value
 * only adds features, so the destination's must be at least the source's;
 * a few are signed (0xf: "not implemented" sorts below 0), and a few are not
 * a scale at all and must be equal. Pure: host-tested.
 */
#ifndef MIG_ID_COMPAT_H
#define MIG_ID_COMPAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** The ID registers HELLO carries, as the guest sees them (after Ferry hides features). */
enum mig_id_reg {
	MIG_ID_AA64PFR0,
	MIG_ID_AA64PFR1,
	MIG_ID_AA64ISAR0,
	MIG_ID_AA64ISAR1,
	MIG_ID_AA64ISAR2,
	MIG_ID_AA64MMFR0,
	MIG_ID_AA64MMFR1,
	MIG_ID_AA64MMFR2,
	MIG_ID_REG_COUNT
};

/** The register's name, for messages ("ID_AA64PFR0_EL1"). */
const char *mig_id_reg_name(enum mig_id_reg reg);

/** Its encoding (op0, op1, CRn, CRm, op2) packed as SYSREG_ENC does. */
uint32_t mig_id_reg_encoding(enum mig_id_reg reg);

/**
 * True when a guest that saw `remote` may run where the guest sees `local`;
 * false with the first field that does not fit, named with both values.
 */
bool mig_id_reg_fits(enum mig_id_reg reg, uint64_t remote, uint64_t local, char *err,
		     size_t err_size);

#endif
