/* SPDX-License-Identifier: Apache-2.0 */
/** A migration's states, named once for both ends, see engine.h. */
#include "mig/engine.h"

bool mig_state_runs_on_destination(enum mig_state st)
{
	return st == MIG_COMPLETED || st == MIG_POSTCOPY_ACTIVE || st == MIG_POSTCOPY_PAUSED ||
	       st == MIG_POSTCOPY_RECOVER;
}

const char *mig_state_name(enum mig_state st)
{
	static const char *const names[] = {
		"setup",
		"active",
		"device",
		"postcopy-device",
		"postcopy-active",
		"postcopy-paused",
		"postcopy-recover",
		"unresolved",
		"completed",
		"failed",
		"cancelling",
		"cancelled",
		"lost",
		"protected",
		"fenced",
		"standby",
	};

	return (unsigned)st < sizeof(names) / sizeof(names[0]) ? names[st] : "unknown";
}
