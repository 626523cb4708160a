/* SPDX-License-Identifier: Apache-2.0 */
/** The management protocol, see mgmt.h and docs/management.md. */
#include "system/mgmt.h"

#include <string.h>

#include "lib/format.h"
#include "lib/json.h"

#define TOKENS_MAX 64u
#define ID_MAX	   64u
/* The bounds of migrate's and migrate-set-parameters' numbers. */
#define DOWNTIME_LIMIT_MAX 60000u	   /* ms */
#define MAX_BANDWIDTH	   100000000000ull /* bytes/s: 100 GB/s */

/* One request being answered. */
struct request {
	const char *text;
	struct json_tok toks[TOKENS_MAX];
	int args; /**< the "arguments" object, or -1 */
	char name[32];
	const char *id; /**< the request's "id", raw JSON, echoed in the answer */
	size_t id_len;
	bool negotiated; /**< this was qmp_capabilities, accepted: the kept events follow */
};

void mgmt_init(struct mgmt *m, const struct mgmt_ops *ops, void *ctx)
{
	memset(m, 0, sizeof(*m));
	m->ops = ops;
	m->ctx = ctx;
	m->connected = true;
	m->negotiated = true; /* no greeting, no negotiation, until the device says otherwise */
}

static void send_out(struct mgmt *m, struct json_out *o)
{
	size_t len;
	const char *text = json_out_text(o, &len);

	if (!text) {
		static const char too_big[] = "{\"error\":{\"class\":\"GenericError\",\"desc\":"
					      "\"the answer does not fit\"}}\n";

		m->ops->write(m->ctx, too_big, sizeof(too_big) - 1);
		return;
	}
	o->buf[len] = '\n'; /* json_out keeps a byte for the NUL: room for the newline */
	m->ops->write(m->ctx, text, len + 1);
}

static void reply_error(struct mgmt *m, const struct request *r, const char *cls, const char *desc)
{
	char buf[MGMT_REPLY_MAX];
	struct json_out o;

	m->errors++;
	json_out_init(&o, buf, sizeof(buf));
	json_out_object(&o, NULL);
	json_out_object(&o, "error");
	json_out_str(&o, "class", cls);
	json_out_str(&o, "desc", desc);
	json_out_end(&o);
	if (r && r->id)
		json_out_raw(&o, "id", r->id, r->id_len);
	json_out_end(&o);
	send_out(m, &o);
}

/** Checks that every argument is one the command knows; NULL-terminated list. */
static bool known_arguments(struct mgmt *m, struct request *r, const char *const *names)
{
	char key[32], desc[96];

	if (r->args < 0)
		return true;
	for (uint32_t k = (uint32_t)r->args + 1; k < r->toks[r->args].next;
	     k = r->toks[k + 1].next) {
		bool known = false;

		if (!json_get_string(r->text, &r->toks[k], key, sizeof(key)))
			key[0] = '\0';
		for (const char *const *n = names; *n && !known; n++)
			known = strcmp(*n, key) == 0;
		if (!known) {
			format_snprintf(desc, sizeof(desc), "%s: unknown argument '%s'", r->name,
					key);
			reply_error(m, r, "GenericError", desc);
			return false;
		}
	}
	return true;
}

static bool uint_argument(struct mgmt *m, struct request *r, const char *key, uint64_t max,
			  uint64_t *out)
{
	char desc[96];
	int t = json_get(r->text, r->toks, r->args, key);

	if (t < 0)
		return true;
	if (json_get_uint(r->text, &r->toks[t], max, out))
		return true;
	format_snprintf(desc, sizeof(desc), "%s: '%s' must be a whole number from 0 to %llu",
			r->name, key, (unsigned long long)max);
	reply_error(m, r, "GenericError", desc);
	return false;
}

