/* SPDX-License-Identifier: Apache-2.0 */
/**
 * A VM's configuration record, handed to the board by the launcher (fw_cfg
 * file opt/ferry/vm, see docs/running-guests.md). Text, one `key=value`
 * per line, `#` comments:
 *
 *     name=vm0
 *     mem=256M
 *     vcpus=2
 *     cmdline=console=ttyAMA0 rdinit=/init
 *
 * Outside input: every value is checked, errors name the line.
 */
#ifndef LIB_VM_CONFIG_H
#define LIB_VM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VM_NAME_MAX    16
#define VM_CMDLINE_MAX 1024
#define VM_VCPU_MAX    8
#define VM_MEM_MIN     (16ull << 20)

struct vm_config {
	char name[VM_NAME_MAX];
	uint64_t mem_bytes;
	unsigned vcpu_count;
	char cmdline[VM_CMDLINE_MAX];
	bool has_nic;	/**< mac= given: the guest has a network device (hyp/vnet.h) */
	uint8_t mac[6]; /**< its MAC: unicast, not all zero */
};

/** Fills cfg from text (len bytes, need not be terminated); false and err on a fault. */
bool vm_config_parse(const char *text, size_t len, struct vm_config *cfg, char *err,
		     size_t err_size);

/** Parses "256M", "1G", "65536", "64K" into bytes; false when malformed or overflowing. */
bool vm_config_parse_size(const char *s, size_t len, uint64_t *out);

#endif
