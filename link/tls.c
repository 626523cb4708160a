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
#include "mbedtls/platform_util.h"
#include "mbedtls/ssl.h"
#include "mbedtls/ssl_ciphersuites.h"
#include "mbedtls/x509_crt.h"
#include "psa/crypto.h"

#if defined(MBEDTLS_AES_USE_HARDWARE_ONLY)
/* Whether the CPU has the AES instructions mbedtls is built for (link/cpu_board.c). */
bool link_cpu_has_aes(void);
#endif

/*
 * AES-GCM under one key stays safe for about 2^24.5 full-size records (RFC
 * 8446 section 5.5) and mbedtls 3.6 has no KeyUpdate: a link under it stops
 * after sending 2^24 records of any size and has to be connected again.
 * ChaCha20-Poly1305 has no such limit in practice.
 */
#define GCM_RECORD_LIMIT (1ull << 24)

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
	mbedtls_pk_context key;	     /**< the board's key as PSA holds it (opaque) */
	mbedtls_svc_key_id_t key_id; /**< its PSA key */
	bool server;
	bool peer_gone;
	bool wrong_peer;     /**< the certificate names another board */
	bool wrong_identity; /**< the PSK identity names another board */
	bool heard;	     /**< a record came in after the handshake */
	bool gcm;	     /**< AES-128-GCM was agreed */
	uint64_t records;    /**< sent on this connection */
	uint64_t pumped_ms;  /**< when the transport was last pumped */
	char error[160];
};

/*
 * TLS 1.3 suites (RFC 8446 section 9.1), by link_creds.cipher. The client's
 * order decides (mbedtls' server takes the client's first suite it allows),
 * so both ends list the same: the default offers both, the faster on the
 * board first (docs/link.md, bench/link.sh); a board given one cipher
 * accepts only that one.
 */
static const int default_suites[] = { MBEDTLS_TLS1_3_CHACHA20_POLY1305_SHA256,
				      MBEDTLS_TLS1_3_AES_128_GCM_SHA256, 0 };
static const int chacha_suites[] = { MBEDTLS_TLS1_3_CHACHA20_POLY1305_SHA256, 0 };
static const int aes_suites[] = { MBEDTLS_TLS1_3_AES_128_GCM_SHA256, 0 };

/* Key exchange on P-256 only, certificates signed by ECDSA on it (RFC 8446 4.2.3, 4.2.7). */
static const uint16_t groups[] = { MBEDTLS_SSL_IANA_TLS_GROUP_SECP256R1,
				   MBEDTLS_SSL_IANA_TLS_GROUP_NONE };
static const uint16_t sig_algs[] = { MBEDTLS_TLS1_3_SIG_ECDSA_SECP256R1_SHA256,
				     MBEDTLS_TLS1_3_SIG_NONE };

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

/** Whether the handshake stopped checking the peer's CertificateVerify or Finished. */
static bool verifying(const struct link_tls *t)
{
	int st = t->ssl.MBEDTLS_PRIVATE(state);

	return st == MBEDTLS_SSL_CERTIFICATE_VERIFY ||
	       st == MBEDTLS_SSL_CLIENT_CERTIFICATE_VERIFY || st == MBEDTLS_SSL_SERVER_FINISHED ||
	       st == MBEDTLS_SSL_CLIENT_FINISHED;
}

