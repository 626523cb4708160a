/* SPDX-License-Identifier: Apache-2.0 */
/**
 * Everything a guest sees of one of its CPUs, as plain data: saved and
 * restored on every switch, and what migration saves and loads. Register
 * names are the Arm ARM's, in lower case.
 */
#ifndef HYP_VCPU_REGS_H
#define HYP_VCPU_REGS_H

#ifndef __ASSEMBLER__
#include <stdint.h>

/** EL1 system registers (Arm ARM D19.2), saved when a vCPU leaves its CPU. */
struct vcpu_sysregs {
	uint64_t sctlr_el1, actlr_el1, cpacr_el1;
	uint64_t ttbr0_el1, ttbr1_el1, tcr_el1, mair_el1, amair_el1;
	uint64_t esr_el1, far_el1, afsr0_el1, afsr1_el1, par_el1;
	uint64_t vbar_el1, contextidr_el1, tpidr_el0, tpidrro_el0, tpidr_el1;
	uint64_t sp_el0, sp_el1, elr_el1, spsr_el1;
	uint64_t cntkctl_el1, csselr_el1;
	uint64_t mdscr_el1; /**< emulated: debug registers trap to Ferry */
};

/** FP/SIMD state: v0-v31 as pairs of 64-bit halves (low first), FPSR, FPCR. */
struct vcpu_fp {
	uint64_t v[64];
	uint64_t fpsr, fpcr;
};

/** The EL1 virtual timer (Arm ARM D11.2.4); CNTVOFF belongs to the VM. */
struct vcpu_timer {
	uint64_t cntv_ctl_el0;
	uint64_t cntv_cval_el0;
};

#define VGIC_LR_MAX 16

/** The virtual CPU interface (GICv3 spec 12.4): list registers and friends. */
struct vgic_cpu_if {
	uint64_t ich_lr_el2[VGIC_LR_MAX];
	uint32_t ich_ap0r_el2[4];
	uint32_t ich_ap1r_el2[4];
	uint32_t ich_vmcr_el2;
	uint32_t ich_hcr_el2;
};

struct vcpu_regs {
	uint64_t x[31];
	uint64_t pc;
	uint64_t pstate;   /**< SPSR_EL2 view of PSTATE */
	uint64_t reserved; /**< keeps fp 16-byte aligned for ldp/stp of q registers */
	struct vcpu_fp fp;
	struct vcpu_sysregs sys;
	struct vcpu_timer timer;
	struct vgic_cpu_if gic;
};

#endif /* __ASSEMBLER__ */

/* Offsets the guest entry/exit assembly relies on (arch/arm64/guest_switch.S). */
#define VCPU_REGS_X	 0
#define VCPU_REGS_PC	 (31 * 8)
#define VCPU_REGS_PSTATE (32 * 8)
#define VCPU_REGS_FP	 (34 * 8)

#ifndef __ASSEMBLER__
_Static_assert(__builtin_offsetof(struct vcpu_regs, pc) == VCPU_REGS_PC, "asm offsets");
_Static_assert(__builtin_offsetof(struct vcpu_regs, pstate) == VCPU_REGS_PSTATE, "asm offsets");
_Static_assert(__builtin_offsetof(struct vcpu_regs, fp) == VCPU_REGS_FP, "asm offsets");
_Static_assert(__builtin_offsetof(struct vcpu_fp, fpsr) == 512, "asm offsets");
#endif /* __ASSEMBLER__ */

#endif
