/* SPDX-License-Identifier: Apache-2.0 */
/**
 * How a Ferry image states its version inside its file, for the host tool
 * to read without running it (ferry --version): the mark, then
 * "VERSION;format=N;oldest=M;" (the stream formats it writes and reads,
 * mig/hello.h). system/version.c writes it.
 */
#ifndef LIB_IMAGE_VERSION_H
#define LIB_IMAGE_VERSION_H

#define IMAGE_VERSION_MARK "ferry-image-version:"

#endif
