/* SPDX-License-Identifier: Apache-2.0 */
/** Board launch, see launch.h. */
#include "tools/ferry/launch.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int launch_qemu(const char *const *argv, bool dry_run, const char *who)
{
	if (dry_run) {
		for (int i = 0; argv[i]; i++)
			printf("%s%s", i ? " " : "", argv[i]);
		printf("\n");
		return 0;
	}
	fflush(NULL);
	/*
	 * QEMU binds the unix sockets of --mgmt and --net-listen itself, and
	 * bind() gives them 0777 less the umask: 0177 makes them 0600, so that
	 * no other user can drive the board or speak on its wire. QEMU makes
	 * no other file (its console and logs are the caller's descriptors).
	 */
	umask(0177);
	execvp(argv[0], (char *const *)argv);
	fprintf(stderr, "%s: cannot run %s: %s (install qemu-system-arm: tools/setup.sh)\n", who,
		argv[0], strerror(errno));
	return 127;
}
