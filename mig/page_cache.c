/* SPDX-License-Identifier: Apache-2.0 */
/** The delta bases, see page_cache.h. */
#include "mig/page_cache.h"

#include <stdlib.h>
#include <string.h>

#include "mig/ram_codec.h"

bool mig_page_cache_init(struct mig_page_cache *c, uint64_t slots)
{
	*c = (struct mig_page_cache){ 0 };
	if (!slots)
		return false;
	c->tags = calloc(slots, sizeof(uint64_t));
	c->data = malloc(slots * MIG_PAGE_SIZE);
	if (!c->tags || !c->data) {
		mig_page_cache_free(c);
		return false;
	}
	c->slots = slots;
	return true;
}

void mig_page_cache_free(struct mig_page_cache *c)
{
	free(c->tags);
	free(c->data);
	*c = (struct mig_page_cache){ 0 };
}

const uint8_t *mig_page_cache_find(struct mig_page_cache *c, uint64_t page)
{
	uint64_t slot;

	if (!c->slots)
		return NULL;
	slot = page % c->slots;
	if (c->tags[slot] != page + 1) {
		c->misses++;
		return NULL;
	}
	c->hits++;
	return c->data + slot * MIG_PAGE_SIZE;
}

void mig_page_cache_keep(struct mig_page_cache *c, uint64_t page, const uint8_t *data)
{
	uint64_t slot;

	if (!c->slots)
		return;
	slot = page % c->slots;
	c->tags[slot] = page + 1;
	memcpy(c->data + slot * MIG_PAGE_SIZE, data, MIG_PAGE_SIZE);
}
