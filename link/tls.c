/* SPDX-License-Identifier: Apache-2.0 */
/** The TLS link, see tls.h. */
#include "link/tls.h"

#include <stdlib.h>
#include <string.h>

#include "lib/format.h"
#include "mbedtls/ctr_drbg.h"
#include "mbedtls/entropy.h"
#include "mbedtls/oid.h"
#include "mbedtls/pk.h"
#include "mbedtls/ssl.h"
#include "mbedtls/ssl_ciphersuites.h"
#include "mbedtls/x509_crt.h"

/** How long the transport is pumped between two tries. */
#define PUMP_SLICE_MS 10u

struct link_tls {
	struct link_io io;
	struct link_creds creds;
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
	mbedtls_ssl_config conf;
	mbedtls_ssl_context ssl;
	mbedtls_x509_crt ca, cert;
	mbedtls_pk_context key;
	bool peer_gone;
	bool wrong_peer;    /**< the certificate names another board */
	uint64_t pumped_ms; /**< when the transport was last pumped */
	char error[160];
};

/* TLS 1.2 suites Ferry allows, in order of preference (RFC 7905, RFC 5289). */
static const int psk_suites[] = { MBEDTLS_TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256, 0 };
static const int cert_chacha_suites[] = { MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
					  MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, 0 };
static const int cert_aes_suites[] = { MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, 0 };

static int bio_send(void *ctx, const unsigned char *buf, size_t len)
{
	struct link_tls *t = ctx;
	int n = t->io.ops->send(t->io.ctx, buf, len);

	if (n < 0) {
		t->peer_gone = true;
		return MBEDTLS_ERR_SSL_CONN_EOF;
	}
	return n ? n : MBEDTLS_ERR_SSL_WANT_WRITE;
}

static int bio_recv(void *ctx, unsigned char *buf, size_t len)
{
	struct link_tls *t = ctx;
	int n = t->io.ops->recv(t->io.ctx, buf, len);

	if (n < 0) {
		t->peer_gone = true;
		return 0; /* end of stream */
	}
	return n ? n : MBEDTLS_ERR_SSL_WANT_READ;
}

/** A reason a person can act on, for an mbedtls error. */
static void explain(struct link_tls *t, int ret, const char *during)
{
	const char *why;
	char detail[96] = "";

	switch (ret) {
	case MBEDTLS_ERR_SSL_BAD_HS_FINISHED:
	case MBEDTLS_ERR_SSL_INVALID_MAC:
		why = t->creds.auth == LINK_AUTH_PSK && !strcmp(during, "handshake")
			      ? "authentication failed: the peer does not hold the same pre-shared "
				"key"
			      : "a record failed its authentication check: forged or corrupted "
				"on the wire";
		break;
	case MBEDTLS_ERR_SSL_UNKNOWN_IDENTITY:
		why = "the peer's identity is not the expected one";
		break;
	case MBEDTLS_ERR_X509_CERT_VERIFY_FAILED: {
		uint32_t flags = mbedtls_ssl_get_verify_result(&t->ssl);

		why = "the peer's certificate is not trusted";
		if (t->wrong_peer) {
			format_snprintf(detail, sizeof(detail), "(it is not for \"%s\")",
					t->creds.peer);
			break;
		}
		mbedtls_x509_crt_verify_info(detail, sizeof(detail), "(", flags);
		for (char *p = detail; *p; p++)
			if (*p == '\n')
				*p = *(p + 1) ? ';' : ')';
		break;
	}
	case MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE:
		why = "the peer refused the handshake (it sent a fatal alert): wrong key, "
		      "untrusted certificate or unexpected identity on its side";
		break;
	case MBEDTLS_ERR_SSL_INVALID_RECORD:
	case MBEDTLS_ERR_SSL_BAD_HS_CLIENT_HELLO:
	case MBEDTLS_ERR_SSL_BAD_HS_SERVER_HELLO:
	case MBEDTLS_ERR_SSL_UNEXPECTED_MESSAGE:
		why = "the peer does not speak TLS (plaintext, or another protocol)";
		break;
	case MBEDTLS_ERR_SSL_NO_USABLE_CIPHERSUITE:
		why = "no cipher suite in common: the peers use different authentication modes";
		break;
	case MBEDTLS_ERR_SSL_CONN_EOF:
	case MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY:
		why = strcmp(during, "handshake")
			      ? "the peer closed the connection"
			      : "the peer closed the connection: it refused our credentials, or it "
				"is gone";
		break;
	default:
		why = t->peer_gone ? "the peer closed the connection" : "TLS error";
		format_snprintf(detail, sizeof(detail), "-0x%04x", (unsigned)-ret);
		break;
	}
	format_snprintf(t->error, sizeof(t->error), "%s: %s%s%s", during, why, detail[0] ? " " : "",
			detail);
}

