/* SPDX-License-Identifier: Apache-2.0 */
/*
 * EL2 runs with IRQs masked; arch_idle_wait is the one place that lets them
 * in. WFI wakes on a pending IRQ even while it is masked (Arm ARM D1.6.2),
 * so waiting masked and unmasking afterwards cannot lose a wake-up that
 * arrives between the caller's last check for work and the WFI.
 *
 * Being an out-of-line function, every caller-saved register (general and
 * FP/SIMD) is dead here, so an IRQ handler in C may clobber them freely and
 * the vector entry need not save FP/SIMD state for EL2-to-EL2 interrupts.
 */
	.section .text, "ax"
	.global arch_idle_wait
arch_idle_wait:
	dsb	sy
	wfi
	msr	daifclr, #2
	isb
	msr	daifset, #2
	ret

	/* Takes an IRQ already pending, without waiting for one. */
	.global arch_irq_window
arch_irq_window:
	msr	daifclr, #2
	isb
	msr	daifset, #2
	ret
