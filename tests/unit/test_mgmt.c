/* SPDX-License-Identifier: Apache-2.0 */
/** The management protocol (system/mgmt.c) and its JSON reader and writer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "lib/json.h"
#include "lib/json_out.h"
#include "system/mgmt.h"

/* --- the JSON reader ------------------------------------------------------------ */

static void test_json_lookups(void **state)
{
	const char *t = " {\"execute\":\"migrate\", \"arguments\": {\"peer\":\"b\\u0041\\n\","
			"\"list\":[1,{\"x\":2},[]], \"n\": 20}, \"id\": -1.5e3 } ";
	struct json_tok toks[32];
	char s[16];
	uint64_t v;
	int n = json_parse(t, strlen(t), toks, 32, s, sizeof(s)), args;

	(void)state;
	assert_true(n > 0);
	args = json_get(t, toks, 0, "arguments");
	assert_int_equal(toks[args].type, JSON_OBJECT);
	assert_true(json_get_string(t, &toks[json_get(t, toks, args, "peer")], s, sizeof(s)));
	assert_string_equal(s, "bA\n");
	/* a key after a nested array is still found: subtrees are skipped whole */
	assert_true(json_get_uint(t, &toks[json_get(t, toks, args, "n")], 100, &v));
	assert_int_equal(v, 20);
	assert_false(json_get_uint(t, &toks[json_get(t, toks, args, "n")], 19, &v));
	assert_false(json_get_uint(t, &toks[json_get(t, toks, 0, "id")], 1000000, &v));
	assert_int_equal(json_get(t, toks, 0, "x"), -1); /* only the object's own keys */
	assert_int_equal(json_get(t, toks, args, "missing"), -1);
	assert_int_equal(json_get(t, toks, json_get(t, toks, args, "list"), "x"), -1);
	assert_false(json_get_string(t, &toks[json_get(t, toks, args, "peer")], s, 3));
}

static void test_json_rejects(void **state)
{
	static const char *const bad[] = {
		"",	      "{",
		"{\"a\":}",   "{\"a\" 1}",
		"{\"a\":1,}", "[1,]",
		"{} x",	      "\"abc",
		"\"a\\x\"",   "\"a\\u12g4\"",
		"01",	      "-",
		"1.",	      "1e",
		"tru",	      "{1:2}",
		"\"a\tb\"",   "[[[[[[[[[[[]]]]]]]]]]]",
		"nul",	      "{\"a\":1}}",
	};
	struct json_tok toks[16];
	char err[64];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(json_parse(bad[i], strlen(bad[i]), toks, 16, err, sizeof(err)),
				 -1);
		assert_true(err[0]);
	}
	/* more values than tokens */
	assert_int_equal(json_parse("[1,2,3,4,5]", 11, toks, 4, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "too many"));
}

/* --- the JSON writer ------------------------------------------------------------ */

static void test_json_out(void **state)
{
	char buf[128];
	struct json_out o;
	size_t len;

	(void)state;
	json_out_init(&o, buf, sizeof(buf));
	json_out_object(&o, NULL);
	json_out_str(&o, "s", "a\"b\\c\n\x01");
	json_out_array(&o, "a");
	json_out_u64(&o, NULL, 1);
	json_out_bool(&o, NULL, false);
	json_out_end(&o);
	json_out_i64(&o, "n", -5);
	json_out_end(&o);
	assert_string_equal(json_out_text(&o, &len),
			    "{\"s\":\"a\\\"b\\\\c\\u000a\\u0001\",\"a\":[1,false],\"n\":-5}");
	/* too small: never a half-written text */
	json_out_init(&o, buf, 8);
	json_out_object(&o, NULL);
	json_out_str(&o, "key", "value");
	json_out_end(&o);
	assert_null(json_out_text(&o, &len));
	/* unbalanced */
	json_out_init(&o, buf, sizeof(buf));
	json_out_object(&o, NULL);
	assert_null(json_out_text(&o, &len));
}

