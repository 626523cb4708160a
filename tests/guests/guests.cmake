# SPDX-License-Identifier: Apache-2.0
# Bare-metal EL1 test guests, cross-compiled with the board toolchain.
# Each checks one thing and prints "FERRY-TEST <name>: PASS|FAIL".
set(FERRY_GUESTS hello timer sgi fpsimd memory misbehave migrating migrating_idle
  migrating_zero migrating_fast migrating_hot migrating_long migrating_soak migrating_partition
  protect_work
  downtime_dirty downtime_idle downtime_zero downtime_fast downtime_fast_spins net_lies)
add_library(guest_rt STATIC
  tests/guests/rt/start.S tests/guests/rt/vectors.S tests/guests/rt/rt.c lib/format.c)
target_include_directories(guest_rt PUBLIC ${CMAKE_SOURCE_DIR})
target_compile_options(guest_rt PRIVATE $<$<COMPILE_LANGUAGE:C>:${FERRY_WARNINGS}>)
foreach(g IN LISTS FERRY_GUESTS)
  add_executable(guest_${g}.elf tests/guests/${g}.c)
  target_include_directories(guest_${g}.elf PRIVATE ${CMAKE_SOURCE_DIR})
  target_compile_options(guest_${g}.elf PRIVATE ${FERRY_WARNINGS})
  target_link_options(guest_${g}.elf PRIVATE -nostdlib -nostartfiles -static
    -T ${CMAKE_SOURCE_DIR}/tests/guests/rt/guest.ld -Wl,--build-id=none -Wl,--no-warn-rwx-segments)
  target_link_libraries(guest_${g}.elf PRIVATE guest_rt ${FERRY_NEWLIB_DIR}/lib/libc.a ${FERRY_LIBGCC})
  set_target_properties(guest_${g}.elf PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/guests)
endforeach()

# Linux programs for the test initramfs (tests/guests/linux): no C library, Linux system calls.
foreach(p udp_echo heartbeat)
  add_executable(${p} tests/guests/linux/${p}.c)
  target_include_directories(${p} PRIVATE ${CMAKE_SOURCE_DIR})
  target_compile_options(${p} PRIVATE ${FERRY_WARNINGS} -ffreestanding -fno-stack-protector)
  target_link_options(${p} PRIVATE -nostdlib -nostartfiles -static -Wl,-e,_start
    -Wl,--build-id=none)
  set_target_properties(${p} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/guests)
endforeach()
