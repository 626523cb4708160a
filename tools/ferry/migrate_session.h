/* SPDX-License-Identifier: Apache-2.0 */
/**
 * One migration driven over the source board's management channel: the
 * `migrate` command, then its events until the end, shown as a progress bar
 * and a report (or passed through as JSON lines for scripts). Ctrl-C asks
 * the board to cancel.
 */
#ifndef TOOLS_FERRY_MIGRATE_SESSION_H
#define TOOLS_FERRY_MIGRATE_SESSION_H

#include <stdbool.h>

#include "tools/ferry/mgmt_client.h"

struct migrate_request {
	const char *peer;
	const char *mode;	/**< "precopy" or "postcopy", NULL: precopy */
	const char *switchover; /**< "one-flight" or "confirmed", NULL: the board's default */
	const char *on_no_convergence; /**< "throttle", "postcopy", "fail"; NULL: the board's */
	unsigned long long downtime_limit_ms, max_bandwidth_mbs, postcopy_after_rounds;
	/** Protection (mode "protect"): 0 for the board's defaults; takeover "auto"/"manual". */
	unsigned long long epoch_ms, lease_ms;
	const char *takeover;
	bool no_reprotect;  /**< protection: not taken up again by the boards (reprotect false) */
	bool json;	    /**< events and the report as JSON lines on stdout */
	unsigned silence_s; /**< no event for this long: the board is gone */
};

/**
 * Runs it on the board behind c. Returns 0 when the migration completed, 1
 * when it was refused, failed or was cancelled (the VM runs on at the
 * source), 3 when it is unresolved (the VM stays stopped), 4 when the
 * board could not be followed to the end, 5 when it was lost. SIGINT
 * (Ctrl-C) meanwhile asks the board to cancel.
 */
int migrate_session(struct mgmt_client *c, const struct migrate_request *r, const char *who);

/** migrate_session over the board's management channel at sock (1: it could not be opened). */
int migrate_session_at(const char *sock, const struct migrate_request *r, const char *who);

/** Whether SIGINT came during the last migrate_session (and a cancel was asked). */
bool migrate_session_interrupted(void);

#endif
