/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The guest of the fake arch, played by a test. arch_vcpu_enter calls the
 * step the test installed for the CPU; the step "runs" the guest (it may
 * read and change the general registers, PC, PSTATE, the EL1 registers on
 * the fake hardware and the list registers) until the next exit, and
 * returns that exit. The helpers below execute one instruction each as
 * the hardware would: they set what the Arm ARM says the CPU sets (ESR,
 * FAR, HPFAR, the preferred return address) for an instruction that
 * traps to EL2, and complete one that does not (PC moves on). The guest's
 * own MMU is off: its virtual addresses are its IPAs.
 */
#ifndef TESTS_FAKE_ARCH_FAKE_GUEST_H
#define TESTS_FAKE_ARCH_FAKE_GUEST_H

#include <stdbool.h>
#include <stdint.h>

#include "tests/fake_arch/fake_arch.h"

/** What a guest step sees of its CPU. */
struct fake_guest {
	unsigned cpu;
	struct vcpu_regs *regs; /**< x0-x30, pc, pstate, FP: switched on every entry */
	struct fake_hw *hw;	/**< EL1 registers and list registers, on the CPU */
	unsigned lr_count;	/**< list registers loaded for this entry */
	uint64_t entry;		/**< entries into this guest on this CPU before this one */
	void *arg;
};

/** Runs the guest until its next exit. Runs on the vCPU's thread: no cmocka asserts here. */
typedef struct vcpu_exit (*fake_guest_fn)(struct fake_guest *g);

/** Installs the guest of CPU `cpu` (or of every CPU). Without one, a guest just runs. */
void fake_guest_install(unsigned cpu, fake_guest_fn fn, void *arg);

/** Runs without trapping until an interrupt is pending (or the idle safety net ends): an IRQ exit.
 */
struct vcpu_exit fake_guest_run(struct fake_guest *g);

/** WFI and WFE (trapped: HCR_EL2.TWI; the preferred return address is the instruction). */
struct vcpu_exit fake_guest_wfi(struct fake_guest *g);
struct vcpu_exit fake_guest_wfe(struct fake_guest *g);

/** HVC #imm: returns to the next instruction (Arm ARM D1.10.4), so PC moves on now. */
struct vcpu_exit fake_guest_hvc(struct fake_guest *g, uint16_t imm);

/** x0-x3 = fid and arguments, then HVC #0 (SMCCC). */
struct vcpu_exit fake_guest_psci(struct fake_guest *g, uint32_t fid, uint64_t a1, uint64_t a2,
				 uint64_t a3);

/** SMC #imm trapped by HCR_EL2.TSC: the preferred return address is the SMC itself. */
struct vcpu_exit fake_guest_smc(struct fake_guest *g, uint16_t imm);

/** A trapped MSR (write from x[rt]) or MRS (read into x[rt]) of S<op0>_<op1>_C<crn>_C<crm>_<op2>.
 */
struct vcpu_exit fake_guest_msr(struct fake_guest *g, unsigned op0, unsigned op1, unsigned crn,
				unsigned crm, unsigned op2, unsigned rt);
struct vcpu_exit fake_guest_mrs(struct fake_guest *g, unsigned op0, unsigned op1, unsigned crn,
				unsigned crm, unsigned op2, unsigned rt);

/** An SError taken to EL2, and an exit from AArch32 state. */
struct vcpu_exit fake_guest_serror(struct fake_guest *g, uint64_t esr);
struct vcpu_exit fake_guest_aarch32(struct fake_guest *g);

/** ERET at EL1: back to ELR_EL1 with SPSR_EL1 (the end of the guest's exception handler). */
void fake_guest_eret(struct fake_guest *g);

/** The form of a load: ISS.SSE (LDRSB, LDRSH, LDRSW) and ISS.SF (into a W register). */
#define FAKE_MEM_SIGNED (1u << 0)
#define FAKE_MEM_W	(1u << 1)
/** An access that gives no syndrome (ISS.ISV = 0), such as LDP or a load with writeback. */
#define FAKE_MEM_NO_ISV (1u << 2)

/**
 * A load of `size` bytes at `ipa` into x[rt] through stage 2 (the CPU's
 * TLB, then the tables of its VTTBR_EL2). True when it trapped to EL2
 * (*exit filled: a stage-2 translation or permission fault with its
 * syndrome; PC stays); false when it completed (x[rt] set, PC moved on).
 */
bool fake_guest_load(struct fake_guest *g, uint64_t ipa, unsigned size, unsigned rt, unsigned form,
		     struct vcpu_exit *exit);

/** A store of the low `size` bytes of x[rt] (x31: zero), like fake_guest_load. */
bool fake_guest_store(struct fake_guest *g, uint64_t ipa, unsigned size, unsigned rt, unsigned form,
		      struct vcpu_exit *exit);

/** The fetch of the instruction at PC: true when it trapped (an instruction abort in *exit). */
bool fake_guest_fetch(struct fake_guest *g, struct vcpu_exit *exit);

/**
 * The virtual CPU interface, which the guest uses without trapping
 * (GICv3 spec 12.4.8, list registers). ack: reads ICC_IAR1_EL1, the most
 * urgent pending group 1 interrupt becomes active (1023: none). eoi: writes
 * ICC_EOIR1_EL1 with EOImode 0, the interrupt is deactivated.
 */
uint32_t fake_guest_ack(struct fake_guest *g);
void fake_guest_eoi(struct fake_guest *g, uint32_t intid);

#endif
