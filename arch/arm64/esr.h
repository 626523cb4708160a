/* SPDX-License-Identifier: Apache-2.0 */
/**
 * Decoding of ESR_ELx syndromes into words a person can read (Arm ARM
 * D19.2.40). Pure: used by the crash report and host-tested.
 */
#ifndef ARCH_ARM64_ESR_H
#define ARCH_ARM64_ESR_H

#include <stddef.h>
#include <stdint.h>

#define ESR_EC_SHIFT 26
#define ESR_EC(esr)  ((unsigned)(((esr) >> ESR_EC_SHIFT) & 0x3f))
#define ESR_IL	     (1ull << 25)
#define ESR_ISS(esr) ((uint32_t)((esr)&0x1ffffff))

#define ESR_EC_UNKNOWN	0x00
#define ESR_EC_WFX	0x01
#define ESR_EC_FP	0x07
#define ESR_EC_HVC64	0x16
#define ESR_EC_SMC64	0x17
#define ESR_EC_SYSREG	0x18
#define ESR_EC_SVE	0x19
#define ESR_EC_IABT_LOW 0x20
#define ESR_EC_IABT_CUR 0x21
#define ESR_EC_PC_ALIGN 0x22
#define ESR_EC_DABT_LOW 0x24
#define ESR_EC_DABT_CUR 0x25
#define ESR_EC_SP_ALIGN 0x26
#define ESR_EC_SERROR	0x2f
#define ESR_EC_BRK	0x3c

/** The exception class's name, e.g. "Data Abort (same EL)". */
const char *esr_class_name(unsigned ec);

/** The fault status code's name for aborts (DFSC/IFSC), e.g. "translation fault". */
const char *esr_fault_name(unsigned fsc);

/**
 * Writes a one-line description of `esr` into buf (always terminated);
 * returns the length it needed, like snprintf.
 */
size_t esr_describe(uint64_t esr, char *buf, size_t size);

#endif
