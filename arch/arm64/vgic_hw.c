/* SPDX-License-Identifier: Apache-2.0 */
/** ICH_* save and restore, see vgic_hw.h (GICv3 spec 12.4). */
#include "arch/arm64/vgic_hw.h"

#include "arch/arm64/sysreg.h"
#include "boards/board.h"
#include "hyp/arch.h"
#include "hyp/arch_vcpu.h"

#define LR_STATE_MASK (3ull << 62) /* ICH_LR<n>_EL2.State (GICv3 spec 12.4.8) */
#define LR_PENDING    (1ull << 62)
#define HCR_EN	      1ull /* ICH_HCR_EL2.En (GICv3 spec 12.4.5) */

/*
 * What each CPU's list registers and ICH_HCR_EL2 hold, as Ferry last wrote
 * or read them: around every guest entry only the registers that change
 * are written, and only the list registers the hardware may have changed
 * (those holding an interrupt: an invalid one stays as written) are read.
 * On an emulated board every access to an ICH_ register takes the
 * emulator's big lock (QEMU's are I/O registers): ten of them at each
 * entry and exit, with a protected VM's write faults at thousands a
 * second, cost the guest more than its checkpoints' pauses.
 */
static struct {
	uint64_t lr[VGIC_LR_MAX];
	uint64_t hcr;
	bool known; /* false until the first load on this CPU */
} held[BOARD_CPU_MAX];

/* ICH_LR<n>_EL2 names an individual register: a switch, not an index. */
static void write_lr(unsigned n, uint64_t v)
{
	switch (n) {
	case 0:
		sysreg_write(ich_lr0_el2, v);
		break;
	case 1:
		sysreg_write(ich_lr1_el2, v);
		break;
	case 2:
		sysreg_write(ich_lr2_el2, v);
		break;
	case 3:
		sysreg_write(ich_lr3_el2, v);
		break;
	case 4:
		sysreg_write(ich_lr4_el2, v);
		break;
	case 5:
		sysreg_write(ich_lr5_el2, v);
		break;
	case 6:
		sysreg_write(ich_lr6_el2, v);
		break;
	case 7:
		sysreg_write(ich_lr7_el2, v);
		break;
	case 8:
		sysreg_write(ich_lr8_el2, v);
		break;
	case 9:
		sysreg_write(ich_lr9_el2, v);
		break;
	case 10:
		sysreg_write(ich_lr10_el2, v);
		break;
	case 11:
		sysreg_write(ich_lr11_el2, v);
		break;
	case 12:
		sysreg_write(ich_lr12_el2, v);
		break;
	case 13:
		sysreg_write(ich_lr13_el2, v);
		break;
	case 14:
		sysreg_write(ich_lr14_el2, v);
		break;
	case 15:
		sysreg_write(ich_lr15_el2, v);
		break;
	default:
		break;
	}
}

static uint64_t read_lr(unsigned n)
{
	switch (n) {
	case 0:
		return sysreg_read(ich_lr0_el2);
	case 1:
		return sysreg_read(ich_lr1_el2);
	case 2:
		return sysreg_read(ich_lr2_el2);
	case 3:
		return sysreg_read(ich_lr3_el2);
	case 4:
		return sysreg_read(ich_lr4_el2);
	case 5:
		return sysreg_read(ich_lr5_el2);
	case 6:
		return sysreg_read(ich_lr6_el2);
	case 7:
		return sysreg_read(ich_lr7_el2);
	case 8:
		return sysreg_read(ich_lr8_el2);
	case 9:
		return sysreg_read(ich_lr9_el2);
	case 10:
		return sysreg_read(ich_lr10_el2);
	case 11:
		return sysreg_read(ich_lr11_el2);
	case 12:
		return sysreg_read(ich_lr12_el2);
	case 13:
		return sysreg_read(ich_lr13_el2);
	case 14:
		return sysreg_read(ich_lr14_el2);
	case 15:
		return sysreg_read(ich_lr15_el2);
	default:
		return 0;
	}
}

unsigned arch_gic_lr_count(void) { return (unsigned)(sysreg_read(ich_vtr_el2) & 0x1f) + 1; }

/*
 * ICH_VTR_EL2.PREbits [28:26] + 1 preemption bits (5 on QEMU) make 2^n
 * group priorities, 32 a register: with 5 only AP0R0/AP1R0 exist, with 6
 * also AP*R1, with 7 all four (GICv3 spec 12.4.1, 12.4.2).
 */
