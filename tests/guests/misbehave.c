/* SPDX-License-Identifier: Apache-2.0 */
/**
 * A guest that does what it must not: loads from an address where nothing
 * is, reads an implementation-defined system register, calls SMC. Each must
 * come back to it as an exception (or, for SMC, an answer), and the guest
 * goes on.
 */
#include "tests/guests/rt/guest.h"

const char test_name[] = "misbehave";

static volatile unsigned sync_exceptions;
static volatile uint64_t last_esr;

static void on_sync(unsigned kind, struct guest_frame *f)
{
	if (kind != 4)
		guest_fail("unexpected exception kind");
	last_esr = sysreg_read(esr_el1);
	sync_exceptions++;
	f->elr += 4; /* skip the faulting instruction */
}

void test_main(unsigned cpu)
{
	uint64_t ec;
	int64_t smc_result;

	(void)cpu;
	guest_exception_hook = on_sync;

	/* 1. a load from a hole in the memory map: synchronous external abort */
	{
		uint32_t v;

		__asm__ volatile("ldr %w0, [%1]" : "=r"(v) : "r"(0x0e000000ul) : "memory");
	}
	ec = (last_esr >> 26) & 0x3f;
	guest_printf("load from a hole: exception EC 0x%llx, DFSC 0x%llx\n", (unsigned long long)ec,
		     (unsigned long long)(last_esr & 0x3f));
	if (sync_exceptions != 1 || ec != 0x25 || (last_esr & 0x3f) != 0x10)
		guest_fail("no external abort for a load from a hole");

	/* 2. an IMPLEMENTATION DEFINED system register: undefined instruction */
	(void)sysreg_read(s3_7_c15_c0_0);
	ec = (last_esr >> 26) & 0x3f;
	guest_printf("unknown system register: exception EC 0x%llx\n", (unsigned long long)ec);
	if (sync_exceptions != 2 || ec != 0)
		guest_fail("no undefined-instruction exception for an unknown register");

	/* 3. SMC: undefined without EL3, or a PSCI answer from a hypervisor */
	{
		register uint64_t x0 __asm__("x0") = 0x84000000u; /* PSCI_VERSION */

		__asm__ volatile("smc #0" : "+r"(x0)::"memory");
		smc_result = (int64_t)x0;
	}
	guest_printf("SMC: %s\n", sync_exceptions == 3 ? "undefined" : "answered");
	if (sync_exceptions == 2 && smc_result < 0x10000)
		guest_fail("SMC answered with a bad PSCI version");
	guest_pass();
}
