/* SPDX-License-Identifier: Apache-2.0 */
/** fw_cfg driver (QEMU docs/specs/fw_cfg.rst): selector, data and DMA registers. */
#include "drivers/fw_cfg.h"

#include <string.h>

#include "drivers/mmio.h"

#define FW_CFG_DATA	0x00
#define FW_CFG_SELECTOR 0x08 /* 16-bit, big-endian */
#define FW_CFG_DMA	0x10 /* 64-bit, big-endian */

#define FW_CFG_SIGNATURE 0x0000
#define FW_CFG_ID	 0x0001
#define FW_CFG_FILE_DIR	 0x0019
#define FW_CFG_ID_DMA	 (1u << 1)

#define DMA_CTL_ERROR  (1u << 0)
#define DMA_CTL_READ   (1u << 1)
#define DMA_CTL_SELECT (1u << 3)

/** FWCfgDmaAccess, all fields big-endian. */
struct fw_cfg_dma_access {
	uint32_t control;
	uint32_t length;
	uint64_t address;
};

/** FWCfgFile, all fields big-endian. */
struct fw_cfg_file {
	uint32_t size;
	uint16_t select;
	uint16_t reserved;
	char name[56];
};

static uintptr_t fw_cfg_base;
static bool fw_cfg_dma;

static void select_item(uint16_t item)
{
	mmio_write16(fw_cfg_base + FW_CFG_SELECTOR, __builtin_bswap16(item));
}

/** Reads from the current item through the byte-wide data register. */
static void read_pio(void *dst, size_t size)
{
	uint8_t *p = dst;

	for (size_t i = 0; i < size; i++)
		p[i] = mmio_read8(fw_cfg_base + FW_CFG_DATA);
}

bool fw_cfg_probe(uintptr_t base)
{
	char sig[4];
	uint32_t id;

	fw_cfg_base = base;
	select_item(FW_CFG_SIGNATURE);
	read_pio(sig, sizeof(sig));
	if (memcmp(sig, "QEMU", 4) != 0) {
		fw_cfg_base = 0;
		return false;
	}
	select_item(FW_CFG_ID);
	read_pio(&id, sizeof(id)); /* little-endian, unlike the rest */
	fw_cfg_dma = (id & FW_CFG_ID_DMA) != 0;
	return true;
}

bool fw_cfg_find(const char *name, uint16_t *select, uint32_t *size)
{
	uint32_t count;

	if (!fw_cfg_base)
		return false;
	select_item(FW_CFG_FILE_DIR);
	read_pio(&count, sizeof(count));
	count = __builtin_bswap32(count);
	for (uint32_t i = 0; i < count && i < 4096; i++) {
		struct fw_cfg_file f;

		read_pio(&f, sizeof(f));
		f.name[sizeof(f.name) - 1] = '\0';
		if (strcmp(f.name, name) == 0) {
			*select = __builtin_bswap16(f.select);
			*size = __builtin_bswap32(f.size);
			return true;
		}
	}
	return false;
}

static bool read_dma(uint16_t select, void *dst, uint32_t size)
{
	static struct fw_cfg_dma_access access __attribute__((aligned(16)));
	uintptr_t start = (uintptr_t)dst & ~(uintptr_t)63;

	/* No dirty line may be written back over what the device writes. */
	for (uintptr_t p = start; p < (uintptr_t)dst + size; p += 64)
		__asm__ volatile("dc civac, %0" ::"r"(p) : "memory");
	access.control =
		__builtin_bswap32(((uint32_t)select << 16) | DMA_CTL_SELECT | DMA_CTL_READ);
	access.length = __builtin_bswap32(size);
	access.address = __builtin_bswap64((uint64_t)(uintptr_t)dst);
	__asm__ volatile("dsb sy" ::: "memory");
	mmio_write64(fw_cfg_base + FW_CFG_DMA, __builtin_bswap64((uint64_t)(uintptr_t)&access));
	while (__builtin_bswap32(*(volatile uint32_t *)&access.control) & ~DMA_CTL_ERROR)
		;
	/* The device wrote memory behind the caches' back (on a real board). */
	for (uintptr_t p = start; p < (uintptr_t)dst + size; p += 64)
		__asm__ volatile("dc civac, %0" ::"r"(p) : "memory");
	__asm__ volatile("dsb sy" ::: "memory");
	return !(__builtin_bswap32(access.control) & DMA_CTL_ERROR);
}

bool fw_cfg_read(uint16_t select, void *dst, uint32_t size)
{
	if (!fw_cfg_base)
		return false;
	if (fw_cfg_dma)
		return read_dma(select, dst, size);
	select_item(select);
	read_pio(dst, size);
	return true;
}
