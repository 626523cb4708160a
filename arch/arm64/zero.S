/* SPDX-License-Identifier: Apache-2.0 */
/*
 * void arch_zero_pages(void *dst, size_t bytes): bytes is a multiple of
 * 64 and dst 64-byte aligned. Paired stores of the zero register: measured
 * faster on TCG than DC ZVA (a helper call per block there) and than
 * 64-byte SIMD stores; a real core streams them as well.
 */
	.section .text, "ax"
	.global arch_zero_pages
arch_zero_pages:
	cbz	x1, 2f
1:	stp	xzr, xzr, [x0]
	stp	xzr, xzr, [x0, #16]
	stp	xzr, xzr, [x0, #32]
	stp	xzr, xzr, [x0, #48]
	add	x0, x0, #64
	subs	x1, x1, #64
	b.ne	1b
2:	ret
