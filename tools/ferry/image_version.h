/* SPDX-License-Identifier: Apache-2.0 */
/**
 * A Ferry image's version, read from its file (lib/image_version.h), and
 * how it compares with this tool's: `ferry --version`, and the warning
 * `ferry run` and `ferry boot` give before they start an image of
 * another version.
 */
#ifndef TOOLS_FERRY_IMAGE_VERSION_H
#define TOOLS_FERRY_IMAGE_VERSION_H

#include <stdbool.h>
#include <stddef.h>

struct image_version {
	char version[64];
	unsigned format, oldest; /**< the stream formats it writes, and reads back to */
};

/** Reads path's version; false with err (not readable, or no version in it). */
bool image_version_read(const char *path, struct image_version *v, char *err, size_t n);

/** This tool's own. */
void image_version_tool(struct image_version *v);

/**
 * What is wrong between the tool and an image, in words (out, n bytes),
 * or false when they agree: another version, or no stream format in common.
 */
bool image_version_mismatch(const struct image_version *tool, const struct image_version *image,
			    char *out, size_t n);

/** Warns on stderr ("WHO: warning: ...") when the image at path is not of this tool's build. */
void image_version_warn(const char *who, const char *path);

#endif
