/* SPDX-License-Identifier: Apache-2.0 */
/** Making link credentials with mbedtls, see creds.h. */
#include "tools/ferry/creds.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "mbedtls/ctr_drbg.h"
#include "mbedtls/ecp.h"
#include "mbedtls/entropy.h"
#include "mbedtls/pk.h"
#include "mbedtls/x509_crt.h"

struct rng {
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
};

static bool write_file(const char *dir, const char *name, const char *text, mode_t mode, char *err,
		       size_t n)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) || chmod(path, mode)) {
		snprintf(err, n, "cannot write %s: %s", path, strerror(errno));
		return false;
	}
	return true;
}

static bool make_dir(const char *path, char *err, size_t n)
{
	if (mkdir(path, 0700) && errno != EEXIST) {
		snprintf(err, n, "cannot create %s: %s", path, strerror(errno));
		return false;
	}
	return true;
}

static bool new_key(mbedtls_pk_context *key, struct rng *r)
{
	return !mbedtls_pk_setup(key, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) &&
	       !mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(*key),
				    mbedtls_ctr_drbg_random, &r->drbg);
}

/** A certificate for subject's key, signed by issuer (itself for the CA), PEM into out. */
static bool issue(mbedtls_pk_context *subject_key, const char *subject, mbedtls_pk_context *ca_key,
		  const char *issuer, bool is_ca, int serial, struct rng *r, char *out, size_t size)
{
	mbedtls_x509write_cert crt;
	mbedtls_mpi sn;
	char name[96], issuer_name[96];
	bool ok;

	snprintf(name, sizeof(name), "CN=%s,O=Ferry", subject);
	snprintf(issuer_name, sizeof(issuer_name), "CN=%s,O=Ferry", issuer);
	mbedtls_x509write_crt_init(&crt);
	mbedtls_mpi_init(&sn);
	/* The boards have no wall clock: validity is not checked there (docs/link.md). */
	ok = !mbedtls_mpi_lset(&sn, serial) && !mbedtls_x509write_crt_set_serial(&crt, &sn) &&
	     !mbedtls_x509write_crt_set_subject_name(&crt, name) &&
	     !mbedtls_x509write_crt_set_issuer_name(&crt, issuer_name) &&
	     !mbedtls_x509write_crt_set_validity(&crt, "20260101000000", "20460101000000") &&
	     !mbedtls_x509write_crt_set_basic_constraints(&crt, is_ca, is_ca ? 0 : -1);
	if (ok) {
		mbedtls_x509write_crt_set_md_alg(&crt, MBEDTLS_MD_SHA256);
		mbedtls_x509write_crt_set_subject_key(&crt, subject_key);
		mbedtls_x509write_crt_set_issuer_key(&crt, ca_key);
		ok = !mbedtls_x509write_crt_pem(&crt, (unsigned char *)out, size,
						mbedtls_ctr_drbg_random, &r->drbg);
	}
	mbedtls_x509write_crt_free(&crt);
	mbedtls_mpi_free(&sn);
	return ok;
}

static void link_conf(char *out, size_t size, const char *self, const char *peer, bool cert,
		      const char *psk_hex, bool first)
{
	int n = snprintf(out, size,
			 "# Ferry link of board %s (docs/link.md). Keep it secret.\n"
			 "auth=%s\nidentity=%s\npeer=%s\n",
			 self, cert ? "cert" : "psk", self, peer);

	if (!cert)
		n += snprintf(out + n, size - (size_t)n, "psk=%s\n", psk_hex);
	snprintf(out + n, size - (size_t)n, "ip=10.0.0.%d/24\npeer_ip=10.0.0.%d\nrole=%s\n",
		 first ? 1 : 2, first ? 2 : 1, first ? "listen" : "connect");
}

static bool board_files(const char *dir, const char *self, const char *peer, bool first, bool cert,
			const char *psk_hex, mbedtls_pk_context *ca_key, const char *ca_pem,
			struct rng *r, char *err, size_t n)
{
	char path[1024], text[4096];
	mbedtls_pk_context key;
	bool ok = true;

	snprintf(path, sizeof(path), "%s/%s", dir, self);
	if (!make_dir(path, err, n))
		return false;
	link_conf(text, sizeof(text), self, peer, cert, psk_hex, first);
	if (!write_file(path, "link.conf", text, 0600, err, n))
		return false;
	if (!cert)
		return true;
	mbedtls_pk_init(&key);
	if (!new_key(&key, r) ||
	    mbedtls_pk_write_key_pem(&key, (unsigned char *)text, sizeof(text)) ||
	    !write_file(path, "board.key", text, 0600, err, n) ||
	    !issue(&key, self, ca_key, "ferry-link-ca", false, first ? 2 : 3, r, text,
		   sizeof(text)) ||
	    !write_file(path, "board.crt", text, 0644, err, n) ||
	    !write_file(path, "ca.crt", ca_pem, 0644, err, n)) {
		if (!*err)
			snprintf(err, n, "mbedtls could not make the key or certificate of %s",
				 self);
		ok = false;
	}
	mbedtls_pk_free(&key);
	return ok;
}

bool creds_make(const char *dir, bool cert, const char *a, const char *b, char *err, size_t n)
{
	static const char personal[] = "ferry creds";
	struct rng r;
	mbedtls_pk_context ca_key;
	char ca_pem[4096] = "", key_pem[4096], psk_hex[65] = "";
	bool ok = false;

	*err = 0;
	if (!strcmp(a, b)) {
		snprintf(err, n, "the two boards need different names");
		return false;
	}
	mbedtls_entropy_init(&r.entropy);
	mbedtls_ctr_drbg_init(&r.drbg);
	mbedtls_pk_init(&ca_key);
	if (mbedtls_ctr_drbg_seed(&r.drbg, mbedtls_entropy_func, &r.entropy,
				  (const unsigned char *)personal, sizeof(personal))) {
		snprintf(err, n, "no entropy from the system");
		goto out;
	}
	if (!make_dir(dir, err, n))
		goto out;
	if (cert) {
		if (!new_key(&ca_key, &r) ||
		    mbedtls_pk_write_key_pem(&ca_key, (unsigned char *)key_pem, sizeof(key_pem)) ||
		    !issue(&ca_key, "ferry-link-ca", &ca_key, "ferry-link-ca", true, 1, &r, ca_pem,
			   sizeof(ca_pem))) {
			snprintf(err, n, "mbedtls could not make the CA");
			goto out;
		}
		if (!write_file(dir, "ca.key", key_pem, 0600, err, n) ||
		    !write_file(dir, "ca.crt", ca_pem, 0644, err, n))
			goto out;
	} else {
		uint8_t psk[32];

		if (mbedtls_ctr_drbg_random(&r.drbg, psk, sizeof(psk)))
			goto out;
		for (size_t i = 0; i < sizeof(psk); i++)
			snprintf(psk_hex + 2 * i, 3, "%02x", psk[i]);
	}
	ok = board_files(dir, a, b, true, cert, psk_hex, &ca_key, ca_pem, &r, err, n) &&
	     board_files(dir, b, a, false, cert, psk_hex, &ca_key, ca_pem, &r, err, n);
out:
	mbedtls_pk_free(&ca_key);
	mbedtls_ctr_drbg_free(&r.drbg);
	mbedtls_entropy_free(&r.entropy);
	return ok;
}
