# SPDX-License-Identifier: Apache-2.0
# The hypervisor image for the board: project code, libfdt, mbedtls and
# lwIP built freestanding against newlib, linked at the board's address.
ferry_require(${FERRY_NEWLIB_DIR}/lib/libc.a "newlib for aarch64-none-elf")
ferry_require(${FERRY_LWIP_DIR}/src/core/tcp.c "lwIP 2.2 source")

execute_process(COMMAND ${CMAKE_C_COMPILER} -print-file-name=include
                OUTPUT_VARIABLE FERRY_GCC_INCLUDE OUTPUT_STRIP_TRAILING_WHITESPACE)
execute_process(COMMAND ${CMAKE_C_COMPILER} -print-libgcc-file-name
                OUTPUT_VARIABLE FERRY_LIBGCC OUTPUT_STRIP_TRAILING_WHITESPACE)

# Everything for the board: no glibc headers, no PIC, no outline atomics
# (their run-time check needs getauxval), frame pointers for backtraces.
# The cross compiler is Linux's: its "this is Unix" macros are taken back,
# so that libraries do not reach for getpid(), gettimeofday() or getauxval()
# (newlib is built the same way, tools/setup.sh); FERRY_FREESTANDING tells
# the dependencies' configurations that this is the board.
# FP/SIMD is allowed at EL2: the guest's FP/SIMD state is saved on every
# entry from a guest (docs/architecture.md).
add_compile_options(
  -nostdinc "SHELL:-isystem ${FERRY_NEWLIB_DIR}/include" "SHELL:-isystem ${FERRY_GCC_INCLUDE}"
  -fno-pic -fno-pie -fno-stack-protector -mno-outline-atomics -fno-omit-frame-pointer
  -ffunction-sections -fdata-sections -g
  -U__linux__ -U__linux -Ulinux -U__gnu_linux__ -U__unix__ -U__unix -Uunix
  -DFERRY_FREESTANDING)
set(CMAKE_C_FLAGS_RELEASE "-O2")
if(NOT CMAKE_BUILD_TYPE)
  set(CMAKE_BUILD_TYPE Release)
endif()

# --- dependencies, with their own warnings silenced ---------------------------
ferry_add_fdt(fdt)
ferry_add_mbedtls(mbedtls)
# mbedtls for size (the image's budget, README), but for speed its
# per-record code (the AEADs the link's records go through) and P-256, the
# handshake's cost (bench/link.sh: its handshake times).
target_compile_options(mbedtls PRIVATE -Os)
set_source_files_properties(
  ${FERRY_MBEDTLS_DIR}/library/chacha20.c ${FERRY_MBEDTLS_DIR}/library/poly1305.c
  ${FERRY_MBEDTLS_DIR}/library/chachapoly.c ${FERRY_MBEDTLS_DIR}/library/gcm.c
  ${FERRY_MBEDTLS_DIR}/library/aesce.c ${FERRY_MBEDTLS_DIR}/library/aes.c
  ${FERRY_MBEDTLS_DIR}/3rdparty/p256-m/p256-m/p256-m.c
  TARGET_DIRECTORY mbedtls PROPERTIES COMPILE_OPTIONS -O2)

set(_lw ${FERRY_LWIP_DIR}/src)
add_library(lwip STATIC
  ${_lw}/core/init.c ${_lw}/core/def.c ${_lw}/core/inet_chksum.c ${_lw}/core/ip.c
  ${_lw}/core/mem.c ${_lw}/core/memp.c ${_lw}/core/netif.c ${_lw}/core/pbuf.c
  ${_lw}/core/stats.c ${_lw}/core/sys.c ${_lw}/core/tcp.c ${_lw}/core/tcp_in.c
  ${_lw}/core/tcp_out.c ${_lw}/core/timeouts.c
  ${_lw}/core/ipv4/etharp.c ${_lw}/core/ipv4/icmp.c ${_lw}/core/ipv4/ip4.c
  ${_lw}/core/ipv4/ip4_addr.c ${_lw}/core/ipv4/ip4_frag.c
  ${_lw}/netif/ethernet.c)
