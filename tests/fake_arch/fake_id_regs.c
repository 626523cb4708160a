/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The fake CPU's identification: ID registers with fixed plausible values
 * (a Cortex-A72-like CPU with a GICv3 system-register interface) that a
 * test can override, and the number of GIC list registers.
 */
#include <string.h>

#include "hyp/arch.h"
#include "tests/fake_arch/fake_internal.h"

struct id_value {
	uint32_t encoding;
	uint64_t value;
};

static const struct id_value id_defaults[] = {
	{ SYSREG_ENC(3, 0, 0, 1, 0), 0x00000131 },	   /* ID_PFR0_EL1 */
	{ SYSREG_ENC(3, 0, 0, 1, 1), 0x00011011 },	   /* ID_PFR1_EL1 */
	{ SYSREG_ENC(3, 0, 0, 1, 2), 0x03010066 },	   /* ID_DFR0_EL1 */
	{ SYSREG_ENC(3, 0, 0, 1, 4), 0x10201105 },	   /* ID_MMFR0_EL1 */
	{ SYSREG_ENC(3, 0, 0, 2, 0), 0x02101110 },	   /* ID_ISAR0_EL1 */
	{ SYSREG_ENC(3, 0, 0, 4, 0), 0x0000000001002222 }, /* ID_AA64PFR0_EL1: EL0-3, GIC */
	{ SYSREG_ENC(3, 0, 0, 5, 0), 0x0000000010305106 }, /* ID_AA64DFR0_EL1: PMUv3, debug v8 */
	{ SYSREG_ENC(3, 0, 0, 6, 0), 0x0000000000011120 }, /* ID_AA64ISAR0_EL1: AES, SHA, CRC32 */
	{ SYSREG_ENC(3, 0, 0, 7, 0), 0x0000000000001124 }, /* ID_AA64MMFR0_EL1: 44-bit PA */
};

#define ID_OVERRIDE_MAX 16

static struct id_value overrides[ID_OVERRIDE_MAX];
static unsigned override_count;
static unsigned lr_count = 4;

void fake_id_reg_set(uint32_t encoding, uint64_t value)
{
	for (unsigned i = 0; i < override_count; i++)
		if (overrides[i].encoding == encoding) {
			overrides[i].value = value;
			return;
		}
	if (override_count == ID_OVERRIDE_MAX)
		fake_fatal("more than %u ID register overrides", ID_OVERRIDE_MAX);
	overrides[override_count++] = (struct id_value){ encoding, value };
}

/* As arch/arm64/id_regs.c: ID group 3 (op0 3, op1 0, CRn 0, CRm 1-7); unallocated ones read 0. */
bool arch_read_id_reg(uint32_t encoding, uint64_t *value)
{
	if ((encoding & ~(uint32_t)SYSREG_ENC(0, 0, 0, 7, 7)) != SYSREG_ENC(3, 0, 0, 0, 0) ||
	    ((encoding >> 3) & 0xf) == 0)
		return false;
	for (unsigned i = 0; i < override_count; i++)
		if (overrides[i].encoding == encoding) {
			*value = overrides[i].value;
			return true;
		}
	*value = 0;
	for (unsigned i = 0; i < sizeof(id_defaults) / sizeof(id_defaults[0]); i++)
		if (id_defaults[i].encoding == encoding)
			*value = id_defaults[i].value;
	return true;
}

unsigned arch_gic_lr_count(void) { return lr_count; }

/* The board QEMU emulates: 5 priority bits, so one pair of active-priority registers. */
void arch_cpu_info(struct arch_cpu_info *info)
{
	*info = (struct arch_cpu_info){
		.midr = 0x410fd083,
		.pa_bits = 44,
		.lr_count = lr_count,
		.pri_bits = 5,
		.apr_count = 1,
		.rndr = false,
		.aes_pmull = true,
	};
}

void fake_gic_set_lr_count(unsigned count)
{
	if (count == 0 || count > VGIC_LR_MAX)
		fake_fatal("a GIC has 1 to %u list registers, not %u", VGIC_LR_MAX, count);
	lr_count = count;
}

void fake_id_reset(void)
{
	memset(overrides, 0, sizeof(overrides));
	override_count = 0;
	lr_count = 4;
}
