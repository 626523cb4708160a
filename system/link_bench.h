/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The link benchmark's lower layers on the board (bench/link.sh): SIZE
 * bytes as raw Ethernet frames, or over plain lwIP TCP, from the connecting
 * board to the listening one; the receiver prints the rate. The TLS layer
 * is measured by the link self-test itself (link_boot.c). These modes move
 * benchmark bytes only: migration data never travels outside TLS.
 */
#ifndef SYSTEM_LINK_BENCH_H
#define SYSTEM_LINK_BENCH_H

#include <stdbool.h>
#include <stdint.h>

#include "link/link_config.h"

bool link_bench_raw(const struct link_config *cfg, uint64_t bytes);
bool link_bench_tcp(const struct link_config *cfg, uint64_t bytes);

/** Prints "link: <what> N KiB in T ms: X MB/s". */
void link_print_rate(const char *what, uint64_t bytes, uint64_t ms);

/** The device's counters per MiB moved: the profile of the hot path. */
void link_print_profile(uint64_t bytes);

#endif
