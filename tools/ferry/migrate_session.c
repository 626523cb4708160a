/* SPDX-License-Identifier: Apache-2.0 */
/** One migration over the management channel, see migrate_session.h. */
#include "tools/ferry/migrate_session.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/json_out.h"
#include "tools/ferry/migrate_view.h"

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

struct follow {
	const struct migrate_request *r;
	bool tty, bar_open;
	int outcome; /**< -1 until the end event */
};

/** One event line: shown, and the end noted. */
static void on_event(void *ctx, struct mgmt_client *c)
{
	struct follow *f = ctx;
	char name[40], status[32];
	int data = mgmt_client_get(c, 0, "data");

	mgmt_client_str(c, 0, "event", name, sizeof(name));
	if (f->r->json) {
		printf("%s\n", c->line);
		fflush(stdout);
	}
	if (!strcmp(name, "MIGRATION_PROGRESS") && f->r->mode && !strcmp(f->r->mode, "protect")) {
		/* A protection does not end: the command does, once it holds (its end is an event).
		 */
		mgmt_client_str(c, data, "status", status, sizeof(status));
		if (strcmp(status, "protected") != 0)
			return;
		f->outcome = 0;
		if (!f->r->json)
			printf("protected: the VM runs here, checkpointed to %s (query-migrate "
			       "follows it)\n",
			       f->r->peer);
		fflush(stdout);
		return;
	}
	if (!strcmp(name, "MIGRATION_PROGRESS") && !f->r->json) {
		migrate_view_progress(stderr, f->tty, c, data);
		f->bar_open = true;
		return;
	}
	if (strcmp(name, "MIGRATION_COMPLETED") != 0 && strcmp(name, "MIGRATION_FAILED") != 0)
		return;
	mgmt_client_str(c, data, "status", status, sizeof(status));
	f->outcome = !strcmp(name, "MIGRATION_COMPLETED") ? 0
		     : !strcmp(status, "unresolved")	  ? 3
		     : !strcmp(status, "lost")		  ? 5
							  : 1;
	if (f->r->json)
		return;
	if (f->bar_open)
		migrate_view_progress_done(stderr, f->tty);
	printf("\nReport (the source board):\n");
	migrate_view_report(stdout, c, data);
	fflush(stdout);
}

int migrate_session(struct mgmt_client *c, const struct migrate_request *r, const char *who)
{
	struct follow f = { .r = r, .tty = view_redraw(stderr), .outcome = -1 };
	struct sigaction sa = { .sa_handler = on_sigint }, old;
	char cmd[512], err[256];
	struct json_out o;
	size_t len;
	bool cancel_sent = false;

	json_out_init(&o, cmd, sizeof(cmd));
	json_out_object(&o, NULL);
	json_out_str(&o, "execute", "migrate");
	json_out_object(&o, "arguments");
	json_out_str(&o, "peer", r->peer);
	json_out_str(&o, "mode", r->mode ? r->mode : "precopy");
	if (r->switchover)
		json_out_str(&o, "switchover", r->switchover);
	if (r->on_no_convergence)
		json_out_str(&o, "on-no-convergence", r->on_no_convergence);
	if (r->downtime_limit_ms)
		json_out_u64(&o, "downtime-limit", r->downtime_limit_ms);
	if (r->max_bandwidth_mbs)
		json_out_u64(&o, "max-bandwidth", r->max_bandwidth_mbs * 1000000u); /* bytes/s */
	if (r->postcopy_after_rounds)
		json_out_u64(&o, "postcopy-after-rounds", r->postcopy_after_rounds);
	if (r->epoch_ms)
		json_out_u64(&o, "epoch-ms", r->epoch_ms);
	if (r->lease_ms)
		json_out_u64(&o, "lease-ms", r->lease_ms);
	if (r->takeover)
		json_out_str(&o, "takeover", r->takeover);
	if (r->no_reprotect)
		json_out_bool(&o, "reprotect", false);
	json_out_end(&o);
	json_out_end(&o);
	if (!json_out_text(&o, &len)) {
		fprintf(stderr, "%s: the peer's name is too long\n", who);
		return 2;
	}
	/*
	 * Events before the answer are not this migration's end: a board greets a
	 * client with the events it kept while nobody listened (docs/management.md),
	 * an earlier migration's among them.
	 */
	/* Ctrl-C from here on cancels: while the answer is awaited, at once after it. */
	interrupted = 0;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old);
	if (!mgmt_client_command(c, cmd, 5000, NULL, NULL, err, sizeof(err))) {
		bool refused = mgmt_client_get(c, 0, "error") >= 0;

		sigaction(SIGINT, &old, NULL);
		if (refused) { /* the board's "no": nothing changed */
			fprintf(stderr, "%s: the board refused: %s\n", who, err);
			return 1;
		}
		/* No answer: the board may have begun it. */
		fprintf(stderr, "%s: %s: whether the migration began is unknown here\n", who, err);
		return 4;
	}
	while (f.outcome < 0) {
		int got;

		if (interrupted && !cancel_sent) {
			/* The answer comes later, among the events; the end event says what won. */
			fprintf(stderr, "\n%s: asking the board to cancel\n", who);
			mgmt_client_send(c, "{\"execute\":\"migrate-cancel\"}");
			cancel_sent = true;
		}
		got = mgmt_client_next(c, (int)r->silence_s * 1000, err, sizeof(err));
		if (got < 0 || (got == 0 && !interrupted)) {
			if (f.bar_open)
				migrate_view_progress_done(stderr, f.tty);
			fprintf(stderr,
				"%s: %s: the migration had begun, where the VM runs is unknown "
				"here ('ferry boards --mgmt' on each board says)\n",
				who, got < 0 ? err : "no news from the board for too long");
			sigaction(SIGINT, &old, NULL);
			return 4;
		}
		if (got == 0)
			continue;
		if (mgmt_client_get(c, 0, "event") >= 0)
			on_event(&f, c);
		else if (mgmt_client_get(c, 0, "error") >= 0 && !r->json)
			fprintf(stderr, "%s: %s\n", who,
				mgmt_client_str(c, mgmt_client_get(c, 0, "error"), "desc", err,
						sizeof(err)));
	}
	sigaction(SIGINT, &old, NULL);
	return f.outcome;
}

int migrate_session_at(const char *sock, const struct migrate_request *r, const char *who)
{
	struct mgmt_client c;
	char err[1024];
	int rc;

	if (!mgmt_client_open(&c, sock, 2000, err, sizeof(err))) {
		/* Nothing was asked: the VM is where it was (exit 1, not 4: its fate is known). */
		fprintf(stderr, "%s: %s: nothing was asked of it\n", who, err);
		return 1;
	}
	rc = migrate_session(&c, r, who);
	mgmt_client_close(&c);
	return rc;
}

bool migrate_session_interrupted(void) { return interrupted != 0; }
