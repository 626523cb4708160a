# SPDX-License-Identifier: Apache-2.0
# Fuzzers of every parser of outside input. With clang they are libFuzzer
# targets that ctest runs for a bounded time from the committed corpus;
# otherwise they only replay the corpus.
set(FERRY_FUZZ_SECONDS 20 CACHE STRING "seconds each fuzzer runs under ctest")

function(ferry_fuzzer name source)
  set(target fuzz_${name})
  add_executable(${target} ${source} ${ARGN})
  target_include_directories(${target} PRIVATE ${CMAKE_SOURCE_DIR})
  target_include_directories(${target} SYSTEM PRIVATE ${FERRY_LIBFDT_DIR})
  target_compile_definitions(${target} PRIVATE ${FERRY_BOARD_DEFINITIONS})
  set(corpus ${CMAKE_SOURCE_DIR}/tests/fuzz/corpus/${name})
  set(work ${CMAKE_BINARY_DIR}/fuzz-corpus/${name})
  if(CMAKE_C_COMPILER_ID STREQUAL "Clang")
    target_compile_options(${target} PRIVATE -fsanitize=fuzzer)
    target_link_options(${target} PRIVATE -fsanitize=fuzzer)
    file(MAKE_DIRECTORY ${work} ${CMAKE_BINARY_DIR}/fuzz-findings)
    add_test(NAME ${module}.fuzz.${name}
      COMMAND $<TARGET_FILE:${target}> -max_total_time=${FERRY_FUZZ_SECONDS} -timeout=10
              -rss_limit_mb=2048 -print_final_stats=1
              -artifact_prefix=${CMAKE_BINARY_DIR}/fuzz-findings/${name}- ${work} ${corpus})
  else()
    target_sources(${target} PRIVATE ${CMAKE_SOURCE_DIR}/tests/fuzz/replay_main.c)
    add_test(NAME ${module}.fuzz.${name} COMMAND ${target} ${corpus})
  endif()
  set_tests_properties(${module}.fuzz.${name} PROPERTIES TIMEOUT 300)
endfunction()

set(module boot)
ferry_fuzzer(board_check tests/fuzz/fuzz_board_check.c
  system/board_check.c lib/format.c ${FERRY_BOARD_SOURCES} ${FERRY_LIBFDT_SOURCES})
ferry_fuzzer(bootargs tests/fuzz/fuzz_bootargs.c lib/bootargs.c)

set(module hyp)
ferry_fuzzer(vm_config tests/fuzz/fuzz_vm_config.c lib/vm_config.c lib/kv_text.c lib/format.c)
ferry_fuzzer(image tests/fuzz/fuzz_image.c hyp/image.c lib/format.c)
# The real device-package loader and its synchronization into a real VM (fake arch).
ferry_fuzzer(vm_package tests/fuzz/fuzz_vm_package.c tests/support/host_vm.c
  tests/support/host_console.c ${FERRY_HYP_HOST_SOURCES} ${FERRY_MIG_SOURCES})
target_link_libraries(fuzz_vm_package PRIVATE fdt_host pthread)
set(module vgic)
ferry_fuzzer(guest_mmio tests/fuzz/fuzz_guest_mmio.c
  hyp/vgic.c hyp/vgic_mmio.c hyp/vnet.c hyp/vnet_queue.c hyp/vpl011.c hyp/mmio.c lib/format.c)

set(module mig)
ferry_fuzzer(mig_section tests/fuzz/fuzz_mig_section.c
  mig/wire.c mig/section.c hyp/state_sections.c lib/format.c hyp/vgic.c hyp/vpl011.c)
ferry_fuzzer(mig_stream tests/fuzz/fuzz_mig_stream.c mig/wire.c mig/record.c mig/hello.c mig/page_sets.c
  mig/id_compat.c mig/ram_codec.c lib/format.c)
ferry_fuzzer(mig_checkpoint tests/fuzz/fuzz_mig_checkpoint.c mig/checkpoint.c mig/wire.c
  mig/ram_codec.c lib/format.c)
ferry_fuzzer(mig_engine tests/fuzz/fuzz_mig_engine.c tests/support/fake_vm.c ${FERRY_MIG_SOURCES}
  hyp/state_sections.c
  lib/format.c hyp/vgic.c hyp/vpl011.c)

set(module link)
ferry_fuzzer(link_config tests/fuzz/fuzz_link_config.c link/link_config.c lib/kv_text.c
  lib/format.c)
target_include_directories(fuzz_link_config SYSTEM PRIVATE ${FERRY_MBEDTLS_DIR}/include)

set(module mgmt)
ferry_fuzzer(mgmt_command tests/fuzz/fuzz_mgmt_command.c system/mgmt.c lib/json.c lib/json_out.c
  lib/format.c)
