/* SPDX-License-Identifier: Apache-2.0 */
/**
 * Paths of unix sockets (--net, --net-listen, --mgmt): the kernel takes at
 * most sizeof(sun_path) - 1 = 107 bytes, and a longer one is cut or refused
 * by whoever binds or connects to it, far from the option that named it.
 */
#ifndef TOOLS_FERRY_UNIX_PATH_H
#define TOOLS_FERRY_UNIX_PATH_H

#include <stdbool.h>
#include <stddef.h>

/** The longest path a unix socket can have (sun_path less its NUL). */
#define UNIX_PATH_MAX_LEN 107

/**
 * True when path fits in sun_path; otherwise false with err naming `what`
 * (the option, say "--mgmt"), the path, its length, the limit and a remedy.
 */
bool unix_path_fits(const char *what, const char *path, char *err, size_t err_size);

/**
 * A socket given with `option` to command `who` ("ferry migrate"): true when
 * it fits; otherwise why, on stderr.
 */
bool unix_path_option(const char *who, const char *option, const char *path);

#endif
