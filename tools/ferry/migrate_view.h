/* SPDX-License-Identifier: Apache-2.0 */
/** How `ferry migrate` and `ferry demo` show a migration: a live progress bar and the report. */
#ifndef TOOLS_FERRY_MIGRATE_VIEW_H
#define TOOLS_FERRY_MIGRATE_VIEW_H

#include <stdbool.h>
#include <stdio.h>

#include "tools/ferry/mgmt_client.h"

/**
 * Whether out is a terminal that takes a line redrawn in place (not
 * TERM=dumb): the progress bar then keeps to one line.
 */
bool view_redraw(FILE *out);
/** Whether out takes bold text: a terminal as above, and NO_COLOR unset or empty (no-color.org). */
bool view_styled(FILE *out);

/** A MIGRATION_PROGRESS event's data (token `data` of the last line) as one bar on out. */
void migrate_view_progress(FILE *out, bool tty, const struct mgmt_client *c, int data);

/** Ends the bar's line (a terminal keeps redrawing it in place). */
void migrate_view_progress_done(FILE *out, bool tty);

/** A MIGRATION_COMPLETED or _FAILED event's data: the report, one fact a line. */
void migrate_view_report(FILE *out, const struct mgmt_client *c, int data);

#endif