/* PSK server: only the expected peer gets the key (RFC 4279 section 5.1). */
static int psk_lookup(void *ctx, mbedtls_ssl_context *ssl, const unsigned char *id, size_t len)
{
	struct link_tls *t = ctx;

	if (len != strlen(t->creds.peer) || memcmp(id, t->creds.peer, len))
		return -1;
	return mbedtls_ssl_set_hs_psk(ssl, t->creds.psk, t->creds.psk_len);
}

/* The peer's certificate must name the expected peer (its CN), checked by both ends while the chain
 * is verified. */
static int check_peer_name(void *ctx, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
	struct link_tls *t = ctx;

	if (depth != 0)
		return 0;
	for (const mbedtls_x509_name *n = &crt->subject; n; n = n->next)
		if (!MBEDTLS_OID_CMP(MBEDTLS_OID_AT_CN, &n->oid) &&
		    n->val.len == strlen(t->creds.peer) &&
		    !memcmp(n->val.p, t->creds.peer, n->val.len))
			return 0;
	t->wrong_peer = true;
	*flags |= MBEDTLS_X509_BADCERT_CN_MISMATCH;
	return 0;
}

static bool load_certificates(struct link_tls *t)
{
	const struct link_creds *c = &t->creds;

	if (!c->ca_pem || !c->cert_pem || !c->key_pem) {
		format_snprintf(
			t->error, sizeof(t->error),
			"certificate mode needs the CA, the board's certificate and its key");
		return false;
	}
	if (mbedtls_x509_crt_parse(&t->ca, (const unsigned char *)c->ca_pem,
				   strlen(c->ca_pem) + 1)) {
		format_snprintf(t->error, sizeof(t->error), "the CA certificate does not parse");
		return false;
	}
	if (mbedtls_x509_crt_parse(&t->cert, (const unsigned char *)c->cert_pem,
				   strlen(c->cert_pem) + 1)) {
		format_snprintf(t->error, sizeof(t->error), "the board certificate does not parse");
		return false;
	}
	if (mbedtls_pk_parse_key(&t->key, (const unsigned char *)c->key_pem, strlen(c->key_pem) + 1,
				 NULL, 0)) {
		format_snprintf(t->error, sizeof(t->error), "the board key does not parse");
		return false;
	}
	mbedtls_ssl_conf_ca_chain(&t->conf, &t->ca, NULL);
	if (mbedtls_ssl_conf_own_cert(&t->conf, &t->cert, &t->key)) {
		format_snprintf(t->error, sizeof(t->error),
				"the board key does not match its certificate");
		return false;
	}
	mbedtls_ssl_conf_authmode(&t->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
	mbedtls_ssl_conf_verify(&t->conf, check_peer_name, t);
	mbedtls_ssl_conf_ciphersuites(
		&t->conf, c->cipher == LINK_CIPHER_AES_GCM ? cert_aes_suites : cert_chacha_suites);
	return true;
}

static bool configure(struct link_tls *t, bool server)
{
	static const char personal[] = "ferry link";
	const struct link_creds *c = &t->creds;

	if (mbedtls_ctr_drbg_seed(&t->drbg, mbedtls_entropy_func, &t->entropy,
				  (const unsigned char *)personal, sizeof(personal))) {
		format_snprintf(t->error, sizeof(t->error),
				"no entropy for the TLS random generator");
		return false;
	}
	if (mbedtls_ssl_config_defaults(&t->conf,
					server ? MBEDTLS_SSL_IS_SERVER : MBEDTLS_SSL_IS_CLIENT,
					MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT))
		return false;
	mbedtls_ssl_conf_rng(&t->conf, mbedtls_ctr_drbg_random, &t->drbg);
	mbedtls_ssl_conf_min_version(&t->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
				     MBEDTLS_SSL_MINOR_VERSION_3);
	mbedtls_ssl_conf_max_version(&t->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
				     MBEDTLS_SSL_MINOR_VERSION_3);
	if (c->auth == LINK_AUTH_PSK) {
		if (c->psk_len < 16 || !c->identity[0] || !c->peer[0]) {
			format_snprintf(
				t->error, sizeof(t->error),
				"PSK mode needs a key of at least 16 bytes and both identities");
			return false;
		}
		mbedtls_ssl_conf_ciphersuites(&t->conf, psk_suites);
		if (server)
			mbedtls_ssl_conf_psk_cb(&t->conf, psk_lookup, t);
		else if (mbedtls_ssl_conf_psk(&t->conf, c->psk, c->psk_len,
					      (const unsigned char *)c->identity,
					      strlen(c->identity)))
			return false;
	} else if (!load_certificates(t)) {
		return false;
	}
	if (mbedtls_ssl_setup(&t->ssl, &t->conf))
		return false;
	mbedtls_ssl_set_bio(&t->ssl, t, bio_send, bio_recv, NULL);
	return true;
}

static void free_tls(struct link_tls *t)
{
	mbedtls_ssl_free(&t->ssl);
	mbedtls_ssl_config_free(&t->conf);
	mbedtls_ctr_drbg_free(&t->drbg);
	mbedtls_entropy_free(&t->entropy);
	mbedtls_x509_crt_free(&t->ca);
	mbedtls_x509_crt_free(&t->cert);
	mbedtls_pk_free(&t->key);
	free(t);
}

struct link_tls *link_tls_open(const struct link_creds *creds, bool server, struct link_io io,
			       unsigned timeout_ms, char *err, size_t err_size)
{
	struct link_tls *t = calloc(1, sizeof(*t));
	uint64_t deadline;
	int ret;

	if (!t) {
		format_snprintf(err, err_size, "out of memory for the TLS link");
		return NULL;
	}
	t->io = io;
	t->creds = *creds;
	mbedtls_entropy_init(&t->entropy);
	mbedtls_ctr_drbg_init(&t->drbg);
	mbedtls_ssl_config_init(&t->conf);
	mbedtls_ssl_init(&t->ssl);
	mbedtls_x509_crt_init(&t->ca);
	mbedtls_x509_crt_init(&t->cert);
	mbedtls_pk_init(&t->key);
	if (!configure(t, server)) {
		format_snprintf(err, err_size, "TLS set-up: %s",
				t->error[0] ? t->error : "mbedtls refused the configuration");
		free_tls(t);
		return NULL;
	}
	deadline = io.ops->now_ms(io.ctx) + timeout_ms;
	while ((ret = mbedtls_ssl_handshake(&t->ssl)) != 0) {
		if (ret != MBEDTLS_ERR_SSL_WANT_READ && ret != MBEDTLS_ERR_SSL_WANT_WRITE) {
			explain(t, ret, "handshake");
			break;
		}
		if (io.ops->now_ms(io.ctx) >= deadline) {
			format_snprintf(t->error, sizeof(t->error),
					"handshake: no answer from the peer within %u ms",
					timeout_ms);
			break;
		}
		io.ops->pump(io.ctx, PUMP_SLICE_MS, ret == MBEDTLS_ERR_SSL_WANT_WRITE);
	}
	if (ret == 0)
		return t;
	format_snprintf(err, err_size, "%s", t->error);
	mbedtls_ssl_send_alert_message(&t->ssl, MBEDTLS_SSL_ALERT_LEVEL_FATAL,
				       MBEDTLS_SSL_ALERT_MSG_ACCESS_DENIED);
	free_tls(t);
	return NULL;
}

int link_tls_send(struct link_tls *t, const void *buf, size_t len, unsigned timeout_ms)
{
	const uint8_t *p = buf;
	uint64_t deadline = t->io.ops->now_ms(t->io.ctx) + timeout_ms;

	while (len) {
		int n = mbedtls_ssl_write(&t->ssl, p, len);

		if (n > 0) {
			uint64_t now = t->io.ops->now_ms(t->io.ctx);

			p += n;
			len -= (size_t)n;
			deadline = now + timeout_ms;
			/*
			 * A stream that never blocks still pumps every millisecond: the
			 * pumping CPU has other work between (the guests' network frames,
			 * the management channel, lwIP's timers).
			 */
			if (now > t->pumped_ms) {
				t->pumped_ms = now;
				t->io.ops->pump(t->io.ctx, 0, false);
			}
			continue;
		}
		if (n != MBEDTLS_ERR_SSL_WANT_WRITE && n != MBEDTLS_ERR_SSL_WANT_READ) {
			explain(t, n, "send");
			return -1;
		}
		if (t->io.ops->now_ms(t->io.ctx) >= deadline) {
			format_snprintf(t->error, sizeof(t->error),
					"send: the peer took nothing for %u ms", timeout_ms);
			return -1;
		}
		t->io.ops->pump(t->io.ctx, PUMP_SLICE_MS, n == MBEDTLS_ERR_SSL_WANT_WRITE);
	}
	return 0;
}

int link_tls_recv(struct link_tls *t, void *buf, size_t len, unsigned timeout_ms)
{
	uint8_t *p = buf;
	uint64_t deadline = t->io.ops->now_ms(t->io.ctx) + timeout_ms;

	while (len) {
		int n = mbedtls_ssl_read(&t->ssl, p, len);

		if (n > 0) {
			uint64_t now = t->io.ops->now_ms(t->io.ctx);

			p += n;
			len -= (size_t)n;
			if (now > t->pumped_ms) { /* as link_tls_send */
				t->pumped_ms = now;
				t->io.ops->pump(t->io.ctx, 0, false);
			}
			continue;
		}
		if (n == 0 || (n != MBEDTLS_ERR_SSL_WANT_READ && n != MBEDTLS_ERR_SSL_WANT_WRITE)) {
			explain(t, n ? n : MBEDTLS_ERR_SSL_CONN_EOF, "receive");
			return -1;
		}
		if (t->io.ops->now_ms(t->io.ctx) >= deadline) {
			format_snprintf(t->error, sizeof(t->error),
					"receive: nothing from the peer for %u ms", timeout_ms);
			return -2;
		}
		t->io.ops->pump(t->io.ctx, PUMP_SLICE_MS, n == MBEDTLS_ERR_SSL_WANT_WRITE);
	}
	return 0;
}

int link_tls_wait(struct link_tls *t, unsigned timeout_ms)
{
	uint64_t deadline = t->io.ops->now_ms(t->io.ctx) + timeout_ms;

	/* What is decrypted already needs no read (a record's next one, behind a PING). */
	if (mbedtls_ssl_get_bytes_avail(&t->ssl))
		return 1;
	for (;;) {
		/* A zero-length read decrypts what arrived without consuming it. */
		uint8_t none;
		int n = mbedtls_ssl_read(&t->ssl, &none, 0);

		if (mbedtls_ssl_get_bytes_avail(&t->ssl))
			return 1;
		if (n < 0 && n != MBEDTLS_ERR_SSL_WANT_READ && n != MBEDTLS_ERR_SSL_WANT_WRITE) {
			explain(t, n, "receive");
			return -1;
		}
		if (t->io.ops->now_ms(t->io.ctx) >= deadline)
			return 0;
		t->io.ops->pump(t->io.ctx, timeout_ms < PUMP_SLICE_MS ? timeout_ms : PUMP_SLICE_MS,
				n == MBEDTLS_ERR_SSL_WANT_WRITE);
	}
}

const char *link_tls_error(const struct link_tls *t) { return t->error; }

const char *link_tls_suite(const struct link_tls *t)
{
	return mbedtls_ssl_get_ciphersuite(&t->ssl);
}

void link_tls_close(struct link_tls *t)
{
	if (!t)
		return;
	mbedtls_ssl_close_notify(&t->ssl);
	free_tls(t);
}