static bool parse_migrate(struct mgmt *m, struct request *r, struct mgmt_migrate_args *a)
{
	static const char *const names[] = { "peer",
					     "mode",
					     "switchover",
					     "downtime-limit",
					     "max-bandwidth",
					     "postcopy-after-rounds",
					     "on-no-convergence",
					     "epoch-ms",
					     "lease-ms",
					     "takeover",
					     "reprotect",
					     NULL };
	char mode[16], desc[96];
	int t;

	memset(a, 0, sizeof(*a));
	a->downtime_limit_ms = m->downtime_limit_ms;
	a->max_bandwidth = m->max_bandwidth;
	if (!known_arguments(m, r, names))
		return false;
	t = json_get(r->text, r->toks, r->args, "peer");
	if (t < 0 || !json_get_string(r->text, &r->toks[t], a->peer, sizeof(a->peer)) ||
	    !a->peer[0]) {
		reply_error(m, r, "GenericError",
			    "migrate: 'peer' (the peer board's name) is "
			    "required");
		return false;
	}
	t = json_get(r->text, r->toks, r->args, "mode");
	if (t >= 0) {
		if (!json_get_string(r->text, &r->toks[t], mode, sizeof(mode)) ||
		    (strcmp(mode, "precopy") != 0 && strcmp(mode, "postcopy") != 0 &&
		     strcmp(mode, "protect") != 0)) {
			format_snprintf(desc, sizeof(desc),
					"migrate: 'mode' is \"precopy\", \"postcopy\" or "
					"\"protect\"");
			reply_error(m, r, "GenericError", desc);
			return false;
		}
		a->postcopy = strcmp(mode, "postcopy") == 0;
		a->protect = strcmp(mode, "protect") == 0;
	}
	t = json_get(r->text, r->toks, r->args, "switchover");
	if (t >= 0) {
		if (!json_get_string(r->text, &r->toks[t], mode, sizeof(mode)) ||
		    (strcmp(mode, "one-flight") != 0 && strcmp(mode, "confirmed") != 0)) {
			reply_error(m, r, "GenericError",
				    "migrate: 'switchover' is \"one-flight\" or \"confirmed\"");
			return false;
		}
		a->confirmed = strcmp(mode, "confirmed") == 0;
		a->switchover_given = true;
	}
	t = json_get(r->text, r->toks, r->args, "on-no-convergence");
	if (t >= 0 && !json_get_string(r->text, &r->toks[t], a->on_no_convergence,
				       sizeof(a->on_no_convergence))) {
		reply_error(m, r, "GenericError", "migrate: 'on-no-convergence' is a word");
		return false;
	}
	t = json_get(r->text, r->toks, r->args, "takeover");
	if (t >= 0) {
		if (!json_get_string(r->text, &r->toks[t], mode, sizeof(mode)) ||
		    (strcmp(mode, "auto") != 0 && strcmp(mode, "manual") != 0)) {
			reply_error(m, r, "GenericError",
				    "migrate: 'takeover' is \"auto\" or \"manual\"");
			return false;
		}
		a->manual = strcmp(mode, "manual") == 0;
	}
	t = json_get(r->text, r->toks, r->args, "reprotect");
	if (t >= 0) {
		if (r->toks[t].type != JSON_TRUE && r->toks[t].type != JSON_FALSE) {
			reply_error(m, r, "GenericError", "migrate: 'reprotect' is true or false");
			return false;
		}
		a->reprotect = r->toks[t].type == JSON_TRUE;
		a->reprotect_given = true;
	}
	return uint_argument(m, r, "downtime-limit", DOWNTIME_LIMIT_MAX, &a->downtime_limit_ms) &&
	       uint_argument(m, r, "max-bandwidth", MAX_BANDWIDTH, &a->max_bandwidth) &&
	       uint_argument(m, r, "postcopy-after-rounds", 100, &a->postcopy_after_rounds) &&
	       uint_argument(m, r, "epoch-ms", 10000, &a->epoch_ms) &&
	       uint_argument(m, r, "lease-ms", 10000, &a->lease_ms);
}

