/* SPDX-License-Identifier: Apache-2.0 */
/** The register frame the EL2 vectors save (layout in asm.h). */
#ifndef ARCH_ARM64_FRAME_H
#define ARCH_ARM64_FRAME_H

#include <stdint.h>

#include "arch/arm64/asm.h"

struct arch_frame {
	uint64_t x[31];
	uint64_t sp;
	uint64_t elr;
	uint64_t spsr;
	uint64_t esr;
	uint64_t far;
};

_Static_assert(sizeof(struct arch_frame) == FRAME_SIZE, "frame layout must match asm.h");
_Static_assert(__builtin_offsetof(struct arch_frame, elr) == FRAME_ELR, "frame layout");
_Static_assert(__builtin_offsetof(struct arch_frame, far) == FRAME_FAR, "frame layout");

/** Prints everything known about an exception Ferry cannot handle, then stops. */
_Noreturn void crash_report(const char *what, const struct arch_frame *frame);

#endif
