/* SPDX-License-Identifier: Apache-2.0 */
/** Fuzzes VM configuration records: they come from the launcher, outside Ferry. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/vm_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vm_config cfg;
	char err[128];

	if (vm_config_parse((const char *)data, size, &cfg, err, sizeof(err))) {
		/* A parsed record is always sane. */
		if (strlen(cfg.name) == 0 || cfg.vcpu_count == 0 || cfg.vcpu_count > VM_VCPU_MAX ||
		    cfg.mem_bytes < VM_MEM_MIN || strlen(cfg.cmdline) >= VM_CMDLINE_MAX)
			__builtin_trap();
	} else if (strlen(err) == 0) {
		__builtin_trap();
	}
	return 0;
}