/* --- the protocol ---------------------------------------------------------------- */

struct fake_board {
	char out[8192];
	size_t out_len;
	struct mgmt_migrate_args last;
	unsigned migrates, stops, resolves, recovers;
	char force[16]; /**< the last migrate-resolve's, "" without */
	bool refuse;
	uint64_t set_limit_ms, set_bandwidth; /**< the last migrate-set-parameters passed on */
};

static void fake_write(void *ctx, const char *text, size_t len)
{
	struct fake_board *b = ctx;

	assert_true(b->out_len + len < sizeof(b->out));
	memcpy(b->out + b->out_len, text, len);
	b->out_len += len;
	b->out[b->out_len] = '\0';
}

static uint64_t fake_now(void *ctx)
{
	(void)ctx;
	return 3000042;
}

static bool fake_migrate(void *ctx, const struct mgmt_migrate_args *a, char *err, size_t n)
{
	struct fake_board *b = ctx;

	if (b->refuse) {
		snprintf(err, n, "a migration is already under way");
		return false;
	}
	b->last = *a;
	b->migrates++;
	return true;
}

static bool fake_simple(void *ctx, char *err, size_t n)
{
	struct fake_board *b = ctx;

	(void)err, (void)n;
	b->stops++;
	return true;
}

static bool fake_resolve(void *ctx, const char *force, char *err, size_t n)
{
	struct fake_board *b = ctx;

	(void)err, (void)n;
	snprintf(b->force, sizeof(b->force), "%s", force ? force : "");
	b->resolves++;
	return true;
}

static bool fake_recover(void *ctx, char *err, size_t n)
{
	struct fake_board *b = ctx;

	snprintf(err, n, "no paused postcopy here");
	b->recovers++;
	return false;
}

static void fake_query(void *ctx, struct json_out *ret)
{
	(void)ctx;
	json_out_str(ret, "status", "active");
}

static void fake_set_parameters(void *ctx, uint64_t limit_ms, uint64_t bandwidth)
{
	struct fake_board *b = ctx;

	b->set_limit_ms = limit_ms;
	b->set_bandwidth = bandwidth;
}

static const struct mgmt_ops fake_ops = {
	.write = fake_write,
	.now_us = fake_now,
	.migrate = fake_migrate,
	.migrate_cancel = fake_simple,
	.migrate_resolve = fake_resolve,
	.migrate_recover = fake_recover,
	.query_migrate = fake_query,
	.query_vms = fake_query,
	.query_status = fake_query,
	.stop = fake_simple,
	.cont = fake_simple,
	.migrate_incoming = fake_simple,
	.vm_boot = fake_simple,
	.quit = fake_simple,
	.set_parameters = fake_set_parameters,
};

static const char *say(struct mgmt *m, struct fake_board *b, const char *line)
{
	b->out_len = 0;
	b->out[0] = '\0';
	mgmt_input(m, line, strlen(line));
	return b->out;
}

/** A request, and words its answer must hold (where an error names what is wrong). */
struct exchange {
	const char *request, *answer_has;
};

static void check_answers(struct mgmt *m, struct fake_board *b, const struct exchange *x, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *answer = say(m, b, x[i].request);

		if (!strstr(answer, x[i].answer_has))
			print_error("%s answered %s", x[i].request, answer);
		assert_non_null(strstr(answer, x[i].answer_has));
	}
}

