/* SPDX-License-Identifier: Apache-2.0 */
/**
 * Opaque address types: a physical address (PA) and a guest intermediate
 * physical address (IPA) are different things, and the compiler keeps them
 * apart. Convert only through these helpers.
 */
#ifndef HYP_ADDR_H
#define HYP_ADDR_H

#include <stdint.h>

#define PAGE_SHIFT 12
#define PAGE_SIZE  (1ull << PAGE_SHIFT)

typedef struct {
	uint64_t pa;
} paddr_t;

typedef struct {
	uint64_t ipa;
} ipaddr_t;

static inline paddr_t pa_init(uint64_t v) { return (paddr_t){ v }; }
static inline uint64_t pa_addr(paddr_t a) { return a.pa; }
static inline paddr_t pa_add(paddr_t a, uint64_t n) { return (paddr_t){ a.pa + n }; }
static inline ipaddr_t ipa_init(uint64_t v) { return (ipaddr_t){ v }; }
static inline uint64_t ipa_addr(ipaddr_t a) { return a.ipa; }
static inline ipaddr_t ipa_add(ipaddr_t a, uint64_t n) { return (ipaddr_t){ a.ipa + n }; }

#endif
