/* SPDX-License-Identifier: Apache-2.0 */
/**
 * QEMU `virt` with GICv3 and the virtualization extensions (EL2), emulated.
 * Addresses are those of QEMU 7.2's hw/arm/virt.c memory map; shared/design.md
 * section 1 lists the measured facts this relies on.
 */
#include "boards/board.h"

#include <stddef.h>

static const char *const qemu_virt_args[] = {
	"-M",
	"virt,virtualization=on,gic-version=3",
	/* pauth-impdef: QEMU's cheap pointer-auth algorithm, same behaviour */
	"-cpu",
	"max,pauth-impdef=on",
	"-nographic",
	"-no-reboot",
	/* no default PCI NIC: the board's network is virtio-mmio, added per link */
	"-nic",
	"none",
	/* virtio 1.0 (version 2) MMIO transport instead of the legacy one */
	"-global",
	"virtio-mmio.force-legacy=false",
	NULL,
};

const struct board_desc board_current = {
    .name = "qemu-virt",
    .ram_base = FERRY_RAM_BASE,
    .ram_size_min = 256ull << 20,
    /* QEMU puts the DTB at the start of RAM for an ELF linked above it */
    .dtb_addr = 0x40000000,
    .image_base = FERRY_IMAGE_BASE,
    .hyp_reserved = FERRY_HYP_RESERVED,
    .device_end = 0x40000000,
    .cpu_count_max = BOARD_CPU_MAX,
    .cpu_count_launch = 2,
    .ram_mib_launch = 1024,
    .gic =
	{
	    .gicd_base = 0x08000000,
	    .gicr_base = 0x080a0000,
	    .gicr_stride = 0x20000,
	    .maint_intid = 25,
	},
    .timer =
	{
	    .hyp_phys_intid = 26,
	    .virt_intid = 27,
	    .phys_intid = 30,
	},
    .uart =
	{
	    .base = 0x09000000,
	    .intid = 33,
	    .clock_hz = 24000000,
	},
    .fw_cfg_base = 0x09020000,
    .rtc_base = 0x09010000,
    .virtio =
	{
	    .base = 0x0a000000,
	    .stride = 0x200,
	    .slot_count = 32,
	    .first_intid = 48,
	    /* QEMU fills slots from 31 down: the first -device gets 31 */
	    .link_slot = 31,
	},
    .qemu_binary = "qemu-system-aarch64",
    .qemu_args = qemu_virt_args,
};
