/* SPDX-License-Identifier: Apache-2.0 */
/** Console capture of host tests, see host_console.h. */
#include "tests/support/host_console.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "hyp/console.h"

#define CAPTURE_MAX 65536

static pthread_mutex_t capture_lock = PTHREAD_MUTEX_INITIALIZER;
static char capture[CAPTURE_MAX];
static size_t capture_len;

/* Kept whole or cut at the end: a test counts messages, not bytes. */
static void append(const char *buf, size_t len)
{
	pthread_mutex_lock(&capture_lock);
	if (len > CAPTURE_MAX - 1 - capture_len)
		len = CAPTURE_MAX - 1 - capture_len;
	memcpy(capture + capture_len, buf, len);
	capture_len += len;
	capture[capture_len] = '\0';
	pthread_mutex_unlock(&capture_lock);
}

void host_console_capture(void)
{
	pthread_mutex_lock(&capture_lock);
	capture_len = 0;
	capture[0] = '\0';
	pthread_mutex_unlock(&capture_lock);
	console_init(append);
}

unsigned host_console_count(const char *needle)
{
	unsigned n = 0;

	pthread_mutex_lock(&capture_lock);
	for (const char *p = capture; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	pthread_mutex_unlock(&capture_lock);
	return n;
}

void host_console_guest_line(const char *prefix, const char *line, unsigned len)
{
	char buf[256];
	int n = snprintf(buf, sizeof(buf), "%s| %.*s\n", prefix, (int)len, line);

	if (n > 0)
		append(buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}