static void test_commands_answered_with_their_id(void **state)
{
	struct fake_board b = { 0 };
	struct mgmt m;

	(void)state;
	mgmt_init(&m, &fake_ops, &b);
	assert_string_equal(say(&m, &b, "{\"execute\":\"query-migrate\",\"id\":\"q1\"}\n"),
			    "{\"return\":{\"status\":\"active\"},\"id\":\"q1\"}\n");
	assert_string_equal(say(&m, &b, "{\"id\":7,\"execute\":\"stop\"}\r\n"),
			    "{\"return\":{},\"id\":7}\n");
	assert_int_equal(b.stops, 1);
	/* two commands in one read, a third split across reads */
	say(&m, &b, "{\"execute\":\"stop\"}\n{\"execute\":\"cont\"}\n{\"execute\":");
	assert_int_equal(b.stops, 3);
	assert_string_equal(say(&m, &b, "\"query-vms\"}\n"),
			    "{\"return\":{\"status\":\"active\"}}\n");
	assert_string_equal(say(&m, &b, "\n  \n"), ""); /* empty lines are no commands */
	/* An empty board's next VM, or its end: each reaches the board, none takes arguments. */
	say(&m, &b, "{\"execute\":\"migrate-incoming\"}\n{\"execute\":\"vm-boot\"}\n");
	say(&m, &b, "{\"execute\":\"quit\"}\n");
	assert_int_equal(b.stops, 6);
	assert_non_null(strstr(say(&m, &b, "{\"execute\":\"quit\",\"arguments\":{\"now\":1}}\n"),
			       "quit: unknown argument 'now'"));
	assert_int_equal(b.stops, 6);
}

static void test_migrate_arguments(void **state)
{
	static const struct exchange wrong[] = {
		{ "{\"execute\":\"migrate\"}\n", "'peer'" },
		{ "{\"execute\":\"migrate\",\"arguments\":{\"peer\":\"b\",\"mode\":\"fast\"}}\n",
		  "'mode'" },
		{ "{\"execute\":\"migrate\",\"arguments\":{\"peer\":\"b\","
		  "\"downtime-limit\":-1}}\n",
		  "'downtime-limit' must be a whole number" },
		{ "{\"execute\":\"migrate\",\"arguments\":{\"peer\":\"b\",\"bandwith\":5}}\n",
		  "unknown argument 'bandwith'" },
	};
	struct fake_board b = { 0 };
	struct mgmt m;

	(void)state;
	mgmt_init(&m, &fake_ops, &b);
	say(&m, &b,
	    "{\"execute\":\"migrate\",\"arguments\":{\"peer\":\"board-b\",\"mode\":\"postcopy\","
	    "\"downtime-limit\":15,\"max-bandwidth\":125000000,\"postcopy-after-rounds\":2}}\n");
	assert_int_equal(b.migrates, 1);
	assert_string_equal(b.last.peer, "board-b");
	assert_true(b.last.postcopy);
	assert_int_equal(b.last.downtime_limit_ms, 15);
	assert_int_equal(b.last.max_bandwidth, 125000000); /* bytes/s, as QMP's */
	assert_int_equal(b.last.postcopy_after_rounds, 2);
	say(&m, &b, "{\"execute\":\"migrate\",\"arguments\":{\"peer\":\"b\"}}\n");
	assert_false(b.last.postcopy);
	assert_false(b.last.confirmed);	       /* one flight unless asked */
	assert_false(b.last.switchover_given); /* the board's default, then */
	assert_string_equal(b.last.on_no_convergence, "");
	say(&m, &b,
	    "{\"execute\":\"migrate\",\"arguments\":{\"peer\":\"b\",\"switchover\":\"confirmed\"}}"
	    "\n");
	assert_true(b.last.confirmed);
	assert_true(b.last.switchover_given);
	/* the word goes to the board, which knows the choices */
	say(&m, &b,
	    "{\"execute\":\"migrate\",\"arguments\":{\"peer\":\"b\",\"on-no-convergence\":"
	    "\"fail\"}}\n");
	assert_string_equal(b.last.on_no_convergence, "fail");
	assert_non_null(strstr(say(&m, &b,
				   "{\"execute\":\"migrate\",\"arguments\":{\"peer\":"
				   "\"b\",\"on-no-convergence\":3}}\n"),
			       "'on-no-convergence'"));
	assert_non_null(strstr(say(&m, &b,
				   "{\"execute\":\"migrate\",\"arguments\":{\"peer\":"
				   "\"b\",\"switchover\":\"twice\"}}\n"),
			       "'switchover'"));
	assert_int_equal(b.last.downtime_limit_ms, 0);
	/* each wrong argument named, nothing started */
	check_answers(&m, &b, wrong, sizeof(wrong) / sizeof(wrong[0]));
	assert_int_equal(b.migrates, 4);
	b.refuse = true;
	assert_string_equal(
		say(&m, &b, "{\"execute\":\"migrate\",\"arguments\":{\"peer\":\"b\"},\"id\":3}\n"),
		"{\"error\":{\"class\":\"GenericError\",\"desc\":\"a migration is already under "
		"way\"},\"id\":3}\n");
}

