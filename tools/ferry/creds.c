/* SPDX-License-Identifier: Apache-2.0 */
/** Making link credentials with mbedtls, see creds.h. */
#include "tools/ferry/creds.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mbedtls/ctr_drbg.h"
#include "mbedtls/entropy.h"
#include "mbedtls/pk.h"
#include "mbedtls/x509_crt.h"
#include "psa/crypto.h"

#include "link/tls.h"

struct rng {
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
};

/** Where files are made: an open private folder, and its path for messages. */
struct folder {
	int fd;
	char path[1024];
	const char *top; /**< the DIR given to creds_make, named in "start over" */
};

/**
 * Makes a new file with text, never through a symbolic link and never over
 * an existing file (O_EXCL): created with its final mode, so a secret is
 * not readable by others even for a moment.
 */
static bool write_new(const struct folder *d, const char *name, const char *text, mode_t mode,
		      char *err, size_t n)
{
	size_t len = strlen(text), done = 0;
	int fd = openat(d->fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);

	if (fd < 0) {
		if (errno == EEXIST)
			snprintf(err, n,
				 "%s/%s already exists: ferry creds never overwrites credentials; "
				 "to start over, remove %s (rm -r %s) or give a new folder",
				 d->path, name, d->top, d->top);
		else
			snprintf(err, n, "cannot create %s/%s: %s", d->path, name, strerror(errno));
		return false;
	}
	while (done < len) {
		ssize_t w = write(fd, text + done, len - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		done += (size_t)w;
	}
	if (done < len || close(fd)) {
		snprintf(err, n, "cannot write %s/%s: %s", d->path, name, strerror(errno));
		if (done < len)
			close(fd);
		unlinkat(d->fd, name, 0); /* no half-written secret left behind */
		return false;
	}
	return true;
}

/**
 * Opens folder `name` under `at` (AT_FDCWD: a path), made 0700 when
 * missing. An existing one must be this user's and closed to others, and
 * not a symbolic link: files made in a folder someone else can open, or
 * swap, would not stay secret.
 */
static bool open_private(struct folder *d, int at, const char *name, char *err, size_t n)
{
	struct stat st;

	if (mkdirat(at, name, 0700) && errno != EEXIST) {
		snprintf(err, n, "cannot create the folder %s: %s", d->path, strerror(errno));
		return false;
	}
	d->fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (d->fd < 0) {
		if (!fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) && S_ISLNK(st.st_mode))
			snprintf(err, n, "%s is a symbolic link: give a real folder", d->path);
		else
			snprintf(err, n, "cannot open the folder %s: %s", d->path, strerror(errno));
		return false;
	}
	if (fstat(d->fd, &st)) {
		snprintf(err, n, "%s: %s", d->path, strerror(errno));
	} else if (st.st_uid != geteuid()) {
		snprintf(err, n,
			 "%s belongs to another user (uid %u): credentials need a folder of your "
			 "own, such as one made by mktemp -d",
			 d->path, (unsigned)st.st_uid);
	} else if (st.st_mode & 077) {
		snprintf(err, n,
			 "%s is open to other users (mode %04o): credentials need a private "
			 "folder (chmod 700 it, or give a new one: ferry creds makes it 0700)",
			 d->path, (unsigned)(st.st_mode & 07777));
	} else {
		return true;
	}
	close(d->fd);
	d->fd = -1;
	return false;
}

/** A board's name becomes a folder and a TLS identity: letters, digits, '-', '_'. */
static bool plain_name(const char *name, char *err, size_t n)
{
	size_t len = strlen(name);

	for (size_t i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			len = 0;
	}
	if (len == 0 || len >= LINK_NAME_MAX) {
		snprintf(err, n, "a board's name is 1 to %d letters, digits, '-' or '_', not '%s'",
			 LINK_NAME_MAX - 1, name);
		return false;
	}
	return true;
}

/* A P-256 key made by PSA (p256-m), copied out into key for writing and signing. */
static bool new_key(mbedtls_pk_context *key)
{
	psa_key_attributes_t attr = PSA_KEY_ATTRIBUTES_INIT;
	mbedtls_svc_key_id_t id = MBEDTLS_SVC_KEY_ID_INIT;
	bool ok;

	psa_set_key_type(&attr, PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1));
	psa_set_key_bits(&attr, 256);
	psa_set_key_usage_flags(&attr, PSA_KEY_USAGE_EXPORT | PSA_KEY_USAGE_SIGN_HASH);
	psa_set_key_algorithm(&attr, PSA_ALG_ECDSA(PSA_ALG_SHA_256));
	ok = psa_generate_key(&attr, &id) == PSA_SUCCESS && !mbedtls_pk_copy_from_psa(id, key);
	psa_destroy_key(id);
	psa_reset_key_attributes(&attr);
	return ok;
}

