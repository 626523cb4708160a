/* SPDX-License-Identifier: Apache-2.0 */
/** A Ferry image's version from its file, see image_version.h. */
#include "tools/ferry/image_version.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/image_version.h"
#include "mig/hello.h"

#include "ferry_version.h"

/* An image with its debug information is a few MiB: more is no image. */
#define IMAGE_FILE_MAX (64u << 20)

static bool parse(const char *p, const char *end, struct image_version *v)
{
	const char *semi = memchr(p, ';', (size_t)(end - p));
	size_t len;

	if (!semi || (len = (size_t)(semi - p)) == 0 || len >= sizeof(v->version))
		return false;
	memcpy(v->version, p, len);
	v->version[len] = '\0';
	/* The rest is short and NUL-terminated in the file: sscanf stays inside it. */
	if (!memchr(semi, '\0', (size_t)(end - semi)))
		return false;
	return sscanf(semi, ";format=%u;oldest=%u;", &v->format, &v->oldest) == 2;
}

bool image_version_read(const char *path, struct image_version *v, char *err, size_t n)
{
	static const char mark[] = IMAGE_VERSION_MARK;
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0;
	bool found = false;

	memset(v, 0, sizeof(*v));
	if (!f) {
		snprintf(err, n, "cannot read %s: %s", path, strerror(errno));
		return false;
	}
	buf = malloc(IMAGE_FILE_MAX);
	if (buf)
		len = fread(buf, 1, IMAGE_FILE_MAX, f);
	fclose(f);
	for (size_t i = 0; buf && i + sizeof(mark) - 1 < len && !found; i++) {
		char *hit = memchr(buf + i, mark[0], len - i);

		if (!hit)
			break;
		i = (size_t)(hit - buf);
		if (len - i > sizeof(mark) - 1 && !memcmp(hit, mark, sizeof(mark) - 1))
			found = parse(hit + sizeof(mark) - 1, buf + len, v);
	}
	free(buf);
	if (!found)
		snprintf(err, n,
			 "%s holds no Ferry image version (not a Ferry image, or one older "
			 "than ferry --version)",
			 path);
	return found;
}

void image_version_tool(struct image_version *v)
{
	memset(v, 0, sizeof(*v));
	snprintf(v->version, sizeof(v->version), "%s", FERRY_VERSION_STRING);
	v->format = MIG_FORMAT_VERSION;
	v->oldest = MIG_FORMAT_OLDEST;
}

bool image_version_mismatch(const struct image_version *tool, const struct image_version *image,
			    char *out, size_t n)
{
	/* Two builds share a format when each writes one the other reads. */
	bool common = image->format >= tool->oldest && tool->format >= image->oldest;

	if (!common) {
		snprintf(out, n,
			 "the image writes stream format %u (reads %u to %u), this tool's build %u "
			 "(reads %u to %u): boards of the two cannot migrate to each other",
			 image->format, image->oldest, image->format, tool->format, tool->oldest,
			 tool->format);
		return true;
	}
	if (strcmp(tool->version, image->version) != 0) {
		snprintf(out, n,
			 "the image is version %s, this tool %s (rebuild: tools/run.sh build)",
			 image->version, tool->version);
		return true;
	}
	return false;
}

void image_version_warn(const char *who, const char *path)
{
	struct image_version tool, image;
	char why[512];

	image_version_tool(&tool);
	if (!image_version_read(path, &image, why, sizeof(why)) ||
	    image_version_mismatch(&tool, &image, why, sizeof(why)))
		fprintf(stderr, "%s: warning: %s\n", who, why);
}