/* A migration in doubt: ask again, or the operator's verdict; nothing else is taken. */
static void test_resolve_arguments(void **state)
{
	static const struct exchange wrong[] = {
		{ "{\"execute\":\"migrate-resolve\",\"arguments\":{\"force\":\"both\"}}\n",
		  "'force' is \\\"source\\\", \\\"destination\\\" or \\\"lost\\\"" },
		{ "{\"execute\":\"migrate-resolve\",\"arguments\":{\"force\":1}}\n", "'force'" },
		{ "{\"execute\":\"migrate-resolve\",\"arguments\":{\"now\":true}}\n",
		  "unknown argument 'now'" },
	};
	struct fake_board b = { 0 };
	struct mgmt m;

	(void)state;
	mgmt_init(&m, &fake_ops, &b);
	assert_string_equal(say(&m, &b, "{\"execute\":\"migrate-resolve\"}\n"),
			    "{\"return\":{}}\n");
	assert_string_equal(b.force, "");
	say(&m, &b, "{\"execute\":\"migrate-resolve\",\"arguments\":{\"force\":\"source\"}}\n");
	assert_string_equal(b.force, "source");
	say(&m, &b, "{\"execute\":\"migrate-resolve\",\"arguments\":{\"force\":\"lost\"}}\n");
	assert_string_equal(b.force, "lost");
	assert_int_equal(b.resolves, 3);
	check_answers(&m, &b, wrong, sizeof(wrong) / sizeof(wrong[0]));
	assert_int_equal(b.resolves, 3);
	assert_string_equal(say(&m, &b, "{\"execute\":\"migrate-recover\",\"id\":1}\n"),
			    "{\"error\":{\"class\":\"GenericError\",\"desc\":\"no paused "
			    "postcopy here\"},\"id\":1}\n");
	assert_int_equal(b.recovers, 1);
}

static void test_bad_requests(void **state)
{
	static const struct exchange bad[] = {
		{ "hello\n", "not JSON" },
		{ "[1]\n", "\\\"execute\\\"" },
		{ "{\"execute\":\"reboot\"}\n",
		  "\"CommandNotFound\",\"desc\":\"The command reboot has not been found" },
		{ "{\"execute\":\"query-commands\",\"arguments\":{\"x\":1}}\n",
		  "query-commands: unknown argument 'x'" },
		{ "{\"execute\":\"stop\",\"arguments\":[]}\n", "must be an object" },
		{ "{\"execute\":\"stop\",\"arguments\":{\"now\":1}}\n",
		  "stop: unknown argument 'now'" },
		{ "{\"execute\":\"stop\",\"id\":{}}\n", "'id'" },
	};
	struct fake_board b = { 0 };
	struct mgmt m;
	char huge[3000];

	(void)state;
	mgmt_init(&m, &fake_ops, &b);
	check_answers(&m, &b, bad, sizeof(bad) / sizeof(bad[0]));
	/* a line too long is refused whole; the next line works */
	memset(huge, 'x', sizeof(huge) - 2);
	huge[sizeof(huge) - 2] = '\n';
	huge[sizeof(huge) - 1] = '\0';
	assert_non_null(strstr(say(&m, &b, huge), "line too long"));
	assert_non_null(strstr(say(&m, &b, "{\"execute\":\"stop\"}\n"), "\"return\""));
	assert_int_equal(b.stops, 1);
}

