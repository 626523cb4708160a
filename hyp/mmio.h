/* SPDX-License-Identifier: Apache-2.0 */
/**
 * Emulated device registers: a guest load or store that stage 2 does not
 * map arrives here decoded (Arm ARM D19.2.40, ISS of a data abort) and is
 * dispatched to the device whose region holds the address.
 */
#ifndef HYP_MMIO_H
#define HYP_MMIO_H

#include <stdbool.h>
#include <stdint.h>

struct mmio_access {
	uint64_t offset; /**< from the start of the device's region */
	unsigned size;	 /**< 1, 2, 4 or 8 bytes */
	bool write;
	uint64_t value; /**< written value, or the value read back */
	unsigned vcpu;	/**< index of the vCPU that accessed */
};

/** Handles one access; false means the device refuses it (an abort for the guest). */
typedef bool (*mmio_handler_fn)(void *device, struct mmio_access *access);

struct mmio_region {
	uint64_t base; /**< guest IPA */
	uint64_t size;
	mmio_handler_fn handler;
	void *device;
	const char *name;
};

#define MMIO_REGION_MAX 8

struct mmio_bus {
	unsigned count;
	struct mmio_region regions[MMIO_REGION_MAX];
};

/** Adds a region; false if full or overlapping. */
bool mmio_bus_add(struct mmio_bus *bus, const struct mmio_region *region);

/** The region containing [ipa, ipa + size), or NULL. */
const struct mmio_region *mmio_bus_find(const struct mmio_bus *bus, uint64_t ipa, unsigned size);

#endif
