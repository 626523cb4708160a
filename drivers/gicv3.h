/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The host side of the GICv3 (Arm IHI 0069H): the distributor and one
 * redistributor per CPU, by MMIO. All physical interrupts are Group 1; the
 * CPU interface (system registers) is the arch's (arch_gic_cpu_init).
 */
#ifndef DRIVERS_GICV3_H
#define DRIVERS_GICV3_H

#include <stdint.h>

/** Sets up the distributor (once, on the boot CPU), every SPI routed to boot_mpidr. */
void gicv3_init(uintptr_t gicd_base, uintptr_t gicr_base, uint64_t gicr_stride,
		uint64_t boot_mpidr);

/**
 * Finds and wakes the running CPU's redistributor. Returns 0, or -1 when
 * no redistributor matches `mpidr`.
 */
int gicv3_redist_init(unsigned cpu_index, uint64_t mpidr);

/** Enables a PPI on the running CPU's redistributor. */
void gicv3_ppi_enable(unsigned intid, uint8_t priority);
void gicv3_ppi_disable(unsigned intid);
/** Clears this CPU's PPI's active state (GICR_ICACTIVER0): one a guest left active. */
void gicv3_ppi_deactivate(unsigned intid);

/** Enables SPI `intid`, routed to the CPU with affinity `mpidr`. */
void gicv3_spi_enable(unsigned intid, uint8_t priority, uint64_t mpidr);

/**
 * Routes enabled SPI `intid` to the CPU with affinity `mpidr`: disabled,
 * and the distributor done with that (GICD_CTLR.RWP tracks writes to
 * GICD_ICENABLER, IHI 0069H), before its GICD_IROUTER changes, then
 * enabled again; one pending meanwhile goes by the new route.
 */
void gicv3_spi_route(unsigned intid, uint64_t mpidr);

/** GICD_IIDR and the number of interrupt IDs the distributor implements. */
uint32_t gicv3_iidr(void);
uint32_t gicv3_intid_count(void);

#endif
