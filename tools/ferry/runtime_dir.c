/* SPDX-License-Identifier: Apache-2.0 */
/** A run's private directory, see runtime_dir.h. */
#define _XOPEN_SOURCE 700 /* nftw */
#include "tools/ferry/runtime_dir.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool runtime_dir_make(char *out, size_t size, char *err, size_t n)
{
	const char *base = getenv("XDG_RUNTIME_DIR");

	if (!base || !base[0])
		base = "/tmp";
	if (snprintf(out, size, "%s/ferry.XXXXXX", base) >= (int)size) {
		snprintf(err, n, "XDG_RUNTIME_DIR is too long: %s", base);
		return false;
	}
	/* mkdtemp makes it 0700, with a name nobody else can have taken. */
	if (!mkdtemp(out)) {
		snprintf(err, n, "cannot make a private directory in %s: %s", base,
			 strerror(errno));
		return false;
	}
	return true;
}

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st, (void)type, (void)ftw;
	remove(path);
	return 0;
}

void runtime_dir_remove(const char *dir)
{
	/* Depth first, so directories are empty when their turn comes; FTW_PHYS: no link followed.
	 */
	nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}
