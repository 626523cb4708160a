/* SPDX-License-Identifier: Apache-2.0 */
/** lwIP's port functions on the board (deps/lwip/arch/cc.h, NO_SYS). */
#include <stdarg.h>
#include <stdint.h>

#include "hyp/arch.h"
#include "hyp/console.h"
#include "lib/exit_code.h"
#include "lib/format.h"
#include "lwip/sys.h"

u32_t sys_now(void) { return (u32_t)(arch_counter_now() / (arch_counter_freq() / 1000)); }

/* TCP initial sequence numbers and ports: unpredictable (RFC 6528). */
uint32_t lwip_port_rand(void)
{
	uint64_t v;

	if (arch_random64(&v))
		return (uint32_t)(v ^ v >> 32);
	return (uint32_t)(arch_counter_now() * 2654435761u);
}

void lwip_port_diag(const char *fmt, ...)
{
	char line[160];
	va_list ap;

	va_start(ap, fmt);
	format_vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	console_printf("lwIP: %s", line);
}

void lwip_port_assert(const char *msg, const char *file, int line)
{
	console_printf("lwIP assertion failed: %s (%s:%d)\n", msg, file, line);
	arch_power_off(FERRY_EXIT_PANIC);
}
