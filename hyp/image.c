/* SPDX-License-Identifier: Apache-2.0 */
/** Guest image inspection and loading, see image.h. */
#include "hyp/image.h"

#include <string.h>

#include "lib/format.h"

/* arm64 Image header (Linux booting.rst): magic "ARM\x64" at 0x38 */
#define ARM64_HEADER_SIZE	 64
#define ARM64_MAGIC		 0x644d5241u
#define ARM64_TEXT_OFFSET_LEGACY 0x80000u

/* ELF64 (System V ABI, AArch64 ELF ABI) */
#define EI_NIDENT   16
#define ELFCLASS64  2
#define ELFDATA2LSB 1
#define ET_EXEC	    2
#define EM_AARCH64  183
#define PT_LOAD	    1

struct elf64_ehdr {
	uint8_t ident[EI_NIDENT];
	uint16_t type, machine;
	uint32_t version;
	uint64_t entry, phoff, shoff;
	uint32_t flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf64_phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

_Static_assert(sizeof(struct elf64_ehdr) == 64, "ELF64 header");
_Static_assert(sizeof(struct elf64_phdr) == 56, "ELF64 program header");

static uint64_t le64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static uint32_t le32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static bool inspect_arm64(const uint8_t *d, size_t size, uint64_t ram_size, struct image_info *info,
			  char *err, size_t n)
{
	uint64_t text_offset = le64(d + 8), image_size = le64(d + 16);

	/* image_size 0: a kernel older than 3.17, text_offset unreliable */
	if (image_size == 0) {
		text_offset = ARM64_TEXT_OFFSET_LEGACY;
		image_size = size;
	}
	if (image_size < size || text_offset >= ram_size || image_size > ram_size - text_offset) {
		format_snprintf(
			err, n,
			"arm64 Image needs %llu MiB at offset 0x%llx, guest RAM is %llu MiB",
			(unsigned long long)(image_size >> 20), (unsigned long long)text_offset,
			(unsigned long long)(ram_size >> 20));
		return false;
	}
	info->kind = IMAGE_ARM64;
	info->entry_offset = text_offset;
	info->end_offset = text_offset + image_size;
	info->segment_count = 1;
	info->segments[0] = (struct image_segment){
		.file_offset = 0, .file_size = size, .ram_offset = text_offset, .mem_size = size
	};
	return true;
}

static bool inspect_elf(const uint8_t *d, size_t size, uint64_t ram_base, uint64_t ram_size,
			struct image_info *info, char *err, size_t n)
{
	struct elf64_ehdr eh;

	if (size < sizeof(eh)) {
		format_snprintf(err, n, "ELF file is truncated");
		return false;
	}
	memcpy(&eh, d, sizeof(eh));
	if (eh.ident[4] != ELFCLASS64 || eh.ident[5] != ELFDATA2LSB || eh.type != ET_EXEC ||
	    eh.machine != EM_AARCH64) {
		format_snprintf(err, n, "ELF file is not a little-endian AArch64 executable");
		return false;
	}
	if (eh.phentsize != sizeof(struct elf64_phdr) || eh.phnum == 0 || eh.phoff > size ||
	    (uint64_t)eh.phnum * sizeof(struct elf64_phdr) > size - eh.phoff) {
		format_snprintf(err, n, "ELF program headers lie outside the file");
		return false;
	}
	info->kind = IMAGE_ELF;
	info->segment_count = 0;
	info->end_offset = 0;
	for (unsigned i = 0; i < eh.phnum; i++) {
		struct elf64_phdr ph;
		uint64_t off;

		memcpy(&ph, d + eh.phoff + i * sizeof(ph), sizeof(ph));
		if (ph.type != PT_LOAD || ph.memsz == 0)
			continue;
		if (ph.filesz > ph.memsz || ph.offset > size || ph.filesz > size - ph.offset) {
			format_snprintf(err, n, "ELF segment %u lies outside the file", i);
			return false;
		}
		if (ph.paddr < ram_base || ph.paddr - ram_base >= ram_size ||
		    ph.memsz > ram_size - (ph.paddr - ram_base)) {
			format_snprintf(
				err, n,
				"ELF segment %u at 0x%llx (%llu bytes) is outside guest RAM", i,
				(unsigned long long)ph.paddr, (unsigned long long)ph.memsz);
			return false;
		}
		if (info->segment_count == IMAGE_SEGMENT_MAX) {
			format_snprintf(err, n, "ELF file has more than %d loadable segments",
					IMAGE_SEGMENT_MAX);
			return false;
		}
		off = ph.paddr - ram_base;
		info->segments[info->segment_count++] =
			(struct image_segment){ .file_offset = ph.offset,
						.file_size = ph.filesz,
						.ram_offset = off,
						.mem_size = ph.memsz };
		if (off + ph.memsz > info->end_offset)
			info->end_offset = off + ph.memsz;
	}
	if (info->segment_count == 0) {
		format_snprintf(err, n, "ELF file has no loadable segment");
		return false;
	}
	if (eh.entry < ram_base || eh.entry - ram_base >= ram_size) {
		format_snprintf(err, n, "ELF entry point 0x%llx is outside guest RAM",
				(unsigned long long)eh.entry);
		return false;
	}
	info->entry_offset = eh.entry - ram_base;
	return true;
}

bool image_inspect(const void *data, size_t size, uint64_t ram_base, uint64_t ram_size,
		   struct image_info *info, char *err, size_t err_size)
{
	const uint8_t *d = data;

	memset(info, 0, sizeof(*info));
	if (size >= 4 && memcmp(d,
				"\x7f"
				"ELF",
				4) == 0)
		return inspect_elf(d, size, ram_base, ram_size, info, err, err_size);
	if (size >= ARM64_HEADER_SIZE && le32(d + 0x38) == ARM64_MAGIC)
		return inspect_arm64(d, size, ram_size, info, err, err_size);
	format_snprintf(err, err_size,
			"not an arm64 Image (no \"ARM\\x64\" magic at 0x38) nor an ELF file");
	return false;
}

void image_load(const void *data, const struct image_info *info, void *ram)
{
	for (unsigned i = 0; i < info->segment_count; i++) {
		const struct image_segment *s = &info->segments[i];
		uint8_t *dst = (uint8_t *)ram + s->ram_offset;

		memmove(dst, (const uint8_t *)data + s->file_offset, s->file_size);
		memset(dst + s->file_size, 0, s->mem_size - s->file_size);
	}
}
