/* SPDX-License-Identifier: Apache-2.0 */
/** What hyp/ needs from the architecture to run a vCPU (arch/arm64/vcpu_arch.c). */
#ifndef HYP_ARCH_VCPU_H
#define HYP_ARCH_VCPU_H

#include <stdbool.h>
#include <stdint.h>

#include "hyp/addr.h"
#include "hyp/vcpu_regs.h"

/** Per-VM translation and timer settings, programmed when one of its vCPUs runs. */
struct arch_guest_ctl {
	uint64_t s2_root; /**< PA of the stage-2 root table */
	uint16_t vmid;
	unsigned ipa_bits;
	uint64_t cntvoff; /**< CNTVOFF_EL2: guest virtual count = physical - cntvoff */
};

/** Which vector a guest's exit came through (Arm ARM D1.10.2), before it is decoded. */
enum vcpu_exit_vector {
	VCPU_VECTOR_SYNC,
	VCPU_VECTOR_IRQ,
	VCPU_VECTOR_FIQ,
	VCPU_VECTOR_SERROR,
	VCPU_VECTOR_AARCH32, /**< any exception from AArch32, which Ferry does not run */
};

/** Why a guest left, decoded once by the arch from its syndrome. */
enum vcpu_exit_kind {
	VCPU_EXIT_WFI,
	VCPU_EXIT_WFE,
	VCPU_EXIT_HVC,
	VCPU_EXIT_SMC,
	VCPU_EXIT_SYSREG,     /**< a trapped MSR or MRS: `sysreg` */
	VCPU_EXIT_DATA_ABORT, /**< a stage-2 data abort: `abort`, `ipa`, `access` */
	VCPU_EXIT_INSN_ABORT, /**< a stage-2 instruction abort: `abort`, `ipa` */
	VCPU_EXIT_UNKNOWN,    /**< any other synchronous exception (reported with esr) */
	VCPU_EXIT_IRQ,
	VCPU_EXIT_FIQ,
	VCPU_EXIT_SERROR,
	VCPU_EXIT_AARCH32,
};

/** An abort's fault status (DFSC/IFSC, Arm ARM D19.2.40), as far as Ferry tells them apart. */
enum vcpu_abort {
	VCPU_ABORT_TRANSLATION, /**< nothing mapped there (postcopy's missing pages) */
	VCPU_ABORT_PERMISSION,	/**< mapped, not writable (dirty logging) */
	VCPU_ABORT_OTHER,
};

struct vcpu_exit {
	enum vcpu_exit_kind kind;
	uint64_t esr; /**< ESR_EL2 as taken, for reports */
	uint64_t far; /**< FAR_EL2: the faulting VA, for an abort injected into the guest */
	/* Aborts */
	enum vcpu_abort abort;
	ipaddr_t ipa; /**< the faulting IPA (HPFAR_EL2 and FAR's page offset) */
	/**
	 * The fault is of stage 1's walk of the guest's own tables (S1PTW),
	 * whatever the access the walk was for: a permission fault there is
	 * the walker's write of a descriptor's Access flag or dirty state
	 * (FEAT_HAFDBS), even for an instruction fetch.
	 */
	bool walk;
	/** A data access the syndrome describes (ISV = 1), to emulate a device register. */
	struct {
		bool valid;
		bool write;
		bool sign_extend;
		bool sixty_four; /**< the register is Xn (else Wn) */
		unsigned size;	 /**< bytes */
		unsigned rt;	 /**< 31: XZR */
	} access;
	/** A trapped system register: its encoding (SYSREG_ENC), direction and register. */
	struct {
		uint32_t encoding;
		bool read;
		unsigned rt;
	} sysreg;
};

/**
 * Decodes what the hardware reported of a guest's exit (the vector, ESR,
 * FAR and HPFAR of EL2) into a typed exit. Pure (arch/arm64/vcpu_exit.c),
 * so the fake arch of host tests decodes the same way.
 */
