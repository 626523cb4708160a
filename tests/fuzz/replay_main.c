/* SPDX-License-Identifier: Apache-2.0 */
/**
 * Stand-in for libFuzzer when the host compiler is not clang: runs the
 * fuzz target once over every file of the given corpus directories, so the
 * corpus stays a regression test everywhere.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long size;

	if (!f)
		return -1;
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(size > 0 ? (size_t)size : 1);
	if (!buf || (size > 0 && fread(buf, 1, (size_t)size, f) != (size_t)size)) {
		fclose(f);
		free(buf);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t)size);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	int count = 0;

	for (int i = 1; i < argc; i++) {
		DIR *d;
		struct dirent *e;

		if (argv[i][0] == '-')
			continue; /* libFuzzer options */
		d = opendir(argv[i]);
		if (!d)
			continue;
		while ((e = readdir(d))) {
			char path[4096];

			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", argv[i], e->d_name);
			if (replay_file(path) == 0)
				count++;
		}
		closedir(d);
	}
	printf("replayed %d inputs (no fuzzing: the host compiler is not clang)\n", count);
	return 0;
}
