/* SPDX-License-Identifier: Apache-2.0 */
/** Fuzzes the section loader with every real section: the stream is hostile input. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hyp/state_sections.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct mig_section *const sections[] = {
		&mig_section_vcpu,
		&mig_section_vgic_dist,
		&mig_section_vgic_redist,
		&mig_section_pl011,
	};
	static union {
		struct vcpu_regs vcpu;
		struct vgic_dist dist;
		struct vgic_redist redist;
		struct vpl011 uart;
	} obj;
	char err[160];

	if (size < 1)
		return 0;
	for (unsigned i = 0; i < 4; i++) {
		struct mig_reader r;

		memset(&obj, 0, sizeof(obj));
		mig_reader_init(&r, data + 1, size - 1);
		if (!mig_section_load(sections[(data[0] + i) % 4], &r, &obj, err, sizeof(err)) &&
		    !err[0])
			__builtin_trap(); /* a refusal always says why */
	}
	return 0;
}
