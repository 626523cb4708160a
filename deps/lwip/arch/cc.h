/* SPDX-License-Identifier: Apache-2.0 */
/** lwIP's port header (lwip/arch.h): compiler and platform glue of Ferry. */
#ifndef FERRY_LWIP_ARCH_CC_H
#define FERRY_LWIP_ARCH_CC_H

#include <limits.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * newlib declares ssize_t but its <limits.h> leaves SSIZE_MAX out in a
 * freestanding build; lwIP would then declare ssize_t again as int
 * (lwip/arch.h), which conflicts.
 */
#ifndef SSIZE_MAX
#define SSIZE_MAX LONG_MAX
#endif

#define BYTE_ORDER	      LITTLE_ENDIAN
#define LWIP_ERRNO_STDINCLUDE 1
#define LWIP_RAND()	      ((u32_t)lwip_port_rand())

uint32_t lwip_port_rand(void);
void lwip_port_diag(const char *fmt, ...);
void lwip_port_assert(const char *msg, const char *file, int line);

#define LWIP_PLATFORM_DIAG(x)                                                                      \
	do {                                                                                       \
		lwip_port_diag x;                                                                  \
	} while (0)
#define LWIP_PLATFORM_ASSERT(x) lwip_port_assert((x), __FILE__, __LINE__)

#endif
