/* SPDX-License-Identifier: Apache-2.0 */
/**
 * A run's private directory for its unix sockets (and the secrets that live
 * only as long as the run): made fresh under $XDG_RUNTIME_DIR, or /tmp, with
 * mode 0700. It is short because a socket's path must fit in sun_path (107
 * bytes), which a deep build tree does not; it is private so that only this
 * user reaches the boards' sockets. tests/qemu/runtime_dir.sh chooses it the
 * same way for the test scripts.
 */
#ifndef TOOLS_FERRY_RUNTIME_DIR_H
#define TOOLS_FERRY_RUNTIME_DIR_H

#include <stdbool.h>
#include <stddef.h>

/** Makes the directory, its path into out; false with err. */
bool runtime_dir_make(char *out, size_t size, char *err, size_t err_size);

/** Removes it and everything in it (symbolic links are removed, not followed). */
void runtime_dir_remove(const char *dir);

#endif