/** migrate-resolve's optional "force": "source", "destination" or "lost"; *force NULL without. */
static bool parse_resolve(struct mgmt *m, struct request *r, char *buf, size_t size,
			  const char **force)
{
	static const char *const names[] = { "force", NULL };
	int t;

	*force = NULL;
	if (!known_arguments(m, r, names))
		return false;
	t = json_get(r->text, r->toks, r->args, "force");
	if (t < 0)
		return true;
	if (!json_get_string(r->text, &r->toks[t], buf, size) ||
	    (strcmp(buf, "source") && strcmp(buf, "destination") && strcmp(buf, "lost"))) {
		reply_error(m, r, "GenericError",
			    "migrate-resolve: 'force' is \"source\", \"destination\" or \"lost\" "
			    "(where the operator knows the VM is)");
		return false;
	}
	*force = buf;
	return true;
}

enum outcome {
	DONE,	   /**< the "return" members are written */
	REFUSED,   /**< err says why */
	ANSWERED,  /**< a bad argument, answered already */
	NOT_FOUND, /**< no such command (QMP's CommandNotFound) */
};

/* Every command, for query-commands and the error that names them. */
static const char *const commands[] = {
	"migrate",
	"migrate-cancel",
	"migrate_cancel",
	"migrate-resolve",
	"migrate-recover",
	"migrate-incoming",
	"query-migrate",
	"migrate-set-parameters",
	"query-migrate-parameters",
	"query-vms",
	"query-status",
	"query-version",
	"query-commands",
	"stop",
	"cont",
	"vm-boot",
	"quit",
	"qmp_capabilities",
};

/* QMP's version members: "qemu": {major, minor, micro}, "package", of this board's version. */
static void version_members(struct json_out *o, const char *package)
{
	unsigned v[3] = { 0, 0, 0 };
	const char *p = package ? package : "";

	for (unsigned i = 0; i < 3 && *p >= '0' && *p <= '9'; i++) {
		while (*p >= '0' && *p <= '9')
			v[i] = v[i] * 10 + (unsigned)(*p++ - '0');
		if (*p == '.')
			p++;
	}
	json_out_object(o, "qemu");
	json_out_u64(o, "micro", v[2]);
	json_out_u64(o, "minor", v[1]);
	json_out_u64(o, "major", v[0]);
	json_out_end(o);
	json_out_str(o, "package", package ? package : "");
}

static enum outcome done_if(bool ok) { return ok ? DONE : REFUSED; }

/* QMP's migrate-set-parameters: what later migrate commands use unless they say otherwise. */
static bool set_parameters(struct mgmt *m, struct request *r)
{
	static const char *const names[] = { "downtime-limit", "max-bandwidth", NULL };
	uint64_t limit = m->downtime_limit_ms, bandwidth = m->max_bandwidth;

	if (!known_arguments(m, r, names) ||
	    !uint_argument(m, r, "downtime-limit", DOWNTIME_LIMIT_MAX, &limit) ||
	    !uint_argument(m, r, "max-bandwidth", MAX_BANDWIDTH, &bandwidth))
		return false;
	if (!limit) {
		reply_error(m, r, "GenericError",
			    "migrate-set-parameters: 'downtime-limit' is at least 1 ms");
		return false;
	}
	m->downtime_limit_ms = limit;
	m->max_bandwidth = bandwidth;
	if (m->ops->set_parameters)
		m->ops->set_parameters(m->ctx, limit, bandwidth);
	return true;
}

/* Same bytes, in a time that does not depend on where they differ. */
static bool same_secret(const char *a, const char *b, size_t len)
{
	unsigned char diff = 0;

	for (size_t i = 0; i < len; i++)
		diff |= (unsigned char)(a[i] ^ b[i]);
	return diff == 0;
}

/*
 * qmp_capabilities in negotiation mode (QMP specification, section 4):
 * "enable" names capabilities, and Ferry offers none; "ferry-token" is
 * Ferry's own, the board's management token when it requires one.
 */
