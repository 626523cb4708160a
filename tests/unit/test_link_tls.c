/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The TLS link on the host, between two threads over sockets, with
 * credentials made by `ferry creds`: both modes move data intact over TLS
 * 1.3 with either cipher; a wrong key, a PSK identity of another board, a
 * tampered handshake, an untrusted certificate, a certificate for another
 * board, a plaintext peer and a peer that speaks
 * only TLS 1.2 (Ferry before its mbedtls 3.6 line) are refused with a clear
 * error; a byte flipped on the wire aborts with an authentication error; a
 * silent peer is reported within the timeout.
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

/* Server with sub/a, client with csub/cb, 1 KiB through the relay's fault: both ends' words
 * printed. */
static void attempt(const char *sub, const char *csub, const char *cb, enum relay_fault fault,
		    size_t after)
{
	load(sub, "a", &s);
	load(csub, cb, &c);
	link_pair_run(&s, &c, 1024, false, fault, after, &r);
	print_message("server: %s\nclient: %s\n", r.server_error, r.client_error);
}

static void test_psk_transfer(void **state)
{
	(void)state;
	load("psk", "a", &s);
	load("psk", "b", &c);
	link_pair_run(&s, &c, 4u << 20, false, RELAY_NONE, 0, &r);
	transfer_ok();
	assert_string_equal(r.suite, "TLS1-3-CHACHA20-POLY1305-SHA256");
	c.cfg.creds.cipher = LINK_CIPHER_AES_GCM;
	link_pair_run(&s, &c, 1u << 20, false, RELAY_NONE, 0, &r);
	transfer_ok();
	assert_string_equal(r.suite, "TLS1-3-AES-128-GCM-SHA256");
}

static void test_cert_transfer_both_ciphers(void **state)
{
	(void)state;
	load("cert", "a", &s);
	load("cert", "b", &c);
	link_pair_run(&s, &c, 4u << 20, false, RELAY_NONE, 0, &r);
	transfer_ok();
	assert_string_equal(r.suite, "TLS1-3-CHACHA20-POLY1305-SHA256");
	/* One end limited to a cipher: the other, offering both, goes along. */
	s.cfg.creds.cipher = LINK_CIPHER_AES_GCM;
	link_pair_run(&s, &c, 1u << 20, false, RELAY_NONE, 0, &r);
	transfer_ok();
	assert_string_equal(r.suite, "TLS1-3-AES-128-GCM-SHA256");
	c.cfg.creds.cipher = LINK_CIPHER_CHACHA20;
	link_pair_run(&s, &c, 1024, false, RELAY_NONE, 0, &r);
	assert_false(r.server_ok || r.client_ok);
	print_message("server: %s\nclient: %s\n", r.server_error, r.client_error);
	assert_non_null(strstr(r.server_error, "no cipher suite in common"));
	assert_non_null(strstr(r.client_error, "refused the handshake"));
}

static void test_wrong_psk_refused_at_both_ends(void **state)
{
	(void)state;
	attempt("psk", "psk2", "b", RELAY_NONE, 0);
	assert_false(r.server_ok || r.client_ok);
	assert_non_null(strstr(r.server_error, "handshake: "));
	assert_non_null(strstr(r.client_error, "handshake: "));
	assert_non_null(strstr(r.server_error, "pre-shared key"));
}

static void test_wrong_psk_identity_refused(void **state)
{
	(void)state;
	load("psk", "b", &c);
	strcpy(c.cfg.creds.identity, "x"); /* the right key, under another board's name */
	load("psk", "a", &s);
	link_pair_run(&s, &c, 1024, false, RELAY_NONE, 0, &r);
	assert_false(r.server_ok || r.client_ok);
	print_message("server: %s\n", r.server_error);
	assert_non_null(
		strstr(r.server_error, "identity is not the expected one (it is not \"b\")"));
}

/* A byte changed in the client's encrypted certificate flight: refused, never taken as benign. */
static void test_tampered_handshake_refused(void **state)
{
	(void)state;
	attempt("cert", "cert", "b", RELAY_FLIP_BYTE, 400);
	assert_false(r.server_ok);
	assert_non_null(strstr(r.server_error, "handshake: "));
	assert_true(strstr(r.server_error, "corrupted") || strstr(r.server_error, "forged") ||
		    strstr(r.server_error, "did not verify"));
}

