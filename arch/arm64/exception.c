/* SPDX-License-Identifier: Apache-2.0 */
/** Dispatch of the exceptions the EL2 vectors catch. */
#include "arch/arm64/frame.h"
#include "arch/arm64/gic_cpuif.h"
#include "hyp/arch.h"
#include "hyp/irq.h"

void arch_exception(unsigned kind, struct arch_frame *frame);

void arch_exception(unsigned kind, struct arch_frame *frame)
{
	switch (kind) {
	case VEC_EL2H_IRQ:
	case VEC_EL1_64_IRQ:
		hyp_irq_handle();
		return;
	case VEC_EL2H_SYNC:
		crash_report("synchronous exception at EL2", frame);
	case VEC_EL2H_SERROR:
		crash_report("SError at EL2", frame);
	case VEC_EL2H_FIQ:
		crash_report("unexpected FIQ at EL2", frame);
	case VEC_EL2T_SYNC:
	case VEC_EL2T_IRQ:
	case VEC_EL2T_FIQ:
	case VEC_EL2T_SERROR:
		crash_report("exception taken with SP_EL0 at EL2", frame);
	default:
		crash_report("unexpected exception from a lower EL (no VM support yet)", frame);
	}
}

void hyp_irq_handle(void)
{
	for (;;) {
		uint32_t intid = gic_cpuif_ack();

		if (intid >= 1020 && intid <= 1023)
			return; /* spurious or nothing left */
		/* EOImode 1: EOIR drops the priority, DIR deactivates (GICv3 spec 4.1.1). */
		if (irq_dispatch(intid) == IRQ_FORWARDED)
			gic_cpuif_eoi(intid);
		else
			gic_cpuif_eoi_deactivate(intid);
	}
}
