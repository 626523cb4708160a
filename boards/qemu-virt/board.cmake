# SPDX-License-Identifier: Apache-2.0
# Build settings of the QEMU virt board. QEMU places its DTB at the start of
# RAM only when the ELF is linked at or above RAM + 1 MiB: link at +2 MiB.
set(FERRY_IMAGE_BASE 0x40200000)
# The RAM Ferry keeps from the start of RAM (the DTB, the image, its heap):
# the linker refuses an image that does not fit.
set(FERRY_RAM_BASE 0x40000000)
set(FERRY_HYP_RESERVED 0x2000000)
set(FERRY_BOARD_SOURCES ${CMAKE_SOURCE_DIR}/boards/qemu-virt/board.c)
