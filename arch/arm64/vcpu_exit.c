/* SPDX-License-Identifier: Apache-2.0 */
/**
 * A guest's exit decoded once, from ESR_EL2, FAR_EL2 and HPFAR_EL2 (Arm ARM
 * D19.2.40, "ESR_EL2"; D19.2.55, "HPFAR_EL2"), and the syndromes of the
 * exceptions Ferry injects. Pure: the fake arch of host tests decodes
 * through the same code.
 */
#include "arch/arm64/esr.h"
#include "hyp/arch_vcpu.h"

/* Data and instruction aborts: DFSC/IFSC [5:0], of which [5:2] give the kind. */
#define ISS_FSC_KIND(iss) ((iss)&0x3cu)
#define FSC_TRANSLATION	  0x04u /* 0b0001xx: translation fault, level xx */
#define FSC_PERMISSION	  0x0cu /* 0b0011xx: permission fault, level xx */
#define FSC_SYNC_EXTERNAL 0x10u
/* Data aborts with a valid syndrome (D19.2.40.5): ISV, SAS, SSE, SRT, SF, WnR. */
#define ISS_ISV(iss) (((iss) >> 24) & 1u)
#define ISS_SAS(iss) (((iss) >> 22) & 3u)
#define ISS_SSE(iss) (((iss) >> 21) & 1u)
#define ISS_SRT(iss) (((iss) >> 16) & 0x1fu)
#define ISS_SF(iss)  (((iss) >> 15) & 1u)
#define ISS_WNR(iss) (((iss) >> 6) & 1u)
/* S1PTW: a stage-2 fault on stage 1's own table walk (data and instruction aborts alike). */
#define ISS_S1PTW(iss) (((iss) >> 7) & 1u)
/* WFx (EC 0x01): TI [1:0], 0 WFI, 1 WFE. */
#define ISS_WFE(iss) ((iss)&1u)

/* A trapped MSR/MRS (EC 0x18): Op0 [21:20], Op2 [19:17], Op1 [16:14], CRn [13:10], Rt [9:5],
 * CRm [4:1], direction [0] (1: read). */
static void decode_sysreg(uint32_t iss, struct vcpu_exit *out)
{
	uint32_t op0 = (iss >> 20) & 3, op2 = (iss >> 17) & 7, op1 = (iss >> 14) & 7;
	uint32_t crn = (iss >> 10) & 0xf, crm = (iss >> 1) & 0xf;

	out->sysreg.encoding = SYSREG_ENC(op0, op1, crn, crm, op2);
	out->sysreg.rt = (iss >> 5) & 0x1f;
	out->sysreg.read = iss & 1;
}

/** HPFAR_EL2.FIPA [43:4] holds IPA [51:12]; FAR_EL2 gives the page offset. */
static void decode_abort(uint32_t iss, uint64_t far, uint64_t hpfar, struct vcpu_exit *out)
{
	uint32_t kind = ISS_FSC_KIND(iss);

	out->ipa = ipa_init(((hpfar >> 4) << 12) | (far & 0xfff));
	out->abort = kind == FSC_TRANSLATION  ? VCPU_ABORT_TRANSLATION
		     : kind == FSC_PERMISSION ? VCPU_ABORT_PERMISSION
					      : VCPU_ABORT_OTHER;
	out->walk = ISS_S1PTW(iss);
	if (out->kind != VCPU_EXIT_DATA_ABORT || !ISS_ISV(iss))
		return;
	out->access.valid = true;
	out->access.size = 1u << ISS_SAS(iss);
	out->access.sign_extend = ISS_SSE(iss);
	out->access.rt = ISS_SRT(iss);
	out->access.sixty_four = ISS_SF(iss);
	out->access.write = ISS_WNR(iss);
}

void arch_exit_decode(enum vcpu_exit_vector vector, uint64_t esr, uint64_t far, uint64_t hpfar,
		      struct vcpu_exit *out)
{
	uint32_t iss = ESR_ISS(esr);

	*out = (struct vcpu_exit){ .esr = esr, .far = far };
	switch (vector) {
	case VCPU_VECTOR_IRQ:
		out->kind = VCPU_EXIT_IRQ;
		return;
	case VCPU_VECTOR_FIQ:
		out->kind = VCPU_EXIT_FIQ;
		return;
	case VCPU_VECTOR_SERROR:
		out->kind = VCPU_EXIT_SERROR;
		return;
	case VCPU_VECTOR_AARCH32:
		out->kind = VCPU_EXIT_AARCH32;
		return;
	case VCPU_VECTOR_SYNC:
		break;
	}
	switch (ESR_EC(esr)) {
	case ESR_EC_WFX:
		out->kind = ISS_WFE(iss) ? VCPU_EXIT_WFE : VCPU_EXIT_WFI;
		break;
	case ESR_EC_HVC64:
		out->kind = VCPU_EXIT_HVC;
		break;
	case ESR_EC_SMC64:
		out->kind = VCPU_EXIT_SMC;
		break;
	case ESR_EC_SYSREG:
		out->kind = VCPU_EXIT_SYSREG;
		decode_sysreg(iss, out);
		break;
	case ESR_EC_DABT_LOW:
		out->kind = VCPU_EXIT_DATA_ABORT;
		decode_abort(iss, far, hpfar, out);
		break;
	case ESR_EC_IABT_LOW:
		out->kind = VCPU_EXIT_INSN_ABORT;
		decode_abort(iss, far, hpfar, out);
		break;
	default:
		out->kind = VCPU_EXIT_UNKNOWN;
		break;
	}
}

uint64_t arch_syndrome_external_abort(bool instruction, bool from_el0)
{
	/* Taken to EL1: the "lower EL" class from EL0, the "same EL" one from EL1. */
	uint64_t ec = instruction ? (from_el0 ? ESR_EC_IABT_LOW : ESR_EC_IABT_CUR)
				  : (from_el0 ? ESR_EC_DABT_LOW : ESR_EC_DABT_CUR);

	return ec << 26 | ESR_IL | FSC_SYNC_EXTERNAL;
}

uint64_t arch_syndrome_undef(void) { return (uint64_t)ESR_EC_UNKNOWN << 26 | ESR_IL; }
