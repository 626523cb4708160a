/* SPDX-License-Identifier: Apache-2.0 */
/**
 * GICv3 distributor and redistributors, by MMIO; register offsets from Arm
 * IHI 0069H chapter 12. The CPU interface (system registers) is the arch's
 * (arch/arm64/gic_cpuif.c).
 */
#include "drivers/gicv3.h"

#include "boards/board.h"
#include "drivers/mmio.h"
#include "hyp/arch.h"

#define GICD_CTLR	0x0000
#define GICD_TYPER	0x0004
#define GICD_IIDR	0x0008
#define GICD_IGROUPR	0x0080
#define GICD_ISENABLER	0x0100
#define GICD_ICENABLER	0x0180
#define GICD_ICPENDR	0x0280
#define GICD_ICACTIVER	0x0380
#define GICD_IPRIORITYR 0x0400
#define GICD_IROUTER	0x6000

#define GICD_CTLR_RWP	    (1u << 31)
#define GICD_CTLR_ARE	    (1u << 4)
#define GICD_CTLR_ENABLE_G1 (1u << 1)
#define GICD_CTLR_ENABLE_G0 (1u << 0)

#define GICR_TYPER		   0x0008
#define GICR_WAKER		   0x0014
#define GICR_TYPER_LAST		   (1ull << 4)
#define GICR_WAKER_PROCESSOR_SLEEP (1u << 1)
#define GICR_WAKER_CHILDREN_ASLEEP (1u << 2)

#define GICR_SGI_OFFSET 0x10000
#define GICR_IGROUPR0	0x0080
#define GICR_ISENABLER0 0x0100
#define GICR_ICENABLER0 0x0180
#define GICR_ICPENDR0	0x0280
#define GICR_ICACTIVER0 0x0380
#define GICR_IPRIORITYR 0x0400

#define DEFAULT_PRIORITY 0xa0
#define WAIT_LOOPS	 1000000

static uintptr_t gicd;
static uintptr_t gicr_first;
static uint64_t gicr_step;
static uint32_t intid_count;
static uintptr_t gicr_of_cpu[BOARD_CPU_MAX];

static void wait_rwp(void)
{
	for (int i = 0; i < WAIT_LOOPS && (mmio_read32(gicd + GICD_CTLR) & GICD_CTLR_RWP); i++)
		;
}

void gicv3_init(uintptr_t gicd_base, uintptr_t gicr_base, uint64_t gicr_stride, uint64_t boot_mpidr)
{
	gicd = gicd_base;
	gicr_first = gicr_base;
	gicr_step = gicr_stride;
	/* GICD_TYPER.ITLinesNumber: 32 * (N + 1) INTIDs, at most 1020 usable */
	intid_count = 32 * ((mmio_read32(gicd + GICD_TYPER) & 0x1f) + 1);
	if (intid_count > 1020)
		intid_count = 1020;

	mmio_write32(gicd + GICD_CTLR, 0);
	wait_rwp();
	/* SPIs: Group 1, disabled, inactive, not pending, default priority. */
	for (uint32_t i = 32; i < intid_count; i += 32) {
		mmio_write32(gicd + GICD_IGROUPR + i / 8, 0xffffffffu);
		mmio_write32(gicd + GICD_ICENABLER + i / 8, 0xffffffffu);
		mmio_write32(gicd + GICD_ICPENDR + i / 8, 0xffffffffu);
		mmio_write32(gicd + GICD_ICACTIVER + i / 8, 0xffffffffu);
	}
	for (uint32_t i = 32; i < intid_count; i += 4)
		mmio_write32(gicd + GICD_IPRIORITYR + i, DEFAULT_PRIORITY * 0x01010101u);
	wait_rwp();
	/* Affinity routing (ARE) first, then the groups (IHI 0069H 12.9.4). */
	mmio_write32(gicd + GICD_CTLR, GICD_CTLR_ARE);
	wait_rwp();
	mmio_write32(gicd + GICD_CTLR, GICD_CTLR_ARE | GICD_CTLR_ENABLE_G1 | GICD_CTLR_ENABLE_G0);
	wait_rwp();
	/* Route every SPI to the boot CPU until someone asks otherwise. */
	for (uint32_t i = 32; i < intid_count; i++)
		mmio_write64(gicd + GICD_IROUTER + 8 * i, boot_mpidr & 0xff00ffffffull);
}

