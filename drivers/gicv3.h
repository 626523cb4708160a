/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The host side of the GICv3 (Arm IHI 0069H): distributor, one
 * redistributor per CPU and the EL2 system-register CPU interface. All
 * physical interrupts are Group 1, taken through ICC_IAR1_EL1.
 */
#ifndef DRIVERS_GICV3_H
#define DRIVERS_GICV3_H

#include <stdint.h>

#define GIC_INTID_SPURIOUS 1023u

/** Sets up the distributor (once, on the boot CPU). */
void gicv3_init(uintptr_t gicd_base, uintptr_t gicr_base, uint64_t gicr_stride);

/**
 * Finds and wakes the running CPU's redistributor and enables its CPU
 * interface. Returns 0, or -1 when no redistributor matches `mpidr`.
 */
int gicv3_cpu_init(unsigned cpu_index, uint64_t mpidr);

/** Enables a PPI on the running CPU's redistributor. */
void gicv3_ppi_enable(unsigned intid, uint8_t priority);
void gicv3_ppi_disable(unsigned intid);

/** Acknowledges the highest-priority pending interrupt (ICC_IAR1_EL1). */
uint32_t gicv3_ack(void);

/** Ends an acknowledged interrupt: priority drop and deactivation. */
void gicv3_eoi(uint32_t intid);

/** GICD_IIDR and the number of interrupt IDs the distributor implements. */
uint32_t gicv3_iidr(void);
uint32_t gicv3_intid_count(void);

#endif
