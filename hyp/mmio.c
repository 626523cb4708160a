/* SPDX-License-Identifier: Apache-2.0 */
/** MMIO region lookup, see mmio.h. */
#include "hyp/mmio.h"

#include <stddef.h>

bool mmio_bus_add(struct mmio_bus *bus, const struct mmio_region *region)
{
	if (bus->count == MMIO_REGION_MAX || region->size == 0 ||
	    region->base + region->size < region->base)
		return false;
	for (unsigned i = 0; i < bus->count; i++) {
		const struct mmio_region *r = &bus->regions[i];

		if (region->base < r->base + r->size && r->base < region->base + region->size)
			return false;
	}
	bus->regions[bus->count++] = *region;
	return true;
}

const struct mmio_region *mmio_bus_find(const struct mmio_bus *bus, uint64_t ipa, unsigned size)
{
	for (unsigned i = 0; i < bus->count; i++) {
		const struct mmio_region *r = &bus->regions[i];

		if (ipa >= r->base && ipa - r->base < r->size && size <= r->size - (ipa - r->base))
			return r;
	}
	return NULL;
}