static void test_events(void **state)
{
	struct fake_board b = { 0 };
	struct mgmt m, silent = { 0 };
	struct json_out o;
	char buf[256];

	(void)state;
	mgmt_init(&m, &fake_ops, &b);
	mgmt_event_begin(&m, &o, buf, sizeof(buf), "MIGRATION");
	json_out_str(&o, "status", "active");
	mgmt_event_send(&m, &o);
	assert_string_equal(b.out, "{\"event\":\"MIGRATION\",\"timestamp\":{\"seconds\":3,"
				   "\"microseconds\":42},\"data\":{\"status\":\"active\"}}\n");
	/* without a channel an event goes nowhere */
	mgmt_event_begin(&silent, &o, buf, sizeof(buf), "MIGRATION");
	mgmt_event_send(&silent, &o);
}

/* QMP's own queries: the version, the commands (a list), the status; QMP's spelling of cancel. */
static void test_qmp_queries(void **state)
{
	static const struct exchange qmp[] = {
		{ "{\"execute\":\"query-version\",\"id\":1}\n",
		  "{\"return\":{\"qemu\":{\"micro\":3,\"minor\":2,\"major\":1},\"package\":"
		  "\"1.2.3-gfff\"},\"id\":1}" },
		{ "{\"execute\":\"query-commands\"}\n", "{\"return\":[{\"name\":\"migrate\"}," },
		{ "{\"execute\":\"query-commands\"}\n", "{\"name\":\"qmp_capabilities\"}]}" },
		{ "{\"execute\":\"query-status\"}\n", "{\"return\":{\"status\":\"active\"}}" },
		{ "{\"execute\":\"migrate_cancel\",\"id\":\"c\"}\n",
		  "{\"return\":{},\"id\":\"c\"}" },
	};
	struct fake_board b = { 0 };
	struct mgmt m;

	(void)state;
	mgmt_init(&m, &fake_ops, &b);
	mgmt_connected(&m, true, "1.2.3-gfff");
	say(&m, &b, "{\"execute\":\"qmp_capabilities\"}");
	check_answers(&m, &b, qmp, sizeof(qmp) / sizeof(qmp[0]));
}

/* QMP's migrate-set-parameters: what later migrations use unless they say otherwise. */
static void test_migrate_parameters(void **state)
{
	static const struct exchange wrong[] = {
		{ "{\"execute\":\"migrate-set-parameters\",\"arguments\":{\"downtime-limit\":0}}",
		  "'downtime-limit' is at least 1 ms" },
		{ "{\"execute\":\"migrate-set-parameters\",\"arguments\":{\"max-bandwidth\":-1}}",
		  "'max-bandwidth' must be a whole number" },
		{ "{\"execute\":\"migrate-set-parameters\",\"arguments\":{\"multifd\":true}}",
		  "unknown argument 'multifd'" },
	};
	struct fake_board b = { 0 };
	struct mgmt m;

	(void)state;
	mgmt_init(&m, &fake_ops, &b);
	m.downtime_limit_ms = 5; /* the board's default */
	assert_string_equal(say(&m, &b, "{\"execute\":\"query-migrate-parameters\"}"),
			    "{\"return\":{\"downtime-limit\":5,\"max-bandwidth\":0}}\n");
	assert_string_equal(say(&m, &b,
				"{\"execute\":\"migrate-set-parameters\",\"arguments\":{"
				"\"downtime-limit\":20,\"max-bandwidth\":33554432}}"),
			    "{\"return\":{}}\n");
	check_answers(&m, &b, wrong, sizeof(wrong) / sizeof(wrong[0]));
	assert_string_equal(say(&m, &b, "{\"execute\":\"query-migrate-parameters\"}"),
			    "{\"return\":{\"downtime-limit\":20,\"max-bandwidth\":33554432}}\n");
	/* passed on to the board (a migration under way follows them), refusals not */
	assert_int_equal(b.set_limit_ms, 20);
	assert_int_equal(b.set_bandwidth, 33554432);
	say(&m, &b, "{\"execute\":\"migrate\",\"arguments\":{\"peer\":\"b\"}}");
	assert_int_equal(b.last.downtime_limit_ms, 20);
	assert_int_equal(b.last.max_bandwidth, 33554432);
	say(&m, &b, "{\"execute\":\"migrate\",\"arguments\":{\"peer\":\"b\",\"max-bandwidth\":0}}");
	assert_int_equal(b.last.max_bandwidth, 0);
}