static bool negotiate(struct mgmt *m, struct request *r)
{
	static const char *const names[] = { "enable", "ferry-token", NULL };
	char token[MGMT_TOKEN_LEN + 2];
	int t;

	if (!known_arguments(m, r, names))
		return false;
	t = json_get(r->text, r->toks, r->args, "enable");
	if (t >= 0 && (r->toks[t].type != JSON_ARRAY || r->toks[t].next != (uint32_t)t + 1)) {
		reply_error(m, r, "GenericError",
			    "qmp_capabilities: this board offers no capabilities to enable");
		return false;
	}
	if (m->token[0]) {
		t = json_get(r->text, r->toks, r->args, "ferry-token");
		if (t < 0 || !json_get_string(r->text, &r->toks[t], token, sizeof(token)) ||
		    strlen(token) != MGMT_TOKEN_LEN ||
		    !same_secret(token, m->token, MGMT_TOKEN_LEN)) {
			reply_error(m, r, "GenericError",
				    "this board requires its management token: qmp_capabilities "
				    "with \"ferry-token\" (ferry creds made it)");
			return false;
		}
	}
	m->negotiated = true;
	r->negotiated = true;
	return true;
}

/** Runs the command; the answer's "return" members go to *ret. */
static enum outcome dispatch(struct mgmt *m, struct request *r, struct json_out *ret, char *err,
			     size_t n)
{
	static const char *const none[] = { NULL };

	if (strcmp(r->name, "migrate") == 0) {
		struct mgmt_migrate_args a;

		if (!parse_migrate(m, r, &a))
			return ANSWERED;
		return done_if(m->ops->migrate(m->ctx, &a, err, n));
	}
	if (strcmp(r->name, "migrate-resolve") == 0) {
		char buf[16];
		const char *force;

		if (!parse_resolve(m, r, buf, sizeof(buf), &force))
			return ANSWERED;
		return done_if(m->ops->migrate_resolve(m->ctx, force, err, n));
	}
	if (strcmp(r->name, "migrate-set-parameters") == 0)
		return set_parameters(m, r) ? DONE : ANSWERED;
	if (strcmp(r->name, "qmp_capabilities") == 0) {
		format_snprintf(err, n,
				"Capabilities negotiation is already complete, command "
				"ignored");
		return NOT_FOUND;
	}
	if (!known_arguments(m, r, none))
		return ANSWERED;
	if (strcmp(r->name, "migrate-recover") == 0)
		return done_if(m->ops->migrate_recover(m->ctx, err, n));
	if (strcmp(r->name, "migrate-cancel") == 0 || strcmp(r->name, "migrate_cancel") == 0)
		return done_if(m->ops->migrate_cancel(m->ctx, err, n));
	if (strcmp(r->name, "query-migrate") == 0) {
		m->ops->query_migrate(m->ctx, ret);
		return DONE;
	}
	if (strcmp(r->name, "query-vms") == 0) {
		m->ops->query_vms(m->ctx, ret);
		return DONE;
	}
	if (strcmp(r->name, "query-status") == 0) {
		m->ops->query_status(m->ctx, ret);
		return DONE;
	}
	if (strcmp(r->name, "query-migrate-parameters") == 0) {
		json_out_u64(ret, "downtime-limit", m->downtime_limit_ms);
		json_out_u64(ret, "max-bandwidth", m->max_bandwidth);
		return DONE;
	}
	if (strcmp(r->name, "query-version") == 0) {
		version_members(ret, m->package);
		return DONE;
	}
	if (strcmp(r->name, "stop") == 0)
		return done_if(m->ops->stop(m->ctx, err, n));
	if (strcmp(r->name, "cont") == 0)
		return done_if(m->ops->cont(m->ctx, err, n));
	if (strcmp(r->name, "migrate-incoming") == 0)
		return done_if(m->ops->migrate_incoming(m->ctx, err, n));
	if (strcmp(r->name, "vm-boot") == 0)
		return done_if(m->ops->vm_boot(m->ctx, err, n));
	if (strcmp(r->name, "quit") == 0)
		return done_if(m->ops->quit(m->ctx, err, n));
	format_snprintf(err, n, "The command %s has not been found (query-commands lists them)",
			r->name);
	return NOT_FOUND;
}

