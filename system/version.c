/* SPDX-License-Identifier: Apache-2.0 */
/** This image's version, where the host tool reads it from the file (lib/image_version.h). */
#include "lib/image_version.h"
#include "mig/hello.h"

#include "ferry_version.h"

#define STR_(x) #x
#define STR(x)	STR_(x)

/* Kept by the linker script (KEEP .rodata.ferry_version) though no code reads it. */
__attribute__((used, section(".rodata.ferry_version"))) const char ferry_image_version[] =
	IMAGE_VERSION_MARK FERRY_VERSION_STRING
	";format=" STR(MIG_FORMAT_VERSION) ";oldest=" STR(MIG_FORMAT_OLDEST) ";";
