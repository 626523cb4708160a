/* SPDX-License-Identifier: Apache-2.0 */
/**
 * Calls into the PSCI firmware below EL2 over the SMC conduit (Arm DEN0022,
 * PSCI 1.1, chapter 5). On QEMU virt with virtualization=on, QEMU itself
 * implements these calls.
 */
#ifndef ARCH_ARM64_PSCI_CALL_H
#define ARCH_ARM64_PSCI_CALL_H

#include <stdint.h>

#define PSCI_VERSION	  0x84000000u
#define PSCI_CPU_OFF	  0x84000002u
#define PSCI_CPU_ON	  0xc4000003u
#define PSCI_SYSTEM_OFF	  0x84000008u
#define PSCI_SYSTEM_RESET 0x84000009u

int64_t psci_call(uint32_t function, uint64_t a1, uint64_t a2, uint64_t a3);

#endif