target_include_directories(lwip SYSTEM PUBLIC ${_lw}/include ${CMAKE_SOURCE_DIR}/deps/lwip)
target_compile_options(lwip PRIVATE -w -Os)
# lwIP for size too, but for speed all the code a segment of the link
# passes through: with only checksums, pbufs and TCP's input and output at
# -O2, plain TCP between two boards fell from 98 to 58 MB/s (bench/link.sh,
# 3 interleaved rounds, medians; TLS, the link's limit, 22 against 20); with
# the files below but the last line's, 68 against 75 (TLS 21 against 20),
# within this host's noise; the last line's are per segment too.
set_source_files_properties(${_lw}/core/inet_chksum.c ${_lw}/core/pbuf.c ${_lw}/core/tcp_in.c
  ${_lw}/core/tcp_out.c ${_lw}/core/tcp.c ${_lw}/core/ip.c ${_lw}/core/ipv4/ip4.c
  ${_lw}/core/ipv4/etharp.c ${_lw}/netif/ethernet.c ${_lw}/core/mem.c ${_lw}/core/memp.c
  ${_lw}/core/netif.c ${_lw}/core/def.c ${_lw}/core/ipv4/ip4_addr.c ${_lw}/core/timeouts.c
  TARGET_DIRECTORY lwip PROPERTIES COMPILE_OPTIONS -O2)

# --- the image -------------------------------------------------------------------
# The board's control plane for size too: it answers commands and sets
# migrations up; nothing in it runs per page, per frame or per exit.
set_source_files_properties(system/board_check.c system/control.c system/link_boot.c
  system/mgmt.c system/vm_boot.c lib/json.c lib/json_out.c PROPERTIES COMPILE_OPTIONS -Os)
set(FERRY_IMAGE_SOURCES ${FERRY_ARCH_SOURCES} ${FERRY_DRIVER_SOURCES} ${FERRY_LIB_SOURCES}
  ${FERRY_HYP_SOURCES} ${FERRY_MIG_SOURCES} ${FERRY_LINK_SOURCES} ${FERRY_LINK_BOARD_SOURCES}
  ${FERRY_SYSTEM_SOURCES} ${FERRY_BOARD_SOURCES})

configure_file(arch/arm64/ferry.ld.in ${CMAKE_BINARY_DIR}/ferry.ld @ONLY)
add_executable(ferry.elf ${FERRY_IMAGE_SOURCES})
target_include_directories(ferry.elf PRIVATE ${CMAKE_SOURCE_DIR} ${CMAKE_BINARY_DIR}/generated)
target_compile_definitions(ferry.elf PRIVATE ${FERRY_BOARD_DEFINITIONS})
target_compile_options(ferry.elf PRIVATE $<$<COMPILE_LANGUAGE:C>:${FERRY_WARNINGS}>)
target_link_options(ferry.elf PRIVATE
  -nostdlib -nostartfiles -static -T ${CMAKE_BINARY_DIR}/ferry.ld
  -Wl,--build-id=none -Wl,--gc-sections -Wl,-Map=${CMAKE_BINARY_DIR}/ferry.map -Wl,--no-warn-rwx-segments)
set_target_properties(ferry.elf PROPERTIES LINK_DEPENDS ${CMAKE_BINARY_DIR}/ferry.ld)
target_link_libraries(ferry.elf PRIVATE fdt mbedtls lwip
  ${FERRY_NEWLIB_DIR}/lib/libc.a ${FERRY_LIBGCC})

# The next release's stream format, as a test of the version window
# (mig/hello.h, FERRY_FORMAT_NEXT): the same image, one format newer.
add_executable(ferry-next.elf ${FERRY_IMAGE_SOURCES})
target_include_directories(ferry-next.elf PRIVATE ${CMAKE_SOURCE_DIR}
  ${CMAKE_BINARY_DIR}/generated)
target_compile_definitions(ferry-next.elf PRIVATE FERRY_FORMAT_NEXT ${FERRY_BOARD_DEFINITIONS})
target_compile_options(ferry-next.elf PRIVATE $<$<COMPILE_LANGUAGE:C>:${FERRY_WARNINGS}>)
target_link_options(ferry-next.elf PRIVATE
  -nostdlib -nostartfiles -static -T ${CMAKE_BINARY_DIR}/ferry.ld
  -Wl,--build-id=none -Wl,--gc-sections -Wl,--no-warn-rwx-segments)
set_target_properties(ferry-next.elf PROPERTIES LINK_DEPENDS ${CMAKE_BINARY_DIR}/ferry.ld)
target_link_libraries(ferry-next.elf PRIVATE fdt mbedtls lwip
  ${FERRY_NEWLIB_DIR}/lib/libc.a ${FERRY_LIBGCC})

# Licences of what the image contains, shipped next to it.
add_custom_command(TARGET ferry.elf POST_BUILD
  COMMAND ${CMAKE_COMMAND} -E copy_directory ${FERRY_DEPS_DIR}/licenses ${CMAKE_BINARY_DIR}/licenses
  COMMAND ${CMAKE_SIZE} ferry.elf
  WORKING_DIRECTORY ${CMAKE_BINARY_DIR} VERBATIM)
include(${CMAKE_SOURCE_DIR}/tests/guests/guests.cmake)
