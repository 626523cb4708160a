/* SPDX-License-Identifier: Apache-2.0 */
/** Builds the QEMU command line of a board from its description. */
#ifndef TOOLS_FERRY_QEMU_CMDLINE_H
#define TOOLS_FERRY_QEMU_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>

#include "boards/board.h"

struct boot_options {
	const char *image;
	const char *append; /**< boot options for Ferry, may be NULL */
	unsigned cpus;
	unsigned mem_mib;
	bool semihosting; /**< test verdicts as QEMU's exit code */
	/* A guest for Ferry to run, handed over as fw_cfg files (docs/running-guests.md). */
	const char *vm_record; /**< text of opt/ferry/vm, or NULL for no guest */
	const char *guest_kernel;
	const char *guest_initrd;
	/* The migration link (docs/link.md): its files as fw_cfg, its network device. */
	const char *link_conf, *link_ca, *link_cert, *link_key;
	const char *net_socket;	    /**< unix socket of the emulated Ethernet, or NULL */
	bool net_server;	    /**< this QEMU listens on it (else it connects) */
	unsigned char net_mac_last; /**< last byte of the device's MAC */
	/** Unix socket (QEMU listens) of the management channel (docs/management.md), or NULL. */
	const char *mgmt_socket;
	/** File of the management token the board requires (fw_cfg opt/ferry/mgmt-token), or NULL.
	 */
	const char *mgmt_token;
	/** Unix socket of the guests' LAN, a port of `ferry lan` (QEMU connects), or NULL. */
	const char *lan_socket;
	/**
	 * File where QEMU writes every byte the board writes to its UART, with
	 * the wall-clock time (µs) of the write, or NULL (bench/downtime.py).
	 */
	const char *uart_trace;
	/**
	 * Unix socket of QEMU's own QMP for this board, or NULL: a look into the
	 * emulator itself (its translation cache, bench/net.py), not Ferry's.
	 */
	const char *qemu_qmp;
};

/**
 * The QEMU command line that runs a guest directly on QEMU virt without
 * Ferry (no EL2): the reference the same guest is compared against.
 */
struct direct_options {
	const char *kernel;
	const char *initrd;
	const char *append;
	unsigned cpus;
	unsigned mem_mib;
};

#define QEMU_ARGV_MAX 64

/**
 * Fills argv (QEMU_ARGV_MAX entries, NULL-terminated) and the buffers it
 * points into. Returns the argument count, or -1 when it does not fit.
 */
int qemu_cmdline(const struct board_desc *board, const struct boot_options *opt, const char **argv,
		 char *scratch, size_t scratch_size);

int qemu_cmdline_direct(const struct direct_options *opt, const char **argv, char *scratch,
			size_t scratch_size);

#endif
