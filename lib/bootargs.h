/* SPDX-License-Identifier: Apache-2.0 */
/**
 * Ferry's boot options: space-separated `key=value` or `key` words in the
 * device tree's /chosen/bootargs (QEMU's -append), e.g.
 * "ferry.semihosting ferry.test=crash". Unknown words are ignored, so a
 * kernel-style command line may carry other words too.
 */
#ifndef LIB_BOOTARGS_H
#define LIB_BOOTARGS_H

#include <stdbool.h>
#include <stddef.h>

/**
 * Copies the value of `key` into val (size bytes, terminated) and returns
 * true when the key is present; a bare `key` has the value "". A value that
 * does not fit is refused (false), never cut.
 */
bool bootargs_get(const char *args, const char *key, char *val, size_t size);

/** True when `key` is present, bare or with any value other than "off"/"0". */
bool bootargs_flag(const char *args, const char *key);

#endif