static void test_untrusted_certificate_refused(void **state)
{
	(void)state;
	attempt("cert", "cert2", "b", RELAY_NONE, 0);
	assert_false(r.server_ok || r.client_ok);
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
	assert_non_null(strstr(r.client_error, "refused our certificate"));
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

/*
 * The first flight of Ferry's link before TLS 1.3: a TLS 1.2 ClientHello
 * (RFC 5246 section 7.4.1.2) offering ECDHE-PSK with ChaCha20-Poly1305
 * (RFC 7905), with no supported_versions extension (RFC 8446 4.2.1).
 */
static const uint8_t tls12_client_hello[] = {
	0x16, 0x03, 0x01, 0x00, 0x47, /* record: handshake, 71 bytes */
	0x01, 0x00, 0x00, 0x43,	      /* ClientHello, 67 bytes */
	0x03, 0x03,		      /* TLS 1.2 */
	0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
	0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
	0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, /* random */
	0x00,							    /* no session id */
	0x00, 0x04, 0xcc, 0xac, 0x00, 0xff,			    /* ECDHE-PSK-CHACHA20, SCSV */
	0x01, 0x00,						    /* no compression */
	0x00, 0x16,						    /* extensions, 22 bytes: */
	0x00, 0x0a, 0x00, 0x04, 0x00, 0x02, 0x00, 0x17,		    /* supported_groups: P-256 */
	0x00, 0x0b, 0x00, 0x02, 0x01, 0x00,			    /* ec_point_formats */
	0x00, 0x16, 0x00, 0x00,					    /* encrypt_then_mac */
	0x00, 0x17, 0x00, 0x00,					    /* extended_master_secret */
};

/* That older board's answer as a server: a TLS 1.2 ServerHello choosing the same suite. */
static const uint8_t tls12_server_hello[] = {
	0x16, 0x03, 0x03, 0x00, 0x2c, /* record: handshake, 44 bytes */
	0x02, 0x00, 0x00, 0x28,	      /* ServerHello, 40 bytes */
	0x03, 0x03,		      /* TLS 1.2 */
	0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22,
	0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22,
	0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, /* random */
	0x00,							    /* no session id */
	0xcc, 0xac,						    /* ECDHE-PSK-CHACHA20 */
	0x00,							    /* no compression */
	0x00, 0x00,						    /* no extensions */
};

/* A fatal alert (RFC 8446 section 6) came back, unprotected. */
static bool heard_alert(const uint8_t *heard, size_t len, uint8_t description)
{
	for (size_t i = 0; i + 7 <= len; i++)
		if (heard[i] == 0x15 && heard[i + 3] == 0x00 && heard[i + 4] == 0x02 &&
		    heard[i + 5] == 0x02 && heard[i + 6] == description)
			return true;
	return false;
}

/* A board (server or client) meets the TLS 1.2 peer's flight: refused, with that alert sent. */
static void refuses_tls12(bool server, const uint8_t *flight, size_t size, uint8_t alert)
{
	struct board_creds *me = server ? &s : &c;
	const char *error = server ? r.server_error : r.client_error;
	uint8_t heard[256];
	size_t len;

	load("psk", server ? "a" : "b", me);
	link_pair_scripted(me, server, flight, size, &r, heard, sizeof(heard), &len);
	print_message("%s: %s\n", server ? "server" : "client", error);
	assert_false(server ? r.server_ok : r.client_ok);
	assert_non_null(strstr(error, "does not speak TLS 1.3"));
	assert_true(heard_alert(heard, len, alert));
}

static void test_tls12_client_refused(void **state)
{
	(void)state;
	refuses_tls12(true, tls12_client_hello, sizeof(tls12_client_hello),
		      70); /* protocol_version */
}

static void test_tls12_server_refused(void **state)
{
	(void)state;
	/* illegal_parameter: mbedtls' answer to a TLS 1.2 ServerHello (RFC 8446 4.1.3) */
	refuses_tls12(false, tls12_server_hello, sizeof(tls12_server_hello), 47);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_psk_transfer),
		cmocka_unit_test(test_cert_transfer_both_ciphers),
		cmocka_unit_test(test_wrong_psk_refused_at_both_ends),
		cmocka_unit_test(test_wrong_psk_identity_refused),
		cmocka_unit_test(test_tampered_handshake_refused),
		cmocka_unit_test(test_untrusted_certificate_refused),
		cmocka_unit_test(test_certificate_for_another_board_refused),
		cmocka_unit_test(test_plaintext_peer_refused),
		cmocka_unit_test(test_tls12_client_refused),
		cmocka_unit_test(test_tls12_server_refused),
		cmocka_unit_test(test_flipped_byte_aborts),
		cmocka_unit_test(test_silent_peer_reported),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