/** A reason a person can act on, for an mbedtls error. */
static void explain(struct link_tls *t, int ret, const char *during)
{
	bool handshake = !strcmp(during, "handshake");
	const char *why;
	char detail[96] = "";

	switch (ret) {
	case MBEDTLS_ERR_SSL_HANDSHAKE_FAILURE:
		/*
		 * A CertificateVerify or a Finished that does not verify (RFC 8446
		 * 4.4.3, 4.4.4); before them, at the hellos: a PSK binder that does
		 * not verify (4.2.11.2) or no suite in common.
		 */
		if (verifying(t))
			why = "authentication failed: a signature or Finished did not verify (a "
			      "forged or altered handshake, or a peer without its key)";
		else if (t->creds.auth == LINK_AUTH_PSK)
			why = "authentication failed: the peer does not hold the same pre-shared "
			      "key (or the boards' cipher= settings have no cipher in common)";
		else
			why = "no cipher suite in common: the boards' cipher= settings differ";
		break;
	case MBEDTLS_ERR_SSL_INVALID_MAC:
		/*
		 * In the handshake, a peer that refuses our certificate alerts before
		 * it has keys: its alert arrives unprotected and fails the check.
		 */
		if (handshake)
			why = "the peer broke off the handshake (it refused our credentials, "
			      "or what reached it), or a record was corrupted on the wire";
		else if (!t->server && !t->heard && t->creds.auth == LINK_AUTH_CERT)
			/* TLS 1.3's client ends its handshake before the server checks it (4.4.4).
			 */
			why = "the peer refused our certificate after the handshake (its alert "
			      "used keys we had left), or a record was corrupted on the wire";
		else
			why = "a record failed its authentication check: forged or corrupted "
			      "on the wire";
		break;
	case MBEDTLS_ERR_SSL_BAD_PROTOCOL_VERSION:
		why = "the peer does not speak TLS 1.3 (an older Ferry, which spoke TLS 1.2, "
		      "or another program)";
		break;
	case MBEDTLS_ERR_SSL_UNKNOWN_IDENTITY:
	case MBEDTLS_ERR_SSL_ILLEGAL_PARAMETER:
		/* mbedtls 3.6 reports an unknown PSK identity as an illegal hello. */
		if (t->wrong_identity)
			format_snprintf(detail, sizeof(detail), "(it is not \"%s\")",
					t->creds.peer);
		why = t->wrong_identity
			      ? "the peer's pre-shared key identity is not the expected one"
		      : t->server
			      ? "the peer's hello does not fit ours: another authentication mode "
				"(auth=), or a program that does not speak TLS 1.3 as Ferry does"
			      : "the peer does not speak TLS 1.3 as Ferry does (an older Ferry, "
				"which spoke TLS 1.2, or another program)";
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
		why = handshake ? "the peer refused the handshake (it sent a fatal alert): wrong "
				  "key, untrusted certificate or unexpected identity on its side"
				: "the peer ended the link with a fatal alert: a record of ours "
				  "failed its check there (forged or corrupted on the wire)";
		break;
	case MBEDTLS_ERR_SSL_INVALID_RECORD:
	case MBEDTLS_ERR_SSL_DECODE_ERROR:
	case MBEDTLS_ERR_SSL_UNEXPECTED_MESSAGE:
		why = "the peer does not speak TLS (plaintext, or another protocol)";
		break;
	case MBEDTLS_ERR_SSL_CONN_EOF:
	case MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY:
		why = handshake ? "the peer closed the connection: it refused our credentials, "
				  "or it is gone"
				: "the peer closed the connection";
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

	if (len != strlen(t->creds.peer) || memcmp(id, t->creds.peer, len)) {
		t->wrong_identity = true;
		return -1;
	}
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

/*
 * The board's private key, parsed, checked against its certificate, then
 * moved into PSA: from there on TLS signs through PSA, where a hardware key
 * store can take its place, and the parsed copy is gone.
 */
static bool own_key(struct link_tls *t)
{
	psa_key_attributes_t attr = PSA_KEY_ATTRIBUTES_INIT;
	mbedtls_pk_context parsed;
	const char *why = NULL;

	mbedtls_pk_init(&parsed);
	if (mbedtls_pk_parse_key(&parsed, (const unsigned char *)t->creds.key_pem,
				 strlen(t->creds.key_pem) + 1, NULL, 0, mbedtls_ctr_drbg_random,
				 &t->drbg))
		why = "the board key does not parse";
	else if (mbedtls_pk_check_pair(&t->cert.pk, &parsed, mbedtls_ctr_drbg_random, &t->drbg))
		why = "the board key does not match its certificate";
	else if (mbedtls_pk_get_psa_attributes(&parsed, PSA_KEY_USAGE_SIGN_HASH, &attr))
		why = "PSA crypto refused the board key";
	if (!why) {
		/* Only to sign: never exported or copied out of PSA again. */
		psa_set_key_usage_flags(&attr, PSA_KEY_USAGE_SIGN_HASH);
		if (mbedtls_pk_import_into_psa(&parsed, &attr, &t->key_id) ||
		    mbedtls_pk_setup_opaque(&t->key, t->key_id))
			why = "PSA crypto refused the board key";
	}
	if (why)
		format_snprintf(t->error, sizeof(t->error), "%s", why);
	psa_reset_key_attributes(&attr);
	mbedtls_pk_free(&parsed);
	return !why;
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
	if (!own_key(t))
		return false;
	mbedtls_ssl_conf_ca_chain(&t->conf, &t->ca, NULL);
	if (mbedtls_ssl_conf_own_cert(&t->conf, &t->cert, &t->key)) {
		format_snprintf(t->error, sizeof(t->error),
				"mbedtls refused the board's certificate");
		return false;
	}
	mbedtls_ssl_conf_authmode(&t->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
	mbedtls_ssl_conf_verify(&t->conf, check_peer_name, t);
	mbedtls_ssl_conf_tls13_key_exchange_modes(&t->conf,
						  MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_EPHEMERAL);
	return true;
}

static bool configure(struct link_tls *t, bool server)
{
	static const char personal[] = "ferry link";
	const struct link_creds *c = &t->creds;

	/* PSA seeds its own generator from the same entropy source, once (idempotent). */
	if (psa_crypto_init() != PSA_SUCCESS) {
		format_snprintf(t->error, sizeof(t->error),
				"PSA crypto did not start (no entropy for its generator?)");
		return false;
	}
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
	mbedtls_ssl_conf_min_tls_version(&t->conf, MBEDTLS_SSL_VERSION_TLS1_3);
	mbedtls_ssl_conf_max_tls_version(&t->conf, MBEDTLS_SSL_VERSION_TLS1_3);
	mbedtls_ssl_conf_ciphersuites(&t->conf, c->cipher == LINK_CIPHER_AES_GCM ? aes_suites
						: c->cipher == LINK_CIPHER_CHACHA20
							? chacha_suites
							: default_suites);
	mbedtls_ssl_conf_groups(&t->conf, groups);
	mbedtls_ssl_conf_sig_algs(&t->conf, sig_algs);
	if (c->auth == LINK_AUTH_PSK) {
		if (c->psk_len < 16 || !c->identity[0] || !c->peer[0]) {
			format_snprintf(
				t->error, sizeof(t->error),
				"PSK mode needs a key of at least 16 bytes and both identities");
			return false;
		}
		/*
		 * The PSK stays in mbedtls' hands, not PSA's: 3.6's TLS 1.3 client
		 * reads only a raw PSK (ssl_tls13_psk_get_psk) and its server exports
		 * an opaque one anyway (mbedtls_ssl_tls13_export_handshake_psk).
		 * Always with a fresh ECDHE share: forward secrecy (RFC 8446 section 2.2). */
		mbedtls_ssl_conf_tls13_key_exchange_modes(
			&t->conf, MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_PSK_EPHEMERAL);
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
	/*
	 * mbedtls checks the server certificate's name against this (RFC 6125);
	 * check_peer_name checks it on both ends, with a clearer reason.
	 */
	if (!server && c->auth == LINK_AUTH_CERT && mbedtls_ssl_set_hostname(&t->ssl, c->peer))
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
	psa_destroy_key(t->key_id); /* a null id is a no-op */
	mbedtls_platform_zeroize(t->creds.psk, sizeof(t->creds.psk));
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
#if defined(MBEDTLS_AES_USE_HARDWARE_ONLY)
	/* Without them mbedtls' first AES round would be an undefined instruction. */
	if (!link_cpu_has_aes()) {
		format_snprintf(err, err_size,
				"this CPU lacks the AES and PMULL instructions (FEAT_AES, "
				"FEAT_PMULL) the link's TLS is built for");
		free(t);
		return NULL;
	}
#endif
	t->io = io;
	t->creds = *creds;
	t->server = server;
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
	if (ret == 0) {
		t->gcm = mbedtls_ssl_get_ciphersuite_id_from_ssl(&t->ssl) ==
			 MBEDTLS_TLS1_3_AES_128_GCM_SHA256;
		return t;
	}
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
		int n;

		if (t->gcm && t->records >= GCM_RECORD_LIMIT) {
			format_snprintf(t->error, sizeof(t->error),
					"send: AES-128-GCM's limit of records under one key is "
					"reached (RFC 8446 5.5): connect again, or use chacha20");
			return -1;
		}
		n = mbedtls_ssl_write(&t->ssl, p, len); /* one record at most */
		if (n > 0) {
			uint64_t now = t->io.ops->now_ms(t->io.ctx);

			t->records++;
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

			t->heard = true;
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
	if (mbedtls_ssl_get_bytes_avail(&t->ssl)) {
		t->heard = true;
		return 1;
	}
	for (;;) {
		/* A zero-length read decrypts what arrived without consuming it. */
		uint8_t none;
		int n = mbedtls_ssl_read(&t->ssl, &none, 0);

		if (mbedtls_ssl_get_bytes_avail(&t->ssl)) {
			t->heard = true;
			return 1;
		}
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
	/* After a failure mbedtls has sent its fatal alert: no close_notify to soften it. */
	if (!t->error[0])
		mbedtls_ssl_close_notify(&t->ssl);
	free_tls(t);
}
