/* SPDX-License-Identifier: Apache-2.0 */
/** Synchronous exceptions Ferry makes a guest take (Arm ARM D1.10, "Exception entry"). */
#ifndef HYP_VCPU_INJECT_H
#define HYP_VCPU_INJECT_H

#include <stdint.h>

#include "hyp/vcpu.h"

/** A synchronous external abort on a data access to `far`. */
void vcpu_inject_data_abort(struct vcpu *v, uint64_t far);

/** A synchronous external abort on an instruction fetch at `far`. */
void vcpu_inject_instruction_abort(struct vcpu *v, uint64_t far);

/** An Undefined Instruction exception at the current PC. */
void vcpu_inject_undef(struct vcpu *v);

#endif
