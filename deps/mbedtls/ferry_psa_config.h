/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The PSA algorithms and key types Ferry's link uses
 * (MBEDTLS_PSA_CRYPTO_CONFIG_FILE): what TLS 1.3 with the two suites and
 * P-256 needs (RFC 8446 sections 7.1 and 9.1), nothing more; mbedtls builds
 * exactly these (config_adjust_legacy_from_psa.h).
 */
#ifndef FERRY_PSA_CONFIG_H
#define FERRY_PSA_CONFIG_H

/* Records: the two AEADs */
#define PSA_WANT_ALG_CHACHA20_POLY1305 1
#define PSA_WANT_ALG_GCM	       1
#define PSA_WANT_KEY_TYPE_AES	       1
#define PSA_WANT_KEY_TYPE_CHACHA20     1

/* The key schedule: HKDF over HMAC-SHA-256 */
#define PSA_WANT_ALG_SHA_256	   1
#define PSA_WANT_ALG_HMAC	   1
#define PSA_WANT_ALG_HKDF	   1
#define PSA_WANT_ALG_HKDF_EXTRACT  1
#define PSA_WANT_ALG_HKDF_EXPAND   1
#define PSA_WANT_KEY_TYPE_DERIVE   1
#define PSA_WANT_KEY_TYPE_HMAC	   1
#define PSA_WANT_KEY_TYPE_RAW_DATA 1

/* ECDHE and ECDSA on P-256 only */
#define PSA_WANT_ALG_ECDH			1
#define PSA_WANT_ALG_ECDSA			1
#define PSA_WANT_ECC_SECP_R1_256		1
#define PSA_WANT_KEY_TYPE_ECC_PUBLIC_KEY	1
#define PSA_WANT_KEY_TYPE_ECC_KEY_PAIR_BASIC	1
#define PSA_WANT_KEY_TYPE_ECC_KEY_PAIR_IMPORT	1
#define PSA_WANT_KEY_TYPE_ECC_KEY_PAIR_EXPORT	1
#define PSA_WANT_KEY_TYPE_ECC_KEY_PAIR_GENERATE 1

#endif
