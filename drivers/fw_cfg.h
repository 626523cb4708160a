/* SPDX-License-Identifier: Apache-2.0 */
/**
 * QEMU's firmware configuration device, MMIO flavour (QEMU
 * docs/specs/fw_cfg.rst): named files the launcher hands to Ferry, such as
 * a VM's configuration and its kernel image.
 */
#ifndef DRIVERS_FW_CFG_H
#define DRIVERS_FW_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Checks the device's signature; false when there is no fw_cfg at `base`. */
bool fw_cfg_probe(uintptr_t base);

/** Looks a file up by name; sets its selector and size. */
bool fw_cfg_find(const char *name, uint16_t *select, uint32_t *size);

/**
 * Reads `size` bytes of the file `select` from its start into dst (DMA
 * when the device offers it). Returns false on a device error.
 */
bool fw_cfg_read(uint16_t select, void *dst, uint32_t size);

#endif