/* The events kept while no client listened in command mode, oldest first. */
static void deliver_kept(struct mgmt *m)
{
	while (m->pending_count) {
		unsigned slot = m->pending_head;

		m->ops->write(m->ctx, m->pending[slot], m->pending_len[slot]);
		m->pending_head = (m->pending_head + 1) % MGMT_PENDING_MAX;
		m->pending_count--;
	}
}

static void handle_line(struct mgmt *m, const char *text, size_t len)
{
	static struct request r; /* one at a time; too big for the control CPU's stack */
	char err[256] = "", buf[MGMT_REPLY_MAX];
	struct json_out o;
	int count, t, id;

	while (len && (text[len - 1] == '\r' || text[len - 1] == ' '))
		len--;
	if (!len)
		return;
	m->commands++;
	memset(&r, 0, sizeof(r));
	r.text = text;
	count = json_parse(text, len, r.toks, TOKENS_MAX, err, sizeof(err));
	if (count < 0) {
		char desc[200];

		format_snprintf(desc, sizeof(desc), "not JSON: %s", err);
		reply_error(m, NULL, "GenericError", desc);
		return;
	}
	id = json_get(text, r.toks, 0, "id");
	if (id >= 0) {
		enum json_type ty = r.toks[id].type;

		/* A string's token excludes its quotes; echo it with them. */
		r.id = text + r.toks[id].start - (ty == JSON_STRING);
		r.id_len = r.toks[id].end - r.toks[id].start + 2u * (ty == JSON_STRING);
		if ((ty != JSON_STRING && ty != JSON_NUMBER) || r.id_len > ID_MAX) {
			r.id = NULL;
			reply_error(m, NULL, "GenericError",
				    "'id' must be a string or a number of at most 64 characters");
			return;
		}
	}
	t = json_get(text, r.toks, 0, "execute");
	if (t < 0 || !json_get_string(text, &r.toks[t], r.name, sizeof(r.name))) {
		reply_error(m, &r, "GenericError",
			    "a command is an object with \"execute\": \"name\"");
		return;
	}
	r.args = json_get(text, r.toks, 0, "arguments");
	if (r.args >= 0 && r.toks[r.args].type != JSON_OBJECT) {
		reply_error(m, &r, "GenericError", "\"arguments\" must be an object");
		return;
	}
	if (!m->negotiated) {
		/* Before qmp_capabilities, nothing else runs (QMP specification, section 4). */
		if (strcmp(r.name, "qmp_capabilities") != 0) {
			reply_error(m, &r, "CommandNotFound",
				    "Expecting capabilities negotiation with 'qmp_capabilities'");
			return;
		}
		if (!negotiate(m, &r))
			return;
	}
	json_out_init(&o, buf, sizeof(buf) - 1);
	json_out_object(&o, NULL);
	if (r.negotiated) {
		json_out_object(&o, "return");
	} else if (strcmp(r.name, "query-commands") == 0) {
		static const char *const none[] = { NULL };

		if (!known_arguments(m, &r, none))
			return;
		/* QMP's answer is a list: [{"name": ...}, ...] */
		json_out_array(&o, "return");
		for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
			json_out_object(&o, NULL);
			json_out_str(&o, "name", commands[i]);
			json_out_end(&o);
		}
	} else {
		json_out_object(&o, "return");
		switch (dispatch(m, &r, &o, err, sizeof(err))) {
		case ANSWERED:
			return;
		case REFUSED:
			reply_error(m, &r, "GenericError", err[0] ? err : "refused");
			return;
		case NOT_FOUND:
			reply_error(m, &r, "CommandNotFound", err);
			return;
		case DONE:
			break;
		}
	}
	json_out_end(&o);
	if (r.id)
		json_out_raw(&o, "id", r.id, r.id_len);
	json_out_end(&o);
	send_out(m, &o);
	if (r.negotiated)
		deliver_kept(m);
}

