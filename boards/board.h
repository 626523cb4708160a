/* SPDX-License-Identifier: Apache-2.0 */
/**
 * A board described as data: where its RAM and devices are, and how QEMU
 * starts it. One initialised struct per board (boards/<name>/board.c).
 *
 * The hypervisor checks this description against the device tree the
 * firmware hands over (system/board_check.c) before it trusts any of it, and
 * the host tool (tools/ferry) takes the QEMU launch arguments from the same
 * struct, so the two can never disagree.
 */
#ifndef BOARDS_BOARD_H
#define BOARDS_BOARD_H

#include <stdint.h>

/** Upper bound on physical CPUs any board may have (sizes per-CPU arrays). */
#define BOARD_CPU_MAX 8

struct board_gic {
	uint64_t gicd_base;   /**< distributor, 64 KiB */
	uint64_t gicr_base;   /**< first redistributor */
	uint64_t gicr_stride; /**< bytes between redistributors (RD + SGI frame) */
	uint32_t maint_intid; /**< GICv3 maintenance interrupt (a PPI) */
};

struct board_timer {
	uint32_t hyp_phys_intid; /**< EL2 physical timer PPI (CNTHP) */
	uint32_t virt_intid;	 /**< EL1 virtual timer PPI (CNTV) */
	uint32_t phys_intid;	 /**< EL1 physical timer PPI (CNTP) */
};

struct board_uart {
	uint64_t base;
	uint32_t intid;
	uint32_t clock_hz; /**< UARTCLK, for the baud-rate divisor */
};

struct board_virtio {
	uint64_t base;	      /**< slot 0 */
	uint64_t stride;      /**< bytes between slots */
	uint32_t slot_count;  /**< slots the machine provides */
	uint32_t first_intid; /**< INTID of slot 0; slot n uses first_intid + n */
	uint32_t link_slot;   /**< slot that carries the migration link */
};

struct board_desc {
	const char *name;
	uint64_t ram_base;	   /**< physical address of RAM */
	uint64_t ram_size_min;	   /**< Ferry refuses to run on less */
	uint64_t dtb_addr;	   /**< where the firmware leaves its DTB */
	uint64_t image_base;	   /**< Ferry's link (and load) address */
	uint64_t hyp_reserved;	   /**< RAM from ram_base kept for Ferry */
	uint64_t device_end;	   /**< devices live in [0, device_end) */
	uint32_t cpu_count_max;	   /**< CPUs Ferry will bring up at most */
	uint32_t cpu_count_launch; /**< CPUs the launcher gives QEMU */
	uint32_t ram_mib_launch;   /**< RAM the launcher gives QEMU */
	struct board_gic gic;
	struct board_timer timer;
	struct board_uart uart;
	uint64_t fw_cfg_base;
	uint64_t rtc_base; /**< PL031: the wall clock of the board's events (lib/wall_clock.h) */
	struct board_virtio virtio;
	const char *qemu_binary;
	/** Fixed QEMU arguments, NULL-terminated; -m/-smp/-kernel are added. */
	const char *const *qemu_args;
};

/** The board this image or tool was built for. */
extern const struct board_desc board_current;

#endif
