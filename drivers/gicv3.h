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

/** Enables SPI `intid`, routed to the CPU with affinity `mpidr`. */
void gicv3_spi_enable(unsigned intid, uint8_t priority, uint64_t mpidr);

/** Acknowledges the highest-priority pending interrupt (ICC_IAR1_EL1). */
uint32_t gicv3_ack(void);

/**
 * Ends an acknowledged interrupt. With EOImode 1 (set by gicv3_cpu_init)
 * gicv3_eoi only drops the running priority: a guest deactivates the
 * interrupt through a hardware-linked list register. gicv3_eoi_deactivate
 * does both, for Ferry's own interrupts.
 */
void gicv3_eoi(uint32_t intid);
void gicv3_eoi_deactivate(uint32_t intid);

/** Sends SGI `intid` to the CPU with affinity `mpidr` (ICC_SGI1R_EL1). */
void gicv3_send_sgi(uint64_t mpidr, unsigned intid);

/** GICD_IIDR and the number of interrupt IDs the distributor implements. */
uint32_t gicv3_iidr(void);
uint32_t gicv3_intid_count(void);

#endif