void arch_exit_decode(enum vcpu_exit_vector vector, uint64_t esr, uint64_t far, uint64_t hpfar,
		      struct vcpu_exit *out);

/**
 * The syndrome (ESR_EL1) of an exception Ferry injects into a guest: a
 * synchronous external abort on a data access or an instruction fetch,
 * from EL0 or EL1, or an undefined instruction (Arm ARM D19.2.40).
 */
uint64_t arch_syndrome_external_abort(bool instruction, bool from_el0);
uint64_t arch_syndrome_undef(void);

/** Puts a vCPU's EL1 state (system registers, timer, GIC interface) on this CPU. */
void arch_vcpu_load(struct vcpu_regs *regs, uint64_t vmpidr, const struct arch_guest_ctl *ctl);

/** Takes the EL1 state back into regs (before it is read, saved or migrated). */
void arch_vcpu_put(struct vcpu_regs *regs);

/** Runs the loaded vCPU until its next exit (list registers from regs->gic). */
void arch_vcpu_enter(struct vcpu_regs *regs, unsigned lr_count, struct vcpu_exit *exit);

/**
 * Stage-2 entries of the VM changed (made read-only): invalidates its
 * translations on every CPU. Any CPU may call it (Arm ARM D8.13: TLBI by
 * VMID acts on the VMID in VTTBR_EL2, so it is loaded for the operation).
 */
void arch_s2_flush_vm(const struct arch_guest_ctl *ctl);

/** Makes new stage-2 descriptors visible to every CPU's table walks (invalid to valid needs no
 * TLBI). */
void arch_s2_publish(void);

/** Invalidates this CPU's translations of its loaded VM (after a permission upgrade). */
void arch_s2_flush_local(void);

/**
 * The EL1 virtual timer of this CPU is enabled and unmasked: *due is the
 * physical count at which its condition holds (CNTV_CVAL_EL0 + CNTVOFF_EL2,
 * Arm ARM D11.2.4; UINT64_MAX for a CVAL that sum would wrap). False when it
 * cannot fire.
 */
bool arch_vcpu_timer_due(uint64_t *due);

/**
 * The EL1 virtual timer of this CPU asserts its interrupt: enabled, not
 * masked, its condition met (CNTV_CTL_EL0.ENABLE, IMASK, ISTATUS).
 */
bool arch_vcpu_timer_asserted(void);

/**
 * Has the EL1 virtual timer of this CPU evaluate its condition now, changing
 * nothing (CNTV_CVAL_EL0 written with its own value): hardware evaluates it
 * continuously, an emulator may only when a timer register is written.
 */
void arch_vcpu_timer_refresh(void);

/** Disables the EL1 virtual timer of this CPU (after its vCPU stopped for good). */
void arch_vcpu_timer_stop(void);

/**
 * Loads the EL1 virtual timer of this CPU from t (CVAL, then CTL), with the
 * VM's offset (CNTVOFF_EL2) as it is now.
 */
void arch_vcpu_timer_load(const struct vcpu_timer *t, uint64_t cntvoff);

/** List registers of this CPU's GIC (ICH_VTR_EL2). */
unsigned arch_gic_lr_count(void);

/** Packs a system-register encoding as in the ISS of a trapped MSR/MRS. */
#define SYSREG_ENC(op0, op1, crn, crm, op2)                                                        \
	(((op0) << 14) | ((op1) << 11) | ((crn) << 7) | ((crm) << 3) | (op2))

/** Reads an ID register (op0 3, op1 0, CRn 0, CRm 1-7) of this CPU; false if not one. */
bool arch_read_id_reg(uint32_t encoding, uint64_t *value);

/** Makes CPU `cpu` leave its guest or its idle wait and look at its vCPU again. */
void arch_kick_cpu(unsigned cpu);

/** The physical interrupt used for arch_kick_cpu (an SGI). */
#define ARCH_KICK_INTID 0

#endif
