/* SPDX-License-Identifier: Apache-2.0 */
/** Runtime of the test guests, see guest.h. */
#include <stdarg.h>

#include "lib/format.h"
#include "tests/guests/rt/guest.h"

#define UART	    0x09000000ul
#define GICD	    0x08000000ul
#define GICR	    0x080a0000ul
#define GICR_STRIDE 0x20000ul
#define SGI_FRAME   0x10000ul

#define PSCI_SYSTEM_OFF	   0x84000008u
#define PSCI_CPU_ON	   0xc4000003u
#define PSCI_AFFINITY_INFO 0xc4000004u

void (*volatile guest_exception_hook)(unsigned kind, struct guest_frame *f);
void guest_cpu_main(unsigned cpu);
void guest_exception(unsigned kind, struct guest_frame *f);
extern char guest_secondary_entry[];

/*
 * Device accesses as single loads and stores without writeback, as Linux's
 * readl/writel: a hypervisor emulating the device needs the syndrome
 * (ESR ISV) such an instruction gives, and gets none for pre- or
 * post-indexed forms (Arm ARM D19.2.40).
 */
static uint32_t mmio_read(uintptr_t a)
{
	uint32_t v;

	__asm__ volatile("ldr %w0, [%1]" : "=r"(v) : "r"(a) : "memory");
	return v;
}

static void mmio_write(uintptr_t a, uint32_t v)
{
	__asm__ volatile("str %w0, [%1]" ::"rZ"(v), "r"(a) : "memory");
}

static void uart_putc(char c)
{
	while (mmio_read(UART + 0x18) & (1u << 5))
		;
	mmio_write(UART, (uint8_t)c);
}

static volatile uint32_t print_lock;

void guest_printf(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	n = format_vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;
	while (__atomic_exchange_n(&print_lock, 1, __ATOMIC_ACQUIRE))
		;
	for (size_t i = 0; i < n; i++)
		uart_putc(buf[i]);
	__atomic_store_n(&print_lock, 0, __ATOMIC_RELEASE);
}

int64_t guest_psci(uint64_t fid, uint64_t a1, uint64_t a2, uint64_t a3)
{
	register uint64_t x0 __asm__("x0") = fid;
	register uint64_t x1 __asm__("x1") = a1;
	register uint64_t x2 __asm__("x2") = a2;
	register uint64_t x3 __asm__("x3") = a3;

	__asm__ volatile("hvc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)::"memory");
	return (int64_t)x0;
}

_Noreturn void guest_power_off(void)
{
	guest_psci(PSCI_SYSTEM_OFF, 0, 0, 0);
	for (;;)
		__asm__ volatile("wfi");
}

_Noreturn void guest_pass(void)
{
	guest_printf("FERRY-TEST %s: PASS\n", test_name);
	guest_power_off();
}

_Noreturn void guest_fail(const char *why)
{
	guest_printf("FERRY-TEST %s: FAIL %s\n", test_name, why);
	guest_power_off();
}

int64_t guest_cpu_on(unsigned cpu)
{
	return guest_psci(PSCI_CPU_ON, cpu, (uint64_t)(uintptr_t)guest_secondary_entry, cpu);
}

unsigned guest_cpu_count(void)
{
	unsigned n = 1;

	/* AFFINITY_INFO answers INVALID_PARAMETERS (-2) for a CPU that does not exist. */
	while (n < GUEST_CPU_MAX && guest_psci(PSCI_AFFINITY_INFO, n, 0, 0) >= 0)
		n++;
	return n;
}

uint64_t guest_counter(void)
{
	__asm__ volatile("isb");
	return sysreg_read(cntvct_el0);
}

uint64_t guest_counter_freq(void) { return sysreg_read(cntfrq_el0); }

void gic_init_distributor(void)
{
	mmio_write(GICD, 0);
	mmio_write(GICD, 1u << 4);		 /* ARE */
	mmio_write(GICD, (1u << 4) | (1u << 1)); /* ARE, EnableGrp1 */
}

void gic_init_cpu(unsigned cpu)
{
	uintptr_t rd = GICR + cpu * GICR_STRIDE;

	mmio_write(rd + 0x14, mmio_read(rd + 0x14) & ~(1u << 1)); /* GICR_WAKER.ProcessorSleep */
	while (mmio_read(rd + 0x14) & (1u << 2))
		;
	mmio_write(rd + SGI_FRAME + 0x80, ~0u); /* all Group 1 */
	for (unsigned i = 0; i < 32; i += 4)
		mmio_write(rd + SGI_FRAME + 0x400 + i, 0x80808080u);
	sysreg_write(s3_0_c12_c12_5, sysreg_read(s3_0_c12_c12_5) | 7); /* ICC_SRE_EL1 */
	__asm__ volatile("isb");
	sysreg_write(s3_0_c4_c6_0, 0xff); /* ICC_PMR_EL1 */
	sysreg_write(s3_0_c12_c12_3, 0);  /* ICC_BPR1_EL1 */
	sysreg_write(s3_0_c12_c12_7, 1);  /* ICC_IGRPEN1_EL1 */
	__asm__ volatile("isb");
}

void gic_enable_ppi(unsigned cpu, unsigned intid)
{
	mmio_write(GICR + cpu * GICR_STRIDE + SGI_FRAME + 0x100, 1u << intid);
}

uint32_t gic_ack(void) { return (uint32_t)sysreg_read(s3_0_c12_c12_0) & 0xffffff; /* IAR1 */ }

void gic_eoi(uint32_t intid) { sysreg_write(s3_0_c12_c12_1, intid); /* ICC_EOIR1_EL1 */ }

void gic_send_sgi(unsigned target_cpu, unsigned intid)
{
	__asm__ volatile("dsb ishst");
	sysreg_write(s3_0_c12_c11_5,
		     ((uint64_t)intid << 24) | (1ull << target_cpu)); /* ICC_SGI1R_EL1 */
	__asm__ volatile("isb");
}

void guest_exception(unsigned kind, struct guest_frame *f)
{
	if (guest_exception_hook) {
		guest_exception_hook(kind, f);
		return;
	}
	guest_printf("FERRY-TEST %s: FAIL unexpected exception %u, ESR 0x%llx at 0x%llx\n",
		     test_name, kind, (unsigned long long)sysreg_read(esr_el1),
		     (unsigned long long)f->elr);
	guest_power_off();
}

void guest_cpu_main(unsigned cpu)
{
	if (cpu == 0)
		gic_init_distributor();
	gic_init_cpu(cpu);
	test_main(cpu);
}

uint32_t guest_irq_take(unsigned kind)
{
	if (kind != 5) /* the vector of an IRQ from the current EL with SP_ELx */
		guest_fail("unexpected exception");
	return gic_ack();
}
