/* SPDX-License-Identifier: Apache-2.0 */
/** The GICv3 CPU interface at EL2, by system registers; see gic_cpuif.h. */
#include "arch/arm64/gic_cpuif.h"

#include "arch/arm64/sysreg.h"
#include "hyp/arch.h"

void arch_gic_cpu_init(void)
{
	/*
	 * IHI 0069H 12.1: system registers at EL2 (SRE, with Enable so EL1 may
	 * use ICC_SRE_EL1), every priority unmasked, one priority group,
	 * EOImode 1 (EOI drops the priority, DIR deactivates: needed to forward
	 * interrupts to guests through HW list registers).
	 */
	sysreg_write(icc_sre_el2, 0xf);
	isb();
	sysreg_write(icc_pmr_el1, 0xff);
	sysreg_write(icc_bpr1_el1, 0);
	sysreg_write(icc_ctlr_el1, 1u << 1);
	sysreg_write(icc_igrpen1_el1, 1);
	isb();
}

uint32_t gic_cpuif_ack(void)
{
	uint32_t intid = (uint32_t)sysreg_read(icc_iar1_el1) & 0xffffff;

	__asm__ volatile("dsb sy" ::: "memory");
	return intid;
}

void gic_cpuif_eoi(uint32_t intid)
{
	sysreg_write(icc_eoir1_el1, intid);
	isb();
}

void arch_irq_deactivate(uint32_t intid)
{
	sysreg_write(icc_dir_el1, intid); /* EOImode 1: the deactivation alone */
	isb();
}

void gic_cpuif_eoi_deactivate(uint32_t intid)
{
	sysreg_write(icc_eoir1_el1, intid);
	sysreg_write(icc_dir_el1, intid);
	isb();
}

void gic_cpuif_send_sgi(uint64_t mpidr, unsigned intid)
{
	/* ICC_SGI1R_EL1 (GICv3 spec 12.11.24): Aff3 [55:48], RS [47:44], Aff2 [39:32],
	 * INTID [27:24], Aff1 [23:16], TargetList [15:0] */
	uint64_t aff0 = mpidr & 0xff;
	uint64_t v = (((mpidr >> 32) & 0xff) << 48) | ((aff0 / 16) << 44) |
		     (((mpidr >> 16) & 0xff) << 32) | ((uint64_t)(intid & 0xf) << 24) |
		     (((mpidr >> 8) & 0xff) << 16) | (1ull << (aff0 % 16));

	dsb_ishst();
	sysreg_write(icc_sgi1r_el1, v);
	isb();
}
