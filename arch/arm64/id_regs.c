/* SPDX-License-Identifier: Apache-2.0 */
/**
 * Reads of the ID registers a guest's accesses trap for (HCR_EL2.TID3):
 * op0 3, op1 0, CRn 0, CRm 1-7 (Arm ARM D19.2, "ID group 3"). Unallocated
 * encodings in this space read as zero on the hardware too.
 */
#include "arch/arm64/sysreg.h"
#include "hyp/arch_vcpu.h"

bool arch_read_id_reg(uint32_t encoding, uint64_t *value)
{
	switch (encoding) {
	case SYSREG_ENC(3, 0, 0, 1, 0):
		*value = sysreg_read(S3_0_C0_C1_0);
		return true;
	case SYSREG_ENC(3, 0, 0, 1, 1):
		*value = sysreg_read(S3_0_C0_C1_1);
		return true;
	case SYSREG_ENC(3, 0, 0, 1, 2):
		*value = sysreg_read(S3_0_C0_C1_2);
		return true;
	case SYSREG_ENC(3, 0, 0, 1, 3):
		*value = sysreg_read(S3_0_C0_C1_3);
		return true;
	case SYSREG_ENC(3, 0, 0, 1, 4):
		*value = sysreg_read(S3_0_C0_C1_4);
		return true;
	case SYSREG_ENC(3, 0, 0, 1, 5):
		*value = sysreg_read(S3_0_C0_C1_5);
		return true;
	case SYSREG_ENC(3, 0, 0, 1, 6):
		*value = sysreg_read(S3_0_C0_C1_6);
		return true;
	case SYSREG_ENC(3, 0, 0, 1, 7):
		*value = sysreg_read(S3_0_C0_C1_7);
		return true;
	case SYSREG_ENC(3, 0, 0, 2, 0):
		*value = sysreg_read(S3_0_C0_C2_0);
		return true;
	case SYSREG_ENC(3, 0, 0, 2, 1):
		*value = sysreg_read(S3_0_C0_C2_1);
		return true;
	case SYSREG_ENC(3, 0, 0, 2, 2):
		*value = sysreg_read(S3_0_C0_C2_2);
		return true;
	case SYSREG_ENC(3, 0, 0, 2, 3):
		*value = sysreg_read(S3_0_C0_C2_3);
		return true;
	case SYSREG_ENC(3, 0, 0, 2, 4):
		*value = sysreg_read(S3_0_C0_C2_4);
		return true;
	case SYSREG_ENC(3, 0, 0, 2, 5):
		*value = sysreg_read(S3_0_C0_C2_5);
		return true;
	case SYSREG_ENC(3, 0, 0, 2, 6):
		*value = sysreg_read(S3_0_C0_C2_6);
		return true;
	case SYSREG_ENC(3, 0, 0, 2, 7):
		*value = sysreg_read(S3_0_C0_C2_7);
		return true;
	case SYSREG_ENC(3, 0, 0, 3, 0):
		*value = sysreg_read(S3_0_C0_C3_0);
		return true;
	case SYSREG_ENC(3, 0, 0, 3, 1):
		*value = sysreg_read(S3_0_C0_C3_1);
		return true;
	case SYSREG_ENC(3, 0, 0, 3, 2):
		*value = sysreg_read(S3_0_C0_C3_2);
		return true;
	case SYSREG_ENC(3, 0, 0, 3, 3):
		*value = sysreg_read(S3_0_C0_C3_3);
		return true;
	case SYSREG_ENC(3, 0, 0, 3, 4):
		*value = sysreg_read(S3_0_C0_C3_4);
		return true;
	case SYSREG_ENC(3, 0, 0, 3, 5):
		*value = sysreg_read(S3_0_C0_C3_5);
		return true;
	case SYSREG_ENC(3, 0, 0, 3, 6):
		*value = sysreg_read(S3_0_C0_C3_6);
		return true;
	case SYSREG_ENC(3, 0, 0, 3, 7):
		*value = sysreg_read(S3_0_C0_C3_7);
		return true;
	case SYSREG_ENC(3, 0, 0, 4, 0):
		*value = sysreg_read(S3_0_C0_C4_0);
		return true;
	case SYSREG_ENC(3, 0, 0, 4, 1):
		*value = sysreg_read(S3_0_C0_C4_1);
		return true;
	case SYSREG_ENC(3, 0, 0, 4, 2):
		*value = sysreg_read(S3_0_C0_C4_2);
		return true;
	case SYSREG_ENC(3, 0, 0, 4, 3):
		*value = sysreg_read(S3_0_C0_C4_3);
		return true;
	case SYSREG_ENC(3, 0, 0, 4, 4):
		*value = sysreg_read(S3_0_C0_C4_4);
		return true;
	case SYSREG_ENC(3, 0, 0, 4, 5):
		*value = sysreg_read(S3_0_C0_C4_5);
		return true;
	case SYSREG_ENC(3, 0, 0, 4, 6):
		*value = sysreg_read(S3_0_C0_C4_6);
		return true;
	case SYSREG_ENC(3, 0, 0, 4, 7):
		*value = sysreg_read(S3_0_C0_C4_7);
		return true;
	case SYSREG_ENC(3, 0, 0, 5, 0):
		*value = sysreg_read(S3_0_C0_C5_0);
		return true;
	case SYSREG_ENC(3, 0, 0, 5, 1):
		*value = sysreg_read(S3_0_C0_C5_1);
		return true;
	case SYSREG_ENC(3, 0, 0, 5, 2):
		*value = sysreg_read(S3_0_C0_C5_2);
		return true;
	case SYSREG_ENC(3, 0, 0, 5, 3):
		*value = sysreg_read(S3_0_C0_C5_3);
		return true;
	case SYSREG_ENC(3, 0, 0, 5, 4):
		*value = sysreg_read(S3_0_C0_C5_4);
		return true;
	case SYSREG_ENC(3, 0, 0, 5, 5):
		*value = sysreg_read(S3_0_C0_C5_5);
		return true;
	case SYSREG_ENC(3, 0, 0, 5, 6):
		*value = sysreg_read(S3_0_C0_C5_6);
		return true;
	case SYSREG_ENC(3, 0, 0, 5, 7):
		*value = sysreg_read(S3_0_C0_C5_7);
		return true;
	case SYSREG_ENC(3, 0, 0, 6, 0):
		*value = sysreg_read(S3_0_C0_C6_0);
		return true;
	case SYSREG_ENC(3, 0, 0, 6, 1):
		*value = sysreg_read(S3_0_C0_C6_1);
		return true;
	case SYSREG_ENC(3, 0, 0, 6, 2):
		*value = sysreg_read(S3_0_C0_C6_2);
		return true;
	case SYSREG_ENC(3, 0, 0, 6, 3):
		*value = sysreg_read(S3_0_C0_C6_3);
		return true;
	case SYSREG_ENC(3, 0, 0, 6, 4):
		*value = sysreg_read(S3_0_C0_C6_4);
		return true;
	case SYSREG_ENC(3, 0, 0, 6, 5):
		*value = sysreg_read(S3_0_C0_C6_5);
		return true;
	case SYSREG_ENC(3, 0, 0, 6, 6):
		*value = sysreg_read(S3_0_C0_C6_6);
		return true;
	case SYSREG_ENC(3, 0, 0, 6, 7):
		*value = sysreg_read(S3_0_C0_C6_7);
		return true;
	case SYSREG_ENC(3, 0, 0, 7, 0):
		*value = sysreg_read(S3_0_C0_C7_0);
		return true;
	case SYSREG_ENC(3, 0, 0, 7, 1):
		*value = sysreg_read(S3_0_C0_C7_1);
		return true;
	case SYSREG_ENC(3, 0, 0, 7, 2):
		*value = sysreg_read(S3_0_C0_C7_2);
		return true;
	case SYSREG_ENC(3, 0, 0, 7, 3):
		*value = sysreg_read(S3_0_C0_C7_3);
		return true;
	case SYSREG_ENC(3, 0, 0, 7, 4):
		*value = sysreg_read(S3_0_C0_C7_4);
		return true;
	case SYSREG_ENC(3, 0, 0, 7, 5):
		*value = sysreg_read(S3_0_C0_C7_5);
		return true;
	case SYSREG_ENC(3, 0, 0, 7, 6):
		*value = sysreg_read(S3_0_C0_C7_6);
		return true;
	case SYSREG_ENC(3, 0, 0, 7, 7):
		*value = sysreg_read(S3_0_C0_C7_7);
		return true;
	default:
		return false;
	}
}