unsigned vgic_hw_apr_count(void)
{
	unsigned pre_bits = (unsigned)((sysreg_read(ich_vtr_el2) >> 26) & 7) + 1;

	return pre_bits >= 7 ? 4 : pre_bits == 6 ? 2 : 1;
}

void vgic_hw_load(const struct vgic_cpu_if *cif)
{
	unsigned n = vgic_hw_apr_count();

	sysreg_write(ich_vmcr_el2, cif->ich_vmcr_el2);
	sysreg_write(ich_ap0r0_el2, cif->ich_ap0r_el2[0]);
	sysreg_write(ich_ap1r0_el2, cif->ich_ap1r_el2[0]);
	if (n > 1) {
		sysreg_write(ich_ap0r1_el2, cif->ich_ap0r_el2[1]);
		sysreg_write(ich_ap1r1_el2, cif->ich_ap1r_el2[1]);
	}
	if (n > 2) {
		sysreg_write(ich_ap0r2_el2, cif->ich_ap0r_el2[2]);
		sysreg_write(ich_ap1r2_el2, cif->ich_ap1r_el2[2]);
		sysreg_write(ich_ap0r3_el2, cif->ich_ap0r_el2[3]);
		sysreg_write(ich_ap1r3_el2, cif->ich_ap1r_el2[3]);
	}
}

void vgic_hw_save(struct vgic_cpu_if *cif)
{
	unsigned n = vgic_hw_apr_count();

	cif->ich_vmcr_el2 = (uint32_t)sysreg_read(ich_vmcr_el2);
	cif->ich_ap0r_el2[0] = (uint32_t)sysreg_read(ich_ap0r0_el2);
	cif->ich_ap1r_el2[0] = (uint32_t)sysreg_read(ich_ap1r0_el2);
	if (n > 1) {
		cif->ich_ap0r_el2[1] = (uint32_t)sysreg_read(ich_ap0r1_el2);
		cif->ich_ap1r_el2[1] = (uint32_t)sysreg_read(ich_ap1r1_el2);
	}
	if (n > 2) {
		cif->ich_ap0r_el2[2] = (uint32_t)sysreg_read(ich_ap0r2_el2);
		cif->ich_ap1r_el2[2] = (uint32_t)sysreg_read(ich_ap1r2_el2);
		cif->ich_ap0r_el2[3] = (uint32_t)sysreg_read(ich_ap0r3_el2);
		cif->ich_ap1r_el2[3] = (uint32_t)sysreg_read(ich_ap1r3_el2);
	}
}

void vgic_hw_load_lrs(const struct vgic_cpu_if *cif, unsigned lr_count)
{
	unsigned cpu = arch_cpu_index();
	bool known = held[cpu].known;

	for (unsigned n = 0; n < lr_count && n < VGIC_LR_MAX; n++)
		if (!known || held[cpu].lr[n] != cif->ich_lr_el2[n]) {
			write_lr(n, cif->ich_lr_el2[n]);
			held[cpu].lr[n] = cif->ich_lr_el2[n];
		}
	if (!known || held[cpu].hcr != cif->ich_hcr_el2) {
		sysreg_write(ich_hcr_el2, cif->ich_hcr_el2);
		held[cpu].hcr = cif->ich_hcr_el2;
	}
	held[cpu].known = true;
	isb();
}

void vgic_hw_save_lrs(struct vgic_cpu_if *cif, unsigned lr_count)
{
	unsigned cpu = arch_cpu_index();
	bool pending = false;

	for (unsigned n = 0; n < lr_count && n < VGIC_LR_MAX; n++) {
		if (held[cpu].lr[n] & LR_STATE_MASK)
			held[cpu].lr[n] = read_lr(n);
		pending |= (held[cpu].lr[n] & LR_PENDING) != 0;
		cif->ich_lr_el2[n] = held[cpu].lr[n];
	}
	/*
	 * Off while Ferry runs when it asks for maintenance interrupts
	 * (underflow and the like: none from an idle interface) or holds a
	 * pending interrupt: an enabled interface signals it as a virtual IRQ
	 * even at EL2, where it is never taken, and a CPU with an interrupt
	 * signalled does not sleep in WFI (an emulated board wakes at once,
	 * and the parked vCPU then spins). Enabled alone with nothing pending,
	 * it signals nothing and stays so for the next entry.
	 */
	if ((held[cpu].hcr & ~HCR_EN) || (held[cpu].hcr && pending)) {
		sysreg_write(ich_hcr_el2, 0);
		held[cpu].hcr = 0;
	}
	isb();
}
