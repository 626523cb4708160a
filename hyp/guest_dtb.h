/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The device tree a guest boots with, describing exactly what it sees
 * (docs/guest-view.md): memory, CPUs (PSCI over HVC), GICv3, the timer's
 * PPIs, the PL011 and its clock, /chosen with bootargs and the initrd.
 */
#ifndef HYP_GUEST_DTB_H
#define HYP_GUEST_DTB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct guest_dtb_params {
	uint64_t ram_ipa, ram_size;
	unsigned vcpu_count;
	const char *bootargs;
	uint64_t initrd_start, initrd_end; /**< IPAs; equal when there is none */
	bool has_nic;			   /**< the network device (hyp/vnet.h) at GUEST_NET_IPA */
};

/** Writes the tree into buf (size bytes); false when it does not fit. */
bool guest_dtb_build(void *buf, size_t size, const struct guest_dtb_params *p);

#endif
