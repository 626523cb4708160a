/* SPDX-License-Identifier: Apache-2.0 */
/**
 * Guest kernel images: a raw arm64 Linux Image (its header honoured, Linux
 * Documentation/arch/arm64/booting.rst section 4) or an ELF64 AArch64
 * executable whose segments lie in guest RAM. Outside input: every field is
 * checked against the file size and the guest RAM before anything is copied.
 */
#ifndef HYP_IMAGE_H
#define HYP_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum image_kind { IMAGE_ARM64, IMAGE_ELF };

#define IMAGE_SEGMENT_MAX 8

struct image_segment {
	uint64_t file_offset;
	uint64_t file_size;
	uint64_t ram_offset; /**< from the start of guest RAM */
	uint64_t mem_size;   /**< file_size, then zeroes */
};

struct image_info {
	enum image_kind kind;
	uint64_t entry_offset; /**< entry point, from the start of guest RAM */
	uint64_t end_offset;   /**< first byte after everything the image occupies */
	unsigned segment_count;
	struct image_segment segments[IMAGE_SEGMENT_MAX];
};

/**
 * Works out where `data` (size bytes) goes in a guest RAM of ram_size bytes
 * at IPA ram_base. False, with the reason in err, when it does not fit or
 * is not an image Ferry can boot.
 */
bool image_inspect(const void *data, size_t size, uint64_t ram_base, uint64_t ram_size,
		   struct image_info *info, char *err, size_t err_size);

/** Copies the segments of an inspected image into guest RAM (ram, ram_size bytes). */
void image_load(const void *data, const struct image_info *info, void *ram);

#endif