/*
 * QMP's negotiation (QMP specification, section 4): after the greeting
 * only qmp_capabilities runs, and events wait for it; a board with a
 * management token runs nothing for a client that has not given it.
 */
static void test_negotiation_and_token(void **state)
{
	static const char token[] = "00112233445566778899aabbccddeeff"
				    "00112233445566778899aabbccddeeff";
	static const struct exchange refused[] = {
		{ "{\"execute\":\"stop\",\"id\":1}",
		  "{\"error\":{\"class\":\"CommandNotFound\",\"desc\":\"Expecting capabilities "
		  "negotiation with 'qmp_capabilities'\"},\"id\":1}" },
		{ "{\"execute\":\"qmp_capabilities\"}", "requires its management token" },
		{ "{\"execute\":\"qmp_capabilities\",\"arguments\":{\"ferry-token\":"
		  "\"00112233445566778899aabbccddeeff00112233445566778899aabbccddeefe\"}}",
		  "requires its management token" },
		{ "{\"execute\":\"qmp_capabilities\",\"arguments\":{\"ferry-token\":"
		  "\"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff0\"}}",
		  "requires its management token" },
		{ "{\"execute\":\"qmp_capabilities\",\"arguments\":{\"ferry-token\":7}}",
		  "requires its management token" },
		{ "{\"execute\":\"qmp_capabilities\",\"arguments\":{\"enable\":[\"oob\"]}}",
		  "no capabilities to enable" },
		{ "{\"execute\":\"qmp_capabilities\",\"arguments\":{\"enable\":3}}",
		  "no capabilities to enable" },
		{ "{\"execute\":\"query-commands\"}", "Expecting capabilities negotiation" },
	};
	struct fake_board b = { 0 };
	struct mgmt m;
	struct json_out o;
	char buf[256], given[200];

	(void)state;
	mgmt_init(&m, &fake_ops, &b);
	assert_false(mgmt_require_token(&m, "short"));
	assert_false(mgmt_require_token(&m, "00112233445566778899AABBCCDDEEFF"
					    "00112233445566778899aabbccddeeff"));
	assert_true(mgmt_require_token(&m, token));
	mgmt_connected(&m, true, "0.1.0");
	mgmt_event_begin(&m, &o, buf, sizeof(buf), "STOP");
	mgmt_event_send(&m, &o);
	assert_null(strstr(b.out, "STOP")); /* held until command mode */
	check_answers(&m, &b, refused, sizeof(refused) / sizeof(refused[0]));
	assert_int_equal(b.stops, 0);
	snprintf(given, sizeof(given),
		 "{\"execute\":\"qmp_capabilities\",\"arguments\":{\"enable\":[],"
		 "\"ferry-token\":\"%s\"},\"id\":\"n\"}",
		 token);
	assert_string_equal(say(&m, &b, given),
			    "{\"return\":{},\"id\":\"n\"}\n{\"event\":\"STOP\",\"timestamp\":{"
			    "\"seconds\":3,\"microseconds\":42},\"data\":{}}\n");
	assert_non_null(strstr(say(&m, &b, "{\"execute\":\"stop\"}"), "\"return\""));
	assert_non_null(strstr(say(&m, &b, given), "negotiation is already complete"));
	/* the next client negotiates anew */
	mgmt_connected(&m, false, "0.1.0");
	mgmt_connected(&m, true, "0.1.0");
	assert_non_null(strstr(say(&m, &b, "{\"execute\":\"stop\"}"), "Expecting capabilities"));
	assert_int_equal(b.stops, 1);
}

