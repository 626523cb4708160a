/* SPDX-License-Identifier: Apache-2.0 */
/** Unix socket paths, see unix_path.h. */
#include "tools/ferry/unix_path.h"

#include <stdio.h>
#include <string.h>
#include <sys/un.h>

_Static_assert(UNIX_PATH_MAX_LEN == sizeof(((struct sockaddr_un *)0)->sun_path) - 1,
	       "UNIX_PATH_MAX_LEN is sun_path less its NUL");

bool unix_path_fits(const char *what, const char *path, char *err, size_t n)
{
	size_t len = strlen(path);

	if (len <= UNIX_PATH_MAX_LEN)
		return true;
	snprintf(err, n,
		 "%s %s: the path is %zu bytes, a unix socket's can be at most %d: put the "
		 "socket in a shorter directory (d=$(mktemp -d), then $d/NAME)",
		 what, path, len, UNIX_PATH_MAX_LEN);
	return false;
}

bool unix_path_option(const char *who, const char *option, const char *path)
{
	char err[512];

	if (unix_path_fits(option, path, err, sizeof(err)))
		return true;
	fprintf(stderr, "%s: %s\n", who, err);
	return false;
}
