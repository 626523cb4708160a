# SPDX-License-Identifier: Apache-2.0
# The host build: unit tests of hyp/, mig/ and arch pure code under ASan and
# UBSan, fuzzers (with clang), the ferry tool, the QEMU integration tests,
# and the board image as a sub-build with the cross toolchain.
include(CTest)
include(ExternalProject)

option(FERRY_SANITIZE "build host code with ASan and UBSan" ON)
option(FERRY_BUILD_BOARD "build the board image too" ON)

if(FERRY_SANITIZE)
  set(FERRY_SAN_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_compile_options(${FERRY_SAN_FLAGS})
  add_link_options(${FERRY_SAN_FLAGS})
endif()
if(NOT CMAKE_BUILD_TYPE)
  set(CMAKE_BUILD_TYPE RelWithDebInfo)
endif()

find_path(CMOCKA_INCLUDE_DIR cmocka.h)
find_library(CMOCKA_LIBRARY cmocka)
if(NOT CMOCKA_INCLUDE_DIR OR NOT CMOCKA_LIBRARY)
  message(FATAL_ERROR "cmocka not found: run tools/setup.sh (or apt-get install libcmocka-dev)")
endif()

# --- libraries ----------------------------------------------------------------
ferry_add_fdt(fdt_host)
# mbedtls with Ferry's configuration, for host tests and tools of the link.
ferry_add_mbedtls(mbedtls_host)
# its entropy source on the host: the kernel's (on the board: RNDR)
target_sources(mbedtls_host PRIVATE link/entropy_host.c)

# The arch-neutral code that runs in the hypervisor, built for the host:
# lib/, every file of hyp/ (the VM core: vCPU run loop and exits, PSCI,
# system registers, pausing, the migration back end and its device
# package), and the host-testable parts of the board program (the board
# check, the management protocol), over the fake arch of tests/fake_arch.
set(FERRY_HYP_HOST_SOURCES ${FERRY_LIB_SOURCES} ${FERRY_HYP_SOURCES}
  system/board_check.c system/mgmt.c
  arch/arm64/esr.c arch/arm64/s2_pte.c arch/arm64/vcpu_exit.c
  tests/fake_arch/fake_arch.c tests/fake_arch/fake_cpu.c tests/fake_arch/fake_vcpu.c
  tests/fake_arch/fake_mmu.c tests/fake_arch/fake_guest.c tests/fake_arch/fake_id_regs.c
  ${FERRY_BOARD_SOURCES})
add_library(hyp_host STATIC ${FERRY_HYP_HOST_SOURCES})
target_include_directories(hyp_host PUBLIC ${CMAKE_SOURCE_DIR})
target_compile_definitions(hyp_host PUBLIC ${FERRY_BOARD_DEFINITIONS})
target_compile_options(hyp_host PRIVATE ${FERRY_WARNINGS})
target_link_libraries(hyp_host PUBLIC fdt_host pthread)

# The link (TLS, its configuration) over host sockets: the same code as on the board.
add_library(link_host STATIC link/tls.c link/link_config.c link/socket_io.c)
target_include_directories(link_host PUBLIC ${CMAKE_SOURCE_DIR})
target_compile_options(link_host PRIVATE ${FERRY_WARNINGS})
target_link_libraries(link_host PUBLIC hyp_host mbedtls_host)

# --- the ferry tool -------------------------------------------------------------
set(FERRY_BOARD_IMAGE ${CMAKE_BINARY_DIR}/board/ferry.elf)
add_library(ferry_tool_lib STATIC tools/ferry/qemu_cmdline.c tools/ferry/launch.c
  tools/ferry/creds.c tools/ferry/link_options.c tools/ferry/mgmt_client.c
  tools/ferry/migrate_view.c tools/ferry/migrate_session.c tools/ferry/unix_path.c
  tools/ferry/runtime_dir.c tools/ferry/lan_switch.c tools/ferry/image_version.c
  tools/ferry/background.c tools/ferry/json_line.c
  ${FERRY_BOARD_SOURCES})
target_include_directories(ferry_tool_lib PUBLIC ${CMAKE_SOURCE_DIR}
  PRIVATE ${CMAKE_BINARY_DIR}/generated)
target_compile_definitions(ferry_tool_lib PUBLIC ${FERRY_BOARD_DEFINITIONS})
target_compile_options(ferry_tool_lib PRIVATE ${FERRY_WARNINGS})
target_link_libraries(ferry_tool_lib PUBLIC link_host)
add_executable(ferry tools/ferry/main.c tools/ferry/cmd_boot.c tools/ferry/cmd_boards.c
  tools/ferry/cmd_run.c tools/ferry/cmd_creds.c tools/ferry/cmd_migrate.c tools/ferry/cmd_protect.c tools/ferry/cmd_demo.c
  tools/ferry/cmd_board.c tools/ferry/cmd_update.c tools/ferry/supervise.c tools/ferry/board_process.c
  tools/ferry/udp_flow.c
  tools/ferry/cmd_lan.c)
target_compile_definitions(ferry PRIVATE FERRY_DEFAULT_IMAGE="${FERRY_BOARD_IMAGE}"
  FERRY_BUILD_DIR="${CMAKE_BINARY_DIR}")
target_compile_options(ferry PRIVATE ${FERRY_WARNINGS})
# The LAN's host endpoint: Debian's libslirp (libslirp-dev), the user-mode TCP/IP of QEMU's -netdev user.
# (its .pc file asks for GLib's headers, which its own header does not need)
find_library(SLIRP_LIBRARY slirp REQUIRED)
find_path(SLIRP_INCLUDE_DIR slirp/libslirp.h REQUIRED)
target_include_directories(ferry SYSTEM PRIVATE ${SLIRP_INCLUDE_DIR})
target_link_libraries(ferry PRIVATE ferry_tool_lib ${SLIRP_LIBRARY})

add_executable(mkinitramfs tools/mkinitramfs/mkinitramfs.c)
target_compile_options(mkinitramfs PRIVATE ${FERRY_WARNINGS})

# --- the board image, cross-compiled ------------------------------------------------
if(FERRY_BUILD_BOARD)
  ExternalProject_Add(board
    SOURCE_DIR ${CMAKE_SOURCE_DIR}
    BINARY_DIR ${CMAKE_BINARY_DIR}/board
    CMAKE_ARGS -DCMAKE_TOOLCHAIN_FILE=${CMAKE_SOURCE_DIR}/cmake/toolchain-aarch64-none-elf.cmake
               -DFERRY_DEPS_DIR=${FERRY_DEPS_DIR} -DFERRY_BOARD=${FERRY_BOARD}
               -DCMAKE_BUILD_TYPE=Release
    CMAKE_GENERATOR ${CMAKE_GENERATOR}
    BUILD_ALWAYS ON
    BUILD_BYPRODUCTS ${CMAKE_BINARY_DIR}/board/guests/udp_echo
                     ${CMAKE_BINARY_DIR}/board/guests/heartbeat
    INSTALL_COMMAND ""
    USES_TERMINAL_BUILD ON)
endif()

# --- tests ------------------------------------------------------------------------
# Unit tests: one cmocka binary per module, named <module>.unit.<what>.
function(ferry_unit_test name source)
  string(REPLACE "." "_" target "test_${name}")
  add_executable(${target} ${source})
  target_include_directories(${target} SYSTEM PRIVATE ${CMOCKA_INCLUDE_DIR})
  target_compile_options(${target} PRIVATE ${FERRY_WARNINGS} -Wno-missing-prototypes)
  target_link_libraries(${target} PRIVATE ${ARGN} ${CMOCKA_LIBRARY})
  add_test(NAME ${name} COMMAND ${target})
  set_tests_properties(${name} PROPERTIES ENVIRONMENT "CMOCKA_MESSAGE_OUTPUT=stdout" TIMEOUT 60)
endfunction()

ferry_unit_test(hyp.unit.format tests/unit/test_format.c hyp_host)
ferry_unit_test(hyp.unit.page_alloc tests/unit/test_page_alloc.c hyp_host)
ferry_unit_test(hyp.unit.irq tests/unit/test_irq.c hyp_host)
ferry_unit_test(boot.unit.bootargs tests/unit/test_bootargs.c hyp_host)
ferry_unit_test(mgmt.unit.wall_clock tests/unit/test_wall_clock.c hyp_host)
ferry_unit_test(boot.unit.board_check tests/unit/test_board_check.c hyp_host)
target_compile_definitions(test_boot_unit_board_check PRIVATE FERRY_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
# The migration engine: plain C, the same files as in the hypervisor image.
add_library(mig_host STATIC ${FERRY_MIG_SOURCES})
target_include_directories(mig_host PUBLIC ${CMAKE_SOURCE_DIR})
target_compile_options(mig_host PRIVATE ${FERRY_WARNINGS})
target_link_libraries(mig_host PUBLIC hyp_host)
# hyp/vm_migrate_ops.c saves and loads the VM's state through mig/'s sections.
target_link_libraries(hyp_host PUBLIC mig_host)

# A real VM in a test: vm_init over host buffers, a thread per vCPU, the console captured;
# the VM core tests' fixture and the steps their guests share.
add_library(host_vm STATIC tests/support/host_vm.c tests/support/host_console.c
  tests/support/guest_vm.c tests/support/guest_steps.c)
target_include_directories(host_vm SYSTEM PRIVATE ${CMOCKA_INCLUDE_DIR})
target_compile_options(host_vm PRIVATE ${FERRY_WARNINGS})
target_link_libraries(host_vm PUBLIC hyp_host)

# The VM core on a real struct vm over the fake arch, vCPUs on threads acting as CPUs.
ferry_unit_test(hyp.unit.vcpu_exits tests/unit/test_vcpu_exits.c host_vm)
ferry_unit_test(hyp.unit.psci tests/unit/test_psci.c host_vm)
ferry_unit_test(hyp.unit.sysreg tests/unit/test_sysreg.c host_vm)
ferry_unit_test(hyp.unit.vm_pause tests/unit/test_vm_pause.c host_vm)
ferry_unit_test(hyp.unit.vm_migrate_ops tests/unit/test_vm_migrate_ops.c host_vm)
ferry_unit_test(hyp.unit.vm_package tests/unit/test_vm_package.c host_vm)

ferry_unit_test(mig.unit.section tests/unit/test_mig_section.c mig_host)
ferry_unit_test(mig.unit.record tests/unit/test_mig_record.c mig_host)
ferry_unit_test(mig.unit.lease tests/unit/test_lease.c mig_host)
ferry_unit_test(mig.unit.ram tests/unit/test_mig_ram.c mig_host)
ferry_unit_test(mig.unit.checkpoint tests/unit/test_mig_checkpoint.c mig_host)
ferry_unit_test(mig.unit.engine tests/unit/test_mig_engine.c mig_host)
target_sources(test_mig_unit_engine PRIVATE tests/support/fake_vm.c tests/support/fake_link.c
  tests/support/fake_migration.c)
target_link_libraries(test_mig_unit_engine PRIVATE pthread)
# The fault matrix (every fault kind at every point): a test per mode, beside the rest.
set_tests_properties(mig.unit.engine PROPERTIES
  ENVIRONMENT "CMOCKA_MESSAGE_OUTPUT=stdout;FERRY_TEST_FILTER=-test_faults_*")
foreach(group precopy_one_flight precopy_confirmed postcopy_one_flight postcopy_confirmed)
  add_test(NAME mig.unit.engine_faults_${group} COMMAND test_mig_unit_engine)
  set_tests_properties(mig.unit.engine_faults_${group} PROPERTIES TIMEOUT 60
    ENVIRONMENT "CMOCKA_MESSAGE_OUTPUT=stdout;FERRY_TEST_FILTER=test_faults_${group}_*")
endforeach()
ferry_unit_test(mig.unit.protect tests/unit/test_mig_protect.c mig_host)
target_sources(test_mig_unit_protect PRIVATE tests/support/fake_vm.c tests/support/fake_link.c
  tests/support/fake_migration.c)
target_link_libraries(test_mig_unit_protect PRIVATE pthread)
# Each end of the migration against a scripted, hostile peer.
ferry_unit_test(mig.unit.hostile_peer tests/unit/test_mig_hostile_peer.c mig_host)
target_sources(test_mig_unit_hostile_peer PRIVATE tests/support/script_peer.c
  tests/support/fake_vm.c tests/support/fake_link.c tests/support/fake_migration.c)
target_link_libraries(test_mig_unit_hostile_peer PRIVATE pthread)
ferry_unit_test(mgmt.unit.protocol tests/unit/test_mgmt.c hyp_host)
ferry_unit_test(vgic.unit.model tests/unit/test_vgic.c hyp_host)
ferry_unit_test(hyp.unit.s2 tests/unit/test_s2.c hyp_host)
ferry_unit_test(hyp.unit.vm_config tests/unit/test_vm_config.c hyp_host)
ferry_unit_test(hyp.unit.vnet tests/unit/test_vnet.c hyp_host)
ferry_unit_test(hyp.unit.image tests/unit/test_image.c hyp_host)
ferry_unit_test(arch.unit.esr tests/unit/test_esr.c hyp_host)
ferry_unit_test(arch.unit.pte tests/unit/test_pte.c hyp_host)
ferry_unit_test(tools.unit.qemu_cmdline tests/unit/test_qemu_cmdline.c ferry_tool_lib)
ferry_unit_test(tools.unit.creds tests/unit/test_creds.c ferry_tool_lib)
ferry_unit_test(tools.unit.link_options tests/unit/test_link_options.c ferry_tool_lib)
ferry_unit_test(tools.unit.launch tests/unit/test_launch.c ferry_tool_lib)
ferry_unit_test(tools.unit.runtime_dir tests/unit/test_runtime_dir.c ferry_tool_lib)
ferry_unit_test(tools.unit.image_version tests/unit/test_image_version.c ferry_tool_lib)
ferry_unit_test(tools.unit.view tests/unit/test_view.c ferry_tool_lib)
if(FERRY_BUILD_BOARD)
  # The tool and the image it launches are of one build: no warning.
  add_test(NAME tools.cli.version COMMAND ferry --version --image ${FERRY_BOARD_IMAGE})
  set_tests_properties(tools.cli.version PROPERTIES FAIL_REGULAR_EXPRESSION "warning|unknown")
  add_test(NAME tools.cli.version_json COMMAND sh -c "$<TARGET_FILE:ferry> --version --json --image \
${FERRY_BOARD_IMAGE} | /usr/bin/python3 -c 'import json, sys; d = json.load(sys.stdin); \
assert d[\"image\"][\"version\"] == d[\"tool\"][\"version\"] and \"warning\" not in d, d'")
  # A bad VM configuration refused on the host, before QEMU (docs/running-guests.md).
  add_test(NAME tools.cli.run_checks COMMAND ${CMAKE_SOURCE_DIR}/tests/support/cli_checks.sh
    $<TARGET_FILE:ferry> ${FERRY_BOARD_IMAGE} ${CMAKE_BINARY_DIR}/board/guests/guest_hello.elf)
endif()
# A board that cannot be reached: nothing was asked, the VM is where it was (exit 1, not 4).
add_test(NAME tools.cli.migrate_unreachable COMMAND sh -c
  "$<TARGET_FILE:ferry> migrate --mgmt /nonexistent/ferry.mgmt --peer b; test $? = 1")
# `ferry creds --json`: what was made, where `ferry run --link` and `--mgmt-token` take it.
add_test(NAME tools.cli.creds_json COMMAND sh -c "d=$(mktemp -d /tmp/fc.XXXXXX) && \
$<TARGET_FILE:ferry> creds --json $d/c a b > $d/out.json && /usr/bin/python3 -c 'import json, os, sys; \
d = json.load(open(sys.argv[1])); b = d[\"boards\"]; \
assert d[\"credentials\"] == \"psk\" and [x[\"role\"] for x in b] == [\"listen\", \"connect\"], d; \
assert all(os.path.isfile(x[\"link\"] + \"/link.conf\") and os.path.isfile(x[\"mgmt-token\"]) for x in b), d' \
$d/out.json; rc=$?; rm -rf $d; exit $rc")
# `ferry boards --json` without boards: the kinds it launches, as JSON.
add_test(NAME tools.cli.boards_json COMMAND sh -c "$<TARGET_FILE:ferry> boards --json | \
/usr/bin/python3 -c 'import json, sys; d = json.load(sys.stdin); assert d[\"kind\"] == \"qemu-virt\", d'")
ferry_unit_test(tools.unit.lan_switch tests/unit/test_lan_switch.c ferry_tool_lib)
# Socket paths: through the library, and through the tool's commands as a user runs them.
ferry_unit_test(tools.unit.socket_path tests/unit/test_socket_path.c ferry_tool_lib)
target_compile_definitions(test_tools_unit_socket_path PRIVATE FERRY_TOOL="$<TARGET_FILE:ferry>")
add_dependencies(test_tools_unit_socket_path ferry)
ferry_unit_test(link.unit.tls tests/unit/test_link_tls.c ferry_tool_lib)
target_sources(test_link_unit_tls PRIVATE tests/support/link_pair.c)
target_link_libraries(test_link_unit_tls PRIVATE pthread)

# Benchmarks: only in a build without sanitizers (preset "bench").
if(NOT FERRY_SANITIZE)
  add_executable(bench_mig_engine bench/mig_engine.c tests/support/fake_vm.c
    tests/support/fake_link.c tests/support/fake_migration.c)
  target_compile_options(bench_mig_engine PRIVATE ${FERRY_WARNINGS})
  target_link_libraries(bench_mig_engine PRIVATE mig_host pthread)
endif()

include(${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz.cmake)
if(FERRY_BUILD_BOARD)
  include(${CMAKE_SOURCE_DIR}/tests/qemu/qemu.cmake)
endif()

# Style: the project's C files must be clang-formatted.
add_test(NAME style.clang_format COMMAND ${CMAKE_SOURCE_DIR}/tools/format.sh --check)
# A file's folder says what it may include (docs/architecture.md, "Folders"); no cycle.
add_test(NAME style.layering COMMAND ${CMAKE_SOURCE_DIR}/tools/layering.sh)
add_custom_target(format COMMAND ${CMAKE_SOURCE_DIR}/tools/format.sh WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})

# The console driver of the interactive tests: a command that exits between
# two steps still has its last lines read and its exit code checked.
add_test(NAME tests.unit.interact_exits_early
  COMMAND ${CMAKE_SOURCE_DIR}/tests/qemu/interact.sh --wait "^first$" --sleep 0.3 --rc 3
    -- bash -c "echo first; echo last; exit 3")
set_tests_properties(tests.unit.interact_exits_early PROPERTIES PASS_REGULAR_EXPRESSION
  "last\n---- verdict: passed ----")

# The emulated Ethernet between two boards, with faults (link tests).
add_executable(frame_relay tests/support/frame_relay.c)
target_compile_options(frame_relay PRIVATE ${FERRY_WARNINGS})

# The guests' LAN (`ferry lan`): stand-in boards and a stand-in guest behind
# it, the host's UDP forward answered once per datagram, before and after
# the guest moves to the other board.
add_test(NAME tools.lan.host_endpoint COMMAND /usr/bin/python3
  ${CMAKE_SOURCE_DIR}/tests/support/lan_check.py $<TARGET_FILE:ferry>)
set_tests_properties(tools.lan.host_endpoint PROPERTIES TIMEOUT 60
  PASS_REGULAR_EXPRESSION "PASS: 100 datagrams")
