/* SPDX-License-Identifier: Apache-2.0 */
/**
 * Fuzzes the management channel: any bytes from the host. Every answer
 * must be one line of valid JSON, whatever came in.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/json.h"
#include "system/mgmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_write(void *ctx, const char *text, size_t len)
{
	struct json_tok toks[256];
	char err[64];

	(void)ctx;
	if (!len || text[len - 1] != '\n' || memchr(text, '\n', len - 1) ||
	    json_parse(text, len - 1, toks, 256, err, sizeof(err)) < 1)
		abort(); /* an answer that is not one JSON line */
}

static uint64_t now(void *ctx)
{
	(void)ctx;
	return 1;
}

static bool migrate(void *ctx, const struct mgmt_migrate_args *a, char *err, size_t n)
{
	(void)ctx, (void)err, (void)n;
	return strlen(a->peer) < sizeof(a->peer) && a->peer[0];
}

static bool simple(void *ctx, char *err, size_t n)
{
	(void)ctx;
	memcpy(err, "refused \"quoted\"\n", n < 18 ? n : 18);
	err[n - 1] = '\0';
	return false;
}

static bool resolve(void *ctx, const char *force, char *err, size_t n)
{
	(void)ctx, (void)err, (void)n;
	return !force || !strcmp(force, "source") || !strcmp(force, "destination") ||
	       !strcmp(force, "lost") || (abort(), false);
}

static void query(void *ctx, struct json_out *ret)
{
	(void)ctx;
	json_out_str(ret, "status", "active");
}

static const struct mgmt_ops ops = {
	.write = check_write,
	.now_us = now,
	.migrate = migrate,
	.migrate_cancel = simple,
	.migrate_resolve = resolve,
	.migrate_recover = simple,
	.query_migrate = query,
	.query_vms = query,
	.query_status = query,
	.stop = simple,
	.cont = simple,
	.migrate_incoming = simple,
	.vm_boot = simple,
	.quit = simple,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mgmt m;

	mgmt_init(&m, &ops, NULL);
	/* In two reads, split where the first byte says: lines cross read boundaries. */
	size_t cut = size ? data[0] % (size + 1) : 0;

	mgmt_input(&m, (const char *)data, cut);
	/* A client that leaves mid-line and another that comes (the greeting), as the first byte
	 * says. */
	if (size && data[0] & 1) {
		mgmt_connected(&m, false, "0.1.0-gfuzz");
		mgmt_connected(&m, true, "0.1.0-gfuzz");
	}
	mgmt_input(&m, (const char *)data + cut, size - cut);
	mgmt_input(&m, "\n", 1);
	return 0;
}
