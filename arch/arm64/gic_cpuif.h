/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The host's GICv3 CPU interface (ICC_* system registers, Arm IHI 0069H
 * 12.2): acknowledging, ending and sending interrupts on this CPU. All
 * physical interrupts are Group 1. The distributor and redistributors are
 * a driver (drivers/gicv3.h).
 */
#ifndef ARCH_ARM64_GIC_CPUIF_H
#define ARCH_ARM64_GIC_CPUIF_H

#include <stdint.h>

#define GIC_INTID_SPURIOUS 1023u

/** Acknowledges the highest-priority pending interrupt (ICC_IAR1_EL1). */
uint32_t gic_cpuif_ack(void);

/**
 * Ends an acknowledged interrupt. With EOImode 1 (arch_gic_cpu_init)
 * gic_cpuif_eoi only drops the running priority: a guest deactivates the
 * interrupt through a hardware-linked list register.
 * gic_cpuif_eoi_deactivate does both, for Ferry's own interrupts.
 */
void gic_cpuif_eoi(uint32_t intid);
void gic_cpuif_eoi_deactivate(uint32_t intid);

/** Sends SGI `intid` to the CPU with affinity `mpidr` (ICC_SGI1R_EL1). */
void gic_cpuif_send_sgi(uint64_t mpidr, unsigned intid);

#endif
