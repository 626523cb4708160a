/* SPDX-License-Identifier: Apache-2.0 */
/** ESR_ELx decoding (Arm ARM D19.2.40, ISS encodings in D19.2.40.x). */
#include "arch/arm64/esr.h"

#include "lib/format.h"

struct esr_name {
	unsigned code;
	const char *name;
};

static const struct esr_name class_names[] = {
	{ ESR_EC_UNKNOWN, "Unknown reason (undefined instruction)" },
	{ ESR_EC_WFX, "WFI/WFE" },
	{ ESR_EC_FP, "FP/SIMD access trapped" },
	{ 0x0e, "Illegal execution state" },
	{ 0x11, "SVC (AArch32)" },
	{ 0x15, "SVC" },
	{ ESR_EC_HVC64, "HVC" },
	{ ESR_EC_SMC64, "SMC" },
	{ ESR_EC_SYSREG, "MSR/MRS/system instruction trapped" },
	{ ESR_EC_SVE, "SVE access trapped" },
	{ ESR_EC_IABT_LOW, "Instruction Abort (lower EL)" },
	{ ESR_EC_IABT_CUR, "Instruction Abort (same EL)" },
	{ ESR_EC_PC_ALIGN, "PC alignment fault" },
	{ ESR_EC_DABT_LOW, "Data Abort (lower EL)" },
	{ ESR_EC_DABT_CUR, "Data Abort (same EL)" },
	{ ESR_EC_SP_ALIGN, "SP alignment fault" },
	{ 0x2c, "FP exception (AArch64)" },
	{ ESR_EC_SERROR, "SError" },
	{ 0x30, "Breakpoint (lower EL)" },
	{ 0x31, "Breakpoint (same EL)" },
	{ 0x32, "Software step (lower EL)" },
	{ 0x33, "Software step (same EL)" },
	{ 0x34, "Watchpoint (lower EL)" },
	{ 0x35, "Watchpoint (same EL)" },
	{ ESR_EC_BRK, "BRK instruction" },
};

const char *esr_class_name(unsigned ec)
{
	for (size_t i = 0; i < sizeof(class_names) / sizeof(class_names[0]); i++)
		if (class_names[i].code == ec)
			return class_names[i].name;
	return "reserved exception class";
}

const char *esr_fault_name(unsigned fsc)
{
	switch (fsc & 0x3c) {
	case 0x00:
		return "address size fault";
	case 0x04:
		return "translation fault";
	case 0x08:
		return "access flag fault";
	case 0x0c:
		return "permission fault";
	default:
		break;
	}
	switch (fsc) {
	case 0x10:
		return "synchronous external abort";
	case 0x11:
		return "synchronous tag check fault";
	case 0x21:
		return "alignment fault";
	case 0x30:
		return "TLB conflict abort";
	default:
		return (fsc & 0x3c) == 0x14 ? "external abort on table walk" : "other fault";
	}
}

static int fsc_has_level(unsigned fsc) { return (fsc & 0x30) == 0x00 || (fsc & 0x3c) == 0x14; }

size_t esr_describe(uint64_t esr, char *buf, size_t size)
{
	unsigned ec = ESR_EC(esr);
	uint32_t iss = ESR_ISS(esr);
	struct strbuf sb = STRBUF_INIT(buf, size);

	strbuf_printf(&sb, "%s", esr_class_name(ec));

	if (ec == ESR_EC_DABT_LOW || ec == ESR_EC_DABT_CUR || ec == ESR_EC_IABT_LOW ||
	    ec == ESR_EC_IABT_CUR) {
		unsigned fsc = iss & 0x3f;

		strbuf_printf(&sb, ", %s", esr_fault_name(fsc));
		if (fsc_has_level(fsc))
			strbuf_printf(&sb, " level %u", fsc & 3);
		if (ec == ESR_EC_DABT_LOW || ec == ESR_EC_DABT_CUR) {
			/* ISS: WnR [6], ISV [24], SAS [23:22], SRT [20:16] */
			strbuf_printf(&sb, ", %s", (iss >> 6) & 1 ? "write" : "read");
			if ((iss >> 24) & 1)
				strbuf_printf(&sb, " of %u bytes via x%u", 1u << ((iss >> 22) & 3),
					      (iss >> 16) & 0x1f);
		}
	} else if (ec == ESR_EC_HVC64 || ec == ESR_EC_SMC64 || ec == ESR_EC_BRK) {
		strbuf_printf(&sb, " #0x%x", iss & 0xffff);
	} else if (ec == ESR_EC_SYSREG) {
		/* ISS: Op0 [21:20], Op2 [19:17], Op1 [16:14], CRn [13:10], Rt [9:5], CRm [4:1], dir
		 * [0] */
		strbuf_printf(&sb, ": %s S%u_%u_C%u_C%u_%u, x%u", (iss & 1) ? "mrs" : "msr",
			      (iss >> 20) & 3, (iss >> 14) & 7, (iss >> 10) & 0xf, (iss >> 1) & 0xf,
			      (iss >> 17) & 7, (iss >> 5) & 0x1f);
	}
	return sb.len;
}