/* Follows the JSON's nesting; true when a top-level object or array just closed. */
static bool closes(struct mgmt *m, char c)
{
	if (m->in_string) {
		if (m->escaped)
			m->escaped = false;
		else if (c == '\\')
			m->escaped = true;
		else if (c == '"')
			m->in_string = false;
		return false;
	}
	if (c == '"') {
		m->in_string = true;
	} else if (c == '{' || c == '[') {
		m->depth++;
	} else if ((c == '}' || c == ']') && m->depth) {
		return --m->depth == 0;
	}
	return false;
}

/* The command ends here: answered (or refused as too long), and the next begins afresh. */
static void command_end(struct mgmt *m)
{
	if (m->discarding)
		reply_error(m, NULL, "GenericError", "line too long: at most 1023 bytes a command");
	else
		handle_line(m, m->line, m->len);
	m->len = 0;
	m->discarding = false;
	m->depth = 0;
	m->in_string = m->escaped = false;
}

void mgmt_input(struct mgmt *m, const char *bytes, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		char c = bytes[i];
		bool closed;

		if (c == '\n') {
			command_end(m);
			continue;
		}
		closed = closes(m, c);
		if (!m->discarding && m->len + 1 >= sizeof(m->line))
			m->discarding = true;
		if (!m->discarding)
			m->line[m->len++] = c;
		if (closed)
			command_end(m);
	}
}

void mgmt_event_begin(struct mgmt *m, struct json_out *o, char *buf, size_t size, const char *name)
{
	uint64_t us = m->ops ? m->ops->now_us(m->ctx) : 0;

	json_out_init(o, buf, size - 1); /* a byte kept for the newline */
	json_out_object(o, NULL);
	json_out_str(o, "event", name);
	json_out_object(o, "timestamp");
	json_out_u64(o, "seconds", us / 1000000u);
	json_out_u64(o, "microseconds", us % 1000000u);
	json_out_end(o);
	json_out_object(o, "data");
}

/* Keeps an event for the next client: the oldest goes when all are taken. */
static void keep(struct mgmt *m, struct json_out *o)
{
	size_t len;
	const char *text = json_out_text(o, &len);
	unsigned slot;

	if (!text || len + 1 > MGMT_EVENT_MAX) {
		m->events_dropped++;
		return;
	}
	if (m->pending_count == MGMT_PENDING_MAX) {
		m->pending_head = (m->pending_head + 1) % MGMT_PENDING_MAX;
		m->pending_count--;
		m->events_dropped++;
	}
	slot = (m->pending_head + m->pending_count++) % MGMT_PENDING_MAX;
	memcpy(m->pending[slot], text, len);
	m->pending[slot][len] = '\n';
	m->pending_len[slot] = (uint16_t)(len + 1);
}

void mgmt_event_send(struct mgmt *m, struct json_out *o)
{
	json_out_end(o);
	json_out_end(o);
	if (!m->ops) /* no channel: events go nowhere */
		return;
	/* QMP sends no event before command mode (QMP specification, section 4). */
	if (m->connected && m->negotiated)
		send_out(m, o);
	else
		keep(m, o);
}

void mgmt_connected(struct mgmt *m, bool connected, const char *package)
{
	char buf[256];
	struct json_out o;

	m->connected = connected;
	m->negotiated = false; /* each client negotiates anew */
	m->package = package;
	m->len = 0; /* whatever the last client left half-written */
	m->discarding = false;
	m->depth = 0;
	m->in_string = m->escaped = false;
	if (!connected || !m->ops)
		return;
	json_out_init(&o, buf, sizeof(buf) - 1);
	json_out_object(&o, NULL);
	json_out_object(&o, "QMP");
	json_out_object(&o, "version");
	version_members(&o, package);
	json_out_end(&o);
	json_out_array(&o, "capabilities");
	json_out_end(&o);
	json_out_end(&o);
	json_out_end(&o);
	send_out(m, &o);
}

bool mgmt_require_token(struct mgmt *m, const char *token)
{
	size_t len = strlen(token);

	if (len != MGMT_TOKEN_LEN)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((token[i] >= '0' && token[i] <= '9') || (token[i] >= 'a' && token[i] <= 'f')))
			return false;
	memcpy(m->token, token, len + 1);
	m->negotiated = false;
	return true;
}
