/* SPDX-License-Identifier: Apache-2.0 */
/** Fuzzes link configuration records: they come from the operator, outside Ferry. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "link/link_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct link_config cfg;
	char err[160];

	if (link_config_parse((const char *)data, size, &cfg, err, sizeof(err))) {
		/* A parsed record is always sane. */
		if (!cfg.creds.identity[0] || !cfg.creds.peer[0] ||
		    strlen(cfg.creds.identity) >= LINK_NAME_MAX || cfg.port == 0 ||
		    (cfg.creds.auth == LINK_AUTH_PSK && cfg.creds.psk_len < 16) ||
		    cfg.creds.psk_len > LINK_PSK_MAX || cfg.timeout_ms < 10)
			__builtin_trap();
	} else if (strlen(err) == 0) {
		__builtin_trap();
	}
	return 0;
}
