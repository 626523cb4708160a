# SPDX-License-Identifier: Apache-2.0
# The migration engine's files: the same list for the board image and the host build.
set(FERRY_MIG_SOURCES
  mig/channel.c mig/dest.c mig/dest_postcopy.c mig/hello.c mig/id_compat.c mig/page_sets.c
  mig/precopy_policy.c mig/ram_codec.c mig/record.c mig/section.c mig/source.c
  mig/source_postcopy.c mig/source_switchover.c mig/state_sections.c mig/wire.c)