/* QMP clients send no newline: a command ends where its object closes, strings and all. */
static void test_commands_framed_by_json(void **state)
{
	static const char two[] =
		"{\"execute\":\"query-status\",\"id\":1}"
		"{\"execute\":\"migrate\",\"arguments\":{\"peer\":\"a}\\\"{b\"},\"id\":2}";
	struct fake_board b = { 0 };
	struct mgmt m;
	const char *out;

	(void)state;
	mgmt_init(&m, &fake_ops, &b);
	out = say(&m, &b, two);
	assert_non_null(strstr(out, "{\"return\":{\"status\":\"active\"},\"id\":1}\n"));
	assert_non_null(strstr(out, "\"id\":2}\n"));
	assert_int_equal(b.migrates, 1);
	assert_string_equal(b.last.peer, "a}\"{b");
	/* split anywhere, and a line's newline after it changes nothing */
	out = say(&m, &b, "{\"execute\":\"st");
	assert_string_equal(out, "");
	assert_non_null(strstr(say(&m, &b, "op\"}\n"), "\"return\""));
	assert_int_equal(b.stops, 1);
}

/* A client is greeted as QMP says, then gets what happened while nobody listened, at most 16. */
static void test_greeting_and_kept_events(void **state)
{
	struct fake_board b = { 0 };
	struct mgmt m;
	struct json_out o;
	char buf[256];
	const char *p;

	(void)state;
	mgmt_init(&m, &fake_ops, &b);
	mgmt_connected(&m, false, "0.1.0-gabc");
	for (unsigned i = 0; i < MGMT_PENDING_MAX + 3; i++) {
		mgmt_event_begin(&m, &o, buf, sizeof(buf), "STOP");
		json_out_u64(&o, "n", i);
		mgmt_event_send(&m, &o);
	}
	assert_int_equal(b.out_len, 0); /* nobody to hear them */
	mgmt_input(&m, "{\"exec", 7);	/* half a line, then the client goes */
	mgmt_connected(&m, false, "0.1.0-gabc");
	mgmt_connected(&m, true, "0.1.0-gabc");
	static const char greeting[] = "{\"QMP\":{\"version\":{\"qemu\":{\"micro\":0,\"minor\":1,"
				       "\"major\":0},\"package\":\"0.1.0-gabc\"},"
				       "\"capabilities\":[]}}\n";

	assert_string_equal(b.out, greeting); /* events wait for command mode */
	/* the half line was dropped: a new command stands on its own; then the 16 newest */
	p = say(&m, &b, "{\"execute\":\"qmp_capabilities\",\"id\":7}\n");
	assert_int_equal(strncmp(p, "{\"return\":{},\"id\":7}\n", 21), 0);
	assert_null(strstr(p, "\"n\":2}"));
	assert_non_null(p = strstr(p, "\"n\":3}"));
	assert_non_null(strstr(p, "\"n\":18}"));
	assert_int_equal(m.events_dropped, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_lookups),
		cmocka_unit_test(test_json_rejects),
		cmocka_unit_test(test_json_out),
		cmocka_unit_test(test_commands_answered_with_their_id),
		cmocka_unit_test(test_migrate_arguments),
		cmocka_unit_test(test_resolve_arguments),
		cmocka_unit_test(test_bad_requests),
		cmocka_unit_test(test_events),
		cmocka_unit_test(test_greeting_and_kept_events),
		cmocka_unit_test(test_qmp_queries),
		cmocka_unit_test(test_commands_framed_by_json),
		cmocka_unit_test(test_migrate_parameters),
		cmocka_unit_test(test_negotiation_and_token),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