/** Walks the redistributor frames for the one whose GICR_TYPER.Affinity is `mpidr`. */
static uintptr_t find_redistributor(uint64_t mpidr)
{
	uint32_t want = (uint32_t)((mpidr & 0xffffff) | ((mpidr >> 8) & 0xff000000u));

	for (unsigned i = 0; i < BOARD_CPU_MAX * 4; i++) {
		uintptr_t rd = gicr_first + i * gicr_step;
		uint64_t typer = mmio_read64(rd + GICR_TYPER);

		if ((uint32_t)(typer >> 32) == want)
			return rd;
		if (typer & GICR_TYPER_LAST)
			break;
	}
	return 0;
}

int gicv3_redist_init(unsigned cpu_index, uint64_t mpidr)
{
	uintptr_t rd = find_redistributor(mpidr);
	uintptr_t sgi;

	if (!rd || cpu_index >= BOARD_CPU_MAX)
		return -1;
	gicr_of_cpu[cpu_index] = rd;
	sgi = rd + GICR_SGI_OFFSET;

	/* Wake the redistributor (IHI 0069H 11.1 "Power management"). */
	mmio_write32(rd + GICR_WAKER, mmio_read32(rd + GICR_WAKER) & ~GICR_WAKER_PROCESSOR_SLEEP);
	for (int i = 0;
	     i < WAIT_LOOPS && (mmio_read32(rd + GICR_WAKER) & GICR_WAKER_CHILDREN_ASLEEP); i++)
		;

	/* SGIs and PPIs: Group 1, disabled, clean, default priority. */
	mmio_write32(sgi + GICR_IGROUPR0, 0xffffffffu);
	mmio_write32(sgi + GICR_ICENABLER0, 0xffffffffu);
	mmio_write32(sgi + GICR_ICPENDR0, 0xffffffffu);
	mmio_write32(sgi + GICR_ICACTIVER0, 0xffffffffu);
	for (unsigned i = 0; i < 32; i += 4)
		mmio_write32(sgi + GICR_IPRIORITYR + i, DEFAULT_PRIORITY * 0x01010101u);
	return 0;
}

static uintptr_t current_sgi_frame(void)
{
	unsigned cpu = arch_cpu_index();

	return gicr_of_cpu[cpu < BOARD_CPU_MAX ? cpu : 0] + GICR_SGI_OFFSET;
}

void gicv3_ppi_enable(unsigned intid, uint8_t priority)
{
	uintptr_t sgi = current_sgi_frame();

	if (intid >= 32)
		return;
	mmio_write8(sgi + GICR_IPRIORITYR + intid, priority);
	mmio_write32(sgi + GICR_ISENABLER0, 1u << intid);
}

void gicv3_ppi_disable(unsigned intid)
{
	if (intid < 32)
		mmio_write32(current_sgi_frame() + GICR_ICENABLER0, 1u << intid);
}

void gicv3_ppi_deactivate(unsigned intid)
{
	if (intid < 32)
		mmio_write32(current_sgi_frame() + GICR_ICACTIVER0, 1u << intid);
}

void gicv3_spi_enable(unsigned intid, uint8_t priority, uint64_t mpidr)
{
	if (intid < 32 || intid >= intid_count)
		return;
	mmio_write64(gicd + GICD_IROUTER + 8 * intid, mpidr & 0xff00ffffffull);
	mmio_write8(gicd + GICD_IPRIORITYR + intid, priority);
	mmio_write32(gicd + GICD_ISENABLER + intid / 32 * 4, 1u << (intid % 32));
}

void gicv3_spi_route(unsigned intid, uint64_t mpidr)
{
	uint32_t bit = 1u << (intid % 32);

	if (intid < 32 || intid >= intid_count)
		return;
	mmio_write32(gicd + GICD_ICENABLER + intid / 32 * 4, bit);
	wait_rwp(); /* disabled everywhere before the new route */
	mmio_write64(gicd + GICD_IROUTER + 8 * intid, mpidr & 0xff00ffffffull);
	mmio_write32(gicd + GICD_ISENABLER + intid / 32 * 4, bit);
}

uint32_t gicv3_iidr(void) { return mmio_read32(gicd + GICD_IIDR); }

uint32_t gicv3_intid_count(void) { return intid_count; }
