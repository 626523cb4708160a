/* SPDX-License-Identifier: Apache-2.0 */
/**
 * mkinitramfs: writes a Linux initramfs (cpio "newc", Linux
 * Documentation/driver-api/early-userspace/buffer-format.rst) from a list
 * of entries, without needing root for device nodes:
 *
 *     dir   PATH MODE
 *     file  PATH HOSTFILE MODE
 *     slink PATH TARGET
 *     nod   PATH MODE c|b MAJOR MINOR
 *
 * usage: mkinitramfs LIST OUTPUT
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static unsigned ino = 300;

static int pad4(FILE *out, unsigned long len)
{
	static const char zeros[4];

	return fwrite(zeros, 1, (4 - len % 4) % 4, out) == (4 - len % 4) % 4 ? 0 : -1;
}

static int header(FILE *out, const char *name, unsigned mode, unsigned long size, unsigned rmaj,
		  unsigned rmin)
{
	unsigned long namesize = strlen(name) + 1;

	if (fprintf(out, "070701%08X%08X%08X%08X%08X%08X%08lX%08X%08X%08X%08X%08lX%08X", ino++,
		    mode, 0, 0, 1, 0, size, 0, 0, rmaj, rmin, namesize, 0) < 0 ||
	    fwrite(name, 1, namesize, out) != namesize)
		return -1;
	return pad4(out, 110 + namesize);
}

static int add_file(FILE *out, const char *path, const char *host, unsigned mode)
{
	FILE *in = fopen(host, "rb");
	char buf[65536];
	long size;
	size_t n;

	if (!in) {
		fprintf(stderr, "mkinitramfs: cannot read %s: %s\n", host, strerror(errno));
		return -1;
	}
	fseek(in, 0, SEEK_END);
	size = ftell(in);
	fseek(in, 0, SEEK_SET);
	if (header(out, path, S_IFREG | mode, (unsigned long)size, 0, 0))
		return -1;
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			return -1;
	fclose(in);
	return pad4(out, (unsigned long)size);
}

static int add_line(FILE *out, char *line, unsigned line_no)
{
	char kind[8], path[256], a[512], b[16];
	unsigned mode, major, minor;
	int n;

	if (line[0] == '#' || line[0] == '\n' || line[0] == '\0')
		return 0;
	n = sscanf(line, "%7s %255s", kind, path);
	if (n == 2 && path[0] == '/')
		memmove(path, path + 1, strlen(path)); /* cpio names are relative */
	if (n == 2 && !strcmp(kind, "dir") && sscanf(line, "%*s %*s %o", &mode) == 1)
		return header(out, path, S_IFDIR | mode, 0, 0, 0);
	if (n == 2 && !strcmp(kind, "file") && sscanf(line, "%*s %*s %511s %o", a, &mode) == 2)
		return add_file(out, path, a, mode);
	if (n == 2 && !strcmp(kind, "slink") && sscanf(line, "%*s %*s %511s", a) == 1) {
		unsigned long len = strlen(a);

		if (header(out, path, S_IFLNK | 0777, len, 0, 0) || fwrite(a, 1, len, out) != len)
			return -1;
		return pad4(out, len);
	}
	if (n == 2 && !strcmp(kind, "nod") &&
	    sscanf(line, "%*s %*s %o %15s %u %u", &mode, b, &major, &minor) == 4)
		return header(out, path, (b[0] == 'b' ? S_IFBLK : S_IFCHR) | mode, 0, major, minor);
	fprintf(stderr, "mkinitramfs: line %u: cannot understand: %s", line_no, line);
	return -1;
}

int main(int argc, char **argv)
{
	FILE *list, *out;
	char line[1024];
	unsigned line_no = 0;
	int err = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: mkinitramfs LIST OUTPUT\n");
		return 2;
	}
	list = fopen(argv[1], "r");
	out = fopen(argv[2], "wb");
	if (!list || !out) {
		fprintf(stderr, "mkinitramfs: cannot open %s: %s\n", !list ? argv[1] : argv[2],
			strerror(errno));
		return 1;
	}
	while (!err && fgets(line, sizeof(line), list))
		err = add_line(out, line, ++line_no);
	if (!err)
		err = header(out, "TRAILER!!!", 0, 0, 0, 0);
	fclose(list);
	if (fclose(out) || err) {
		fprintf(stderr, "mkinitramfs: writing %s failed\n", argv[2]);
		remove(argv[2]);
		return 1;
	}
	return 0;
}
