/* SPDX-License-Identifier: Apache-2.0 */
/**
 * downtime_fast.c, polling its counter between its deadlines instead of
 * waiting in WFI: its vCPU keeps a host core busy all along
 * (bench/converge.py measures the link's use beside it).
 */
#define GUEST_NAME "downtime_fast_spins"
#include "tests/guests/downtime_fast.c"
