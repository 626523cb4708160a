/* SPDX-License-Identifier: Apache-2.0 */
/**
 * mbedtls 3.6 configuration of Ferry (MBEDTLS_CONFIG_FILE), the same for
 * the board and the host: TLS 1.3 only (RFC 8446), mutual authentication by
 * an external PSK with ephemeral ECDHE (psk_dhe_ke, section 4.2.9) or by
 * ECDSA certificates on P-256 with ephemeral ECDHE; ChaCha20-Poly1305 and
 * AES-128-GCM. The cryptography is PSA's (its algorithms in
 * ferry_psa_config.h), P-256 by the p256-m driver. No file system, no
 * sockets, no clock: entropy comes from mbedtls_hardware_poll(), which the
 * link module provides (RNDR or virtio-rng on the board, the OS on the
 * host). docs/dependencies.md says why each choice.
 */
#ifndef FERRY_MBEDTLS_CONFIG_H
#define FERRY_MBEDTLS_CONFIG_H

/* System support */
#define MBEDTLS_HAVE_ASM
#define MBEDTLS_PLATFORM_C
#define MBEDTLS_NO_PLATFORM_ENTROPY
#define MBEDTLS_ENTROPY_HARDWARE_ALT

/*
 * PSA crypto does the cryptography of TLS, PK and X.509 and holds the
 * board's private key in a volatile slot, so a hardware key store can take
 * its place later as a PSA driver. No persistent storage. (The PSK cannot
 * be held there: link/tls.c says why.)
 */
#define MBEDTLS_PSA_CRYPTO_C
#define MBEDTLS_USE_PSA_CRYPTO
#define MBEDTLS_PSA_CRYPTO_CONFIG
#define MBEDTLS_PSA_CRYPTO_CONFIG_FILE "ferry_psa_config.h"

/*
 * P-256 key generation, ECDH and ECDSA by p256-m (3rdparty/p256-m): a
 * fifth of the code of mbedtls' generic elliptic curves, which the image's
 * budget needs. Its ECDSA is randomized (RFC 6979's deterministic form is
 * not offered): the generator is seeded from the hardware source above.
 */
#define MBEDTLS_PSA_P256M_DRIVER_ENABLED

/*
 * AES by the Armv8 Cryptographic Extension on the board (AESE/AESMC, and
 * PMULL for GCM's GHASH), and only by it: the software tables are left out.
 * The link refuses to start on a CPU without FEAT_AES and FEAT_PMULL
 * (link/cpu_board.c): mbedtls assumes them outside Linux. FERRY_FREESTANDING
 * marks the board's build (cmake/board-image.cmake).
 */
#if defined(FERRY_FREESTANDING)
#define MBEDTLS_AESCE_C
#define MBEDTLS_AES_USE_HARDWARE_ONLY
#else
#define MBEDTLS_AES_FEWER_TABLES
#endif
#define MBEDTLS_AES_C
#define MBEDTLS_AES_ONLY_128_BIT_KEY_LENGTH
#define MBEDTLS_CIPHER_C

/* The link's own random generator (link/tls.c), as PSA's */
#define MBEDTLS_ENTROPY_C
#define MBEDTLS_CTR_DRBG_C
#define MBEDTLS_CTR_DRBG_USE_128_BIT_KEY

/* Keys and certificates */
#define MBEDTLS_ASN1_PARSE_C
#define MBEDTLS_ASN1_WRITE_C
#define MBEDTLS_OID_C
#define MBEDTLS_PK_C
#define MBEDTLS_PK_PARSE_C
#define MBEDTLS_PEM_PARSE_C
#define MBEDTLS_BASE64_C
#define MBEDTLS_X509_USE_C
#define MBEDTLS_X509_CRT_PARSE_C
/* `ferry creds` writes keys and certificates on the host; the board only reads them. */
#if !defined(FERRY_FREESTANDING)
#define MBEDTLS_PK_WRITE_C
#define MBEDTLS_PEM_WRITE_C
#define MBEDTLS_X509_CREATE_C
#define MBEDTLS_X509_CRT_WRITE_C
#endif

/*
 * TLS 1.3 only, both ends. Not enabled: TLS 1.2 (no reason measured to
 * keep it), the middlebox compatibility mode (the link is board to board),
 * session tickets, early data and renegotiation (TLS 1.3 has none).
 */
#define MBEDTLS_SSL_TLS_C
#define MBEDTLS_SSL_CLI_C
#define MBEDTLS_SSL_SRV_C
#define MBEDTLS_SSL_PROTO_TLS1_3
#define MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_PSK_EPHEMERAL_ENABLED
#define MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_EPHEMERAL_ENABLED
#define MBEDTLS_SSL_KEEP_PEER_CERTIFICATE /* mbedtls requires it with TLS 1.3 */
#define MBEDTLS_SSL_MAX_CONTENT_LEN	  16384
/* A board that finds a record forged says so to its peer (bad_record_mac), not just closes. */
#define MBEDTLS_SSL_ALL_ALERT_MESSAGES

/*
 * PSA's key store and generator are shared by the whole program: host
 * tools and tests run link ends in threads. The board's link runs on one
 * CPU at a time.
 */
#if !defined(FERRY_FREESTANDING)
#define MBEDTLS_THREADING_C
#define MBEDTLS_THREADING_PTHREAD
#endif

#endif
