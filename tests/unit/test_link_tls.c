/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The TLS link on the host, between two threads over sockets, with
 * credentials made by `ferry creds`: both modes move data intact; a wrong
 * key, an untrusted certificate, a certificate for another board and a
 * plaintext peer are refused with a clear error at both ends; a byte
 * flipped on the wire aborts with an authentication error; a silent peer
 * is reported within the timeout.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/support/link_pair.h"
#include "tools/ferry/creds.h"

static char dir[64];

static void make(const char *sub, bool cert, const char *a, const char *b)
{
	char path[128], err[256];

	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	if (!creds_make(path, cert, a, b, err, sizeof(err)))
		fail_msg("creds: %s", err);
}

static void load(const char *sub, const char *board, struct board_creds *bc)
{
	char path[128], err[256];

	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	if (!board_creds_load(path, board, bc, err, sizeof(err)))
		fail_msg("load: %s", err);
}

static int group_setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/ferry-link-test-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	make("psk", false, "a", "b");
	make("psk2", false, "a", "b"); /* another key for the same names */
	make("cert", true, "a", "b");
	make("cert2", true, "a", "b"); /* another CA */
	make("certc", true, "a", "c"); /* same names, another CA: a "c" */
	return 0;
}

static int group_teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static struct board_creds s, c;
static struct link_pair_result r;

static void transfer_ok(void)
{
	if (!r.server_ok || !r.client_ok)
		fail_msg("server: %s / client: %s", r.server_error, r.client_error);
}

static void test_psk_transfer(void **state)
{
	(void)state;
	load("psk", "a", &s);
	load("psk", "b", &c);
	link_pair_run(&s, &c, 4u << 20, false, RELAY_NONE, 0, &r);
	transfer_ok();
	assert_string_equal(r.suite, "TLS-ECDHE-PSK-WITH-CHACHA20-POLY1305-SHA256");
}

static void test_cert_transfer_both_ciphers(void **state)
{
	(void)state;
	load("cert", "a", &s);
	load("cert", "b", &c);
	link_pair_run(&s, &c, 4u << 20, false, RELAY_NONE, 0, &r);
	transfer_ok();
	assert_string_equal(r.suite, "TLS-ECDHE-ECDSA-WITH-CHACHA20-POLY1305-SHA256");
	c.cfg.creds.cipher = LINK_CIPHER_AES_GCM;
	link_pair_run(&s, &c, 1u << 20, false, RELAY_NONE, 0, &r);
	transfer_ok();
	assert_string_equal(r.suite, "TLS-ECDHE-ECDSA-WITH-AES-128-GCM-SHA256");
}

static void test_wrong_psk_refused_at_both_ends(void **state)
{
	(void)state;
	load("psk", "a", &s);
	load("psk2", "b", &c);
	link_pair_run(&s, &c, 1024, false, RELAY_NONE, 0, &r);
	assert_false(r.server_ok || r.client_ok);
	print_message("server: %s\nclient: %s\n", r.server_error, r.client_error);
	assert_non_null(strstr(r.server_error, "handshake: "));
	assert_non_null(strstr(r.client_error, "handshake: "));
	assert_non_null(strstr(r.server_error, "pre-shared key"));
}

static void test_untrusted_certificate_refused(void **state)
{
	(void)state;
	load("cert", "a", &s);
	load("cert2", "b", &c);
	link_pair_run(&s, &c, 1024, false, RELAY_NONE, 0, &r);
	assert_false(r.server_ok || r.client_ok);
	print_message("server: %s\nclient: %s\n", r.server_error, r.client_error);
	assert_non_null(strstr(r.client_error, "not trusted"));
	assert_non_null(strstr(r.server_error, "handshake: "));
}

static void test_certificate_for_another_board_refused(void **state)
{
	(void)state;
	load("certc", "a", &s); /* a expects c ... */
	load("certc", "c", &c);
	strcpy(s.cfg.creds.peer, "b"); /* ... but is told to accept only b */
	link_pair_run(&s, &c, 1024, false, RELAY_NONE, 0, &r);
	assert_false(r.server_ok);
	print_message("server: %s\nclient: %s\n", r.server_error, r.client_error);
	assert_non_null(strstr(r.server_error, "not trusted (it is not for \"b\")"));
	assert_false(r.client_ok);
}

static void test_plaintext_peer_refused(void **state)
{
	(void)state;
	load("psk", "a", &s);
	link_pair_run(&s, &s, 1024, true, RELAY_NONE, 0, &r);
	assert_false(r.server_ok);
	print_message("server: %s\n", r.server_error);
	assert_non_null(strstr(r.server_error, "does not speak TLS"));
}

static void test_flipped_byte_aborts(void **state)
{
	(void)state;
	load("psk", "a", &s);
	load("psk", "b", &c);
	link_pair_run(&s, &c, 1u << 20, false, RELAY_FLIP_BYTE, 200000, &r);
	assert_false(r.server_ok);
	print_message("server: %s\n", r.server_error);
	assert_non_null(strstr(r.server_error, "authentication check"));
}

static void test_silent_peer_reported(void **state)
{
	(void)state;
	load("psk", "a", &s);
	load("psk", "b", &c);
	link_pair_run(&s, &c, 1u << 20, false, RELAY_GO_SILENT, 200000, &r);
	assert_false(r.server_ok);
	print_message("server: %s\n", r.server_error);
	assert_non_null(strstr(r.server_error, "nothing from the peer for 3000 ms"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_psk_transfer),
		cmocka_unit_test(test_cert_transfer_both_ciphers),
		cmocka_unit_test(test_wrong_psk_refused_at_both_ends),
		cmocka_unit_test(test_untrusted_certificate_refused),
		cmocka_unit_test(test_certificate_for_another_board_refused),
		cmocka_unit_test(test_plaintext_peer_refused),
		cmocka_unit_test(test_flipped_byte_aborts),
		cmocka_unit_test(test_silent_peer_reported),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