/** A certificate for subject's key, signed by issuer (itself for the CA), PEM into out. */
static bool issue(mbedtls_pk_context *subject_key, const char *subject, mbedtls_pk_context *ca_key,
		  const char *issuer, bool is_ca, int serial, struct rng *r, char *out, size_t size)
{
	mbedtls_x509write_cert crt;
	unsigned char sn = (unsigned char)serial;
	char name[96], issuer_name[96];
	bool ok;

	snprintf(name, sizeof(name), "CN=%s,O=Ferry", subject);
	snprintf(issuer_name, sizeof(issuer_name), "CN=%s,O=Ferry", issuer);
	mbedtls_x509write_crt_init(&crt);
	/* The boards have no wall clock: validity is not checked there (docs/link.md). */
	ok = !mbedtls_x509write_crt_set_serial_raw(&crt, &sn, 1) &&
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

/*
 * The board's management token (docs/management.md, "Who may command a
 * board"): 32 random bytes as hex, for ferry run --mgmt-token and the
 * clients that command it.
 */
static bool mgmt_token_file(const struct folder *d, struct rng *r, char *err, size_t n)
{
	uint8_t bytes[32];
	char hex[2 * sizeof(bytes) + 2];

	if (mbedtls_ctr_drbg_random(&r->drbg, bytes, sizeof(bytes))) {
		snprintf(err, n, "no random bytes for the management token");
		return false;
	}
	for (size_t i = 0; i < sizeof(bytes); i++)
		snprintf(hex + 2 * i, 3, "%02x", bytes[i]);
	strcat(hex, "\n");
	return write_new(d, "mgmt.token", hex, 0600, err, n);
}

static bool board_files(const struct folder *top, const char *self, const char *peer, bool first,
			bool cert, const char *psk_hex, mbedtls_pk_context *ca_key,
			const char *ca_pem, struct rng *r, char *err, size_t n)
{
	struct folder d = { .top = top->top };
	char text[4096];
	mbedtls_pk_context key;
	bool ok = true;

	snprintf(d.path, sizeof(d.path), "%s/%s", top->path, self);
	if (!open_private(&d, top->fd, self, err, n))
		return false;
	link_conf(text, sizeof(text), self, peer, cert, psk_hex, first);
	if (!write_new(&d, "link.conf", text, 0600, err, n) || !mgmt_token_file(&d, r, err, n)) {
		close(d.fd);
		return false;
	}
	if (!cert) {
		close(d.fd);
		return true;
	}
	mbedtls_pk_init(&key);
	if (!new_key(&key) || mbedtls_pk_write_key_pem(&key, (unsigned char *)text, sizeof(text)) ||
	    !write_new(&d, "board.key", text, 0600, err, n) ||
	    !issue(&key, self, ca_key, "ferry-link-ca", false, first ? 2 : 3, r, text,
		   sizeof(text)) ||
	    !write_new(&d, "board.crt", text, 0644, err, n) ||
	    !write_new(&d, "ca.crt", ca_pem, 0644, err, n)) {
		if (!*err)
			snprintf(err, n, "mbedtls could not make the key or certificate of %s",
				 self);
		ok = false;
	}
	mbedtls_pk_free(&key);
	close(d.fd);
	return ok;
}

bool creds_make(const char *dir, bool cert, const char *a, const char *b, char *err, size_t n)
{
	static const char personal[] = "ferry creds";
	struct folder top = { .fd = -1, .top = dir };
	struct rng r;
	mbedtls_pk_context ca_key;
	char ca_pem[4096] = "", key_pem[4096] = "", psk_hex[65] = "";
	bool ok = false;

	*err = 0;
	if (!plain_name(a, err, n) || !plain_name(b, err, n))
		return false;
	if (!strcmp(a, b)) {
		snprintf(err, n, "the two boards need different names");
		return false;
	}
	mbedtls_entropy_init(&r.entropy);
	mbedtls_ctr_drbg_init(&r.drbg);
	mbedtls_pk_init(&ca_key);
	/* X.509 signs through PSA crypto (MBEDTLS_USE_PSA_CRYPTO). */
	if (psa_crypto_init() != PSA_SUCCESS ||
	    mbedtls_ctr_drbg_seed(&r.drbg, mbedtls_entropy_func, &r.entropy,
				  (const unsigned char *)personal, sizeof(personal))) {
		snprintf(err, n, "no entropy from the system");
		goto out;
	}
	snprintf(top.path, sizeof(top.path), "%s", dir);
	if (!open_private(&top, AT_FDCWD, dir, err, n))
		goto out;
	if (cert) {
		if (!new_key(&ca_key) ||
		    mbedtls_pk_write_key_pem(&ca_key, (unsigned char *)key_pem, sizeof(key_pem)) ||
		    !issue(&ca_key, "ferry-link-ca", &ca_key, "ferry-link-ca", true, 1, &r, ca_pem,
			   sizeof(ca_pem))) {
			snprintf(err, n, "mbedtls could not make the CA");
			goto out;
		}
		if (!write_new(&top, "ca.key", key_pem, 0600, err, n) ||
		    !write_new(&top, "ca.crt", ca_pem, 0644, err, n))
			goto out;
	} else {
		uint8_t psk[32];

		if (mbedtls_ctr_drbg_random(&r.drbg, psk, sizeof(psk))) {
			snprintf(err, n, "no random bytes for the key");
			goto out;
		}
		for (size_t i = 0; i < sizeof(psk); i++)
			snprintf(psk_hex + 2 * i, 3, "%02x", psk[i]);
	}
	ok = board_files(&top, a, b, true, cert, psk_hex, &ca_key, ca_pem, &r, err, n) &&
	     board_files(&top, b, a, false, cert, psk_hex, &ca_key, ca_pem, &r, err, n);
out:
	if (top.fd >= 0)
		close(top.fd);
	mbedtls_pk_free(&ca_key);
	mbedtls_ctr_drbg_free(&r.drbg);
	mbedtls_entropy_free(&r.entropy);
	return ok;
}
