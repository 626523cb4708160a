/* SPDX-License-Identifier: Apache-2.0 */
/** The progress bar and the report, see migrate_view.h. */
#include "tools/ferry/migrate_view.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BAR_WIDTH 24

static void ms3(char *out, size_t n, unsigned long long us)
{
	snprintf(out, n, "%llu.%03llu ms", us / 1000, us % 1000);
}

void migrate_view_progress(FILE *out, bool tty, const struct mgmt_client *c, int data)
{
	char status[32], bar[BAR_WIDTH + 1], throttle[64] = "", eta[48] = "";
	unsigned long long total = mgmt_client_u64(c, data, "pages-total"),
			   left = mgmt_client_u64(c, data, "pages-remaining"),
			   elapsed = mgmt_client_u64(c, data, "elapsed-ms"),
			   time_left = mgmt_client_u64(c, data, "time-left-ms");
	/* The whole migration's share done once the time left is known, else this round's. */
	unsigned pct = time_left ? (unsigned)(elapsed * 100 / (elapsed + time_left))
		       : total	 ? (unsigned)((total - (left > total ? total : left)) * 100 / total)
				 : 100;
	unsigned filled = pct * BAR_WIDTH / 100;

	for (unsigned i = 0; i < BAR_WIDTH; i++)
		bar[i] = i < filled ? '#' : '-';
	bar[BAR_WIDTH] = '\0';
	mgmt_client_str(c, data, "status", status, sizeof(status));
	if (time_left)
		snprintf(eta, sizeof(eta), ", about %.1f s left", (double)time_left / 1000.0);
	if (mgmt_client_u64(c, data, "throttle-pages-per-s"))
		snprintf(throttle, sizeof(throttle), ", guest throttled to %llu pages/s",
			 mgmt_client_u64(c, data, "throttle-pages-per-s"));
	fprintf(out,
		"%s  %-16s round %-2llu [%s] %3u%%  %6.1f MiB sent, %llu pages to go, dirtying "
		"%llu pages/s, expected downtime %.1f ms%s%s%s",
		tty ? "\r\033[K" : "", status, mgmt_client_u64(c, data, "round"), bar, pct,
		(double)mgmt_client_u64(c, data, "ram-sent") / (1 << 20), left,
		mgmt_client_u64(c, data, "dirty-pages-rate"),
		(double)mgmt_client_u64(c, data, "expected-downtime-us") / 1000.0, eta, throttle,
		tty ? "" : "\n");
	fflush(out);
}

bool view_redraw(FILE *out)
{
	const char *term = getenv("TERM");

	return isatty(fileno(out)) && !(term && !strcmp(term, "dumb"));
}

bool view_styled(FILE *out)
{
	const char *no_color = getenv("NO_COLOR");

	return view_redraw(out) && !(no_color && *no_color);
}

void migrate_view_progress_done(FILE *out, bool tty)
{
	if (tty)
		fputc('\n', out);
}

/** The report's downtime-steps, in the order of the one-flight switchover. */
static const struct {
	const char *key, *label;
} step_names[] = {
	{ "last-pages-us", "last pages sent" },
	{ "package-encoded-us", "device package encoded" },
	{ "package-us", "device package sent" },
	{ "run-us", "RUN sent" },
	{ "dest-received-us", "destination: package in" },
	{ "dest-loaded-us", "destination: loaded" },
	{ "dest-synced-us", "destination: synchronized" },
	{ "pong-us", "PONG here" },
	{ "dest-running-us", "destination: last vCPU in" },
	{ "vm-started-us", "VM_STARTED here" },
};

void migrate_view_report(FILE *out, const struct mgmt_client *c, int data)
{
	char status[32], mode[16], error[200], a[32], b[32];
	int steps = mgmt_client_get(c, data, "downtime-steps"),
	    dest = mgmt_client_get(c, data, "destination");
	unsigned long long bytes = mgmt_client_u64(c, data, "bytes");

	mgmt_client_str(c, data, "status", status, sizeof(status));
	mgmt_client_str(c, data, "mode", mode, sizeof(mode));
	mgmt_client_str(c, data, "error", error, sizeof(error));
	fprintf(out, "  migration        %s (%s)%s%s\n", status, mode, error[0] ? ": " : "", error);
	if (strcmp(status, "completed") != 0)
		return;
	{
		int sw = mgmt_client_get(c, data, "switched-to-postcopy");

		if (sw >= 0 && c->toks[sw].type == JSON_TRUE)
			fprintf(out, "  convergence      precopy did not converge: finished in "
				     "postcopy\n");
		if (mgmt_client_u64(c, data, "throttled-rounds"))
			fprintf(out,
				"  convergence      the guest throttled for %llu rounds (to %llu "
				"new dirty pages/s last), its vCPUs held %llu ms in all\n",
				mgmt_client_u64(c, data, "throttled-rounds"),
				mgmt_client_u64(c, data, "throttle-pages-per-s"),
				mgmt_client_u64(c, data, "throttle-wait-ms"));
	}
	/* First what the guest felt: with postcopy, the downtime and then its waits for pages. */
	ms3(a, sizeof(a), mgmt_client_u64(c, data, "worst-pause-us"));
	ms3(b, sizeof(b), mgmt_client_u64(c, data, "blocked-us"));
	if (mgmt_client_u64(c, data, "faults-served"))
		fprintf(out,
			"  guest's pause    %s at most: the downtime, then %s standing still on "
			"missing pages\n",
			a, b);
	ms3(a, sizeof(a), mgmt_client_u64(c, data, "downtime-us"));
	fprintf(out,
		"  downtime         %s +- %.3f ms, from the source's stop to the destination's "
		"last vCPU in the guest\n",
		a, (double)mgmt_client_u64(c, data, "downtime-uncertainty-us") / 1000.0);
	if (mgmt_client_u64(c, data, "predicted-downtime-us")) {
		ms3(b, sizeof(b), mgmt_client_u64(c, data, "predicted-downtime-us"));
		fprintf(out, "    predicted      %s when the VM was stopped\n", b);
	}
	if (steps >= 0) {
		fprintf(out, "    its steps      (ms from the stop, on the source's clock)\n");
		for (size_t i = 0; i < sizeof(step_names) / sizeof(step_names[0]); i++)
			fprintf(out, "      %-26s %.3f\n", step_names[i].label,
				(double)mgmt_client_u64(c, steps, step_names[i].key) / 1000.0);
	}
	if (dest >= 0) {
		char l[32];

		ms3(l, sizeof(l), mgmt_client_u64(c, dest, "load-us"));
		ms3(a, sizeof(a), mgmt_client_u64(c, dest, "sync-us"));
		ms3(b, sizeof(b), mgmt_client_u64(c, dest, "start-us"));
		fprintf(out,
			"  destination      device package loaded in %s, synchronized into the "
			"hardware context in %s, vCPUs running %s later\n",
			l, a, b);
	}
	fprintf(out, "  total time       %llu ms\n", mgmt_client_u64(c, data, "total-time-ms"));
	fprintf(out, "  rounds           %llu\n", mgmt_client_u64(c, data, "rounds"));
	fprintf(out, "  pages sent       %llu (%llu of them zero, sent as runs)\n",
		mgmt_client_u64(c, data, "pages"), mgmt_client_u64(c, data, "zero-pages"));
	fprintf(out, "  on the wire      %.1f MiB\n", (double)bytes / (1 << 20));
	fprintf(out, "  throughput       %.2f MB/s\n",
		(double)mgmt_client_u64(c, data, "throughput") / 1e6);
}
