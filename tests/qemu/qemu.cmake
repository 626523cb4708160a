# SPDX-License-Identifier: Apache-2.0
# Integration tests that boot the real image on the emulated board and judge
# it by QEMU's exit code (Ferry's verdict via semihosting) and its console.
set(FERRY_EXPECT ${CMAKE_SOURCE_DIR}/tests/qemu/expect.sh)

# The whole image (with migration, TLS, TCP) within 384 KiB loaded.
add_test(NAME boot.size.image COMMAND ${CMAKE_SOURCE_DIR}/tests/image_size.sh
  aarch64-linux-gnu-size ${CMAKE_BINARY_DIR}/board/ferry.elf 393216)

# A test that runs any ferry subcommand: CMD <subcommand> <args...>
function(ferry_qemu_test_cmd name)
  cmake_parse_arguments(T "" "RC" "CMD;EXPECT;REJECT" ${ARGN})
  set(args --rc ${T_RC} --timeout 200)
  foreach(re IN LISTS T_EXPECT)
    list(APPEND args --expect ${re})
  endforeach()
  foreach(re IN LISTS T_REJECT)
    list(APPEND args --reject ${re})
  endforeach()
  add_test(NAME ${name} COMMAND ${FERRY_EXPECT} ${args} -- $<TARGET_FILE:ferry> ${T_CMD})
  set_tests_properties(${name} PROPERTIES TIMEOUT 90 LABELS qemu)
endfunction()

function(ferry_qemu_test name)
  cmake_parse_arguments(T "" "RC" "BOOT;EXPECT;REJECT" ${ARGN})
  ferry_qemu_test_cmd(${name} RC ${T_RC} CMD boot ${T_BOOT} EXPECT ${T_EXPECT} REJECT ${T_REJECT})
endfunction()


ferry_qemu_test(boot.qemu.banner RC 0
  BOOT --semihosting
  EXPECT "^Ferry [0-9]+\\.[0-9]+\\.[0-9]+"
         "board +qemu-virt, EL2, [0-9]+-bit PA"
         "RAM +1024 MiB at 0x40000000"
         "GICv3 +GICD 0x8000000, IIDR 0x[0-9a-f]+, [0-9]+ INTIDs, 4 list registers, 5 priority bits"
         "timer +62\\.500 MHz"
         "^No VM configured: powering off"
  REJECT "PANIC" "board: ")

ferry_qemu_test(boot.qemu.smp RC 0
  BOOT --semihosting --cpus 4
  EXPECT "CPUs +4 \\(of 4 in the device tree\\)"
         "^cpu0: online, timer interrupt after [0-9]+ us"
         "^cpu1: online, timer interrupt after [0-9]+ us"
         "^cpu2: online, timer interrupt after [0-9]+ us"
         "^cpu3: online, timer interrupt after [0-9]+ us"
         "^Ferry ready: 4/4 CPUs online"
  REJECT "did not" "PANIC")

ferry_qemu_test(boot.qemu.single_cpu RC 0
  BOOT --semihosting --cpus 1
  EXPECT "^Ferry ready: 1/1 CPUs online"
  REJECT "cpu1")

ferry_qemu_test(boot.qemu.crash_report RC 3
  BOOT --semihosting --ferry ferry.test=crash
  EXPECT "^FERRY PANIC on cpu0: synchronous exception at EL2"
         "ESR_EL2 +0x97c08005: Data Abort \\(same EL\\), translation fault level 1, read of 8 bytes via x0"
         "FAR_EL2 +0x0000007f00000000"
         "ELR_EL2 +0x0000000040[0-9a-f]+ \\(in Ferry\\)"
         "x30 0x[0-9a-f]{16}"
         "backtrace: 0x40[0-9a-f]+"
         "^FERRY PANIC: stopping the board"
  REJECT "No VM configured")

ferry_qemu_test(boot.qemu.too_little_ram RC 2
  BOOT --semihosting --mem 128
  EXPECT "^board: RAM is 128 MiB, Ferry needs at least 256 MiB"
         "^Ferry: this board is not qemu-virt \\(1 problems\\): stopping"
  REJECT "Ferry ready")

# Without semihosting Ferry powers off through PSCI SYSTEM_OFF: QEMU exits 0,
# and the tool exits with the verdict Ferry printed last (tools/ferry/launch.c).
ferry_qemu_test(boot.qemu.psci_power_off RC 0
  BOOT
  EXPECT "^Ferry ready: 2/2 CPUs online" "^No VM configured: powering off"
         "^Ferry: powered off, exit code 0")
ferry_qemu_test(boot.qemu.verdict_without_semihosting RC 3
  BOOT --ferry ferry.test=crash
  EXPECT "^FERRY PANIC: stopping the board" "^Ferry: powered off, exit code 3")

# Bare-metal guests (tests/guests/), each on 1 and 2 vCPUs, under Ferry and,
# as the reference that the guest sees a standard machine, directly on QEMU.
set(FERRY_GUEST_DIR ${CMAKE_BINARY_DIR}/board/guests)
foreach(entry hyp:hello vgic:timer vgic:sgi hyp:fpsimd hyp:memory hyp:misbehave)
  string(REPLACE ":" ";" parts ${entry})
  list(GET parts 0 module)
  list(GET parts 1 g)
  foreach(n 1 2)
    ferry_qemu_test_cmd(${module}.qemu.guest_${g}_${n}vcpu RC 0
      CMD run --guest ${FERRY_GUEST_DIR}/guest_${g}.elf --vcpus ${n} --semihosting
      EXPECT "^vm0\\| FERRY-TEST ${g}: PASS" "^vm0: powered off by the guest"
      REJECT "FAIL" "PANIC")
    ferry_qemu_test_cmd(${module}.qemu.direct_${g}_${n}vcpu RC 0
      CMD run --direct --guest ${FERRY_GUEST_DIR}/guest_${g}.elf --vcpus ${n}
      EXPECT "^FERRY-TEST ${g}: PASS"
      REJECT "FAIL")
  endforeach()
endforeach()

# A guest whose network driver lies about its rings, on `ferry lan`: the device stops at each
# lie and the board runs on (tests/support/lan_lies.py, tests/guests/net_lies.c).
add_test(NAME hyp.qemu.net_lies COMMAND /usr/bin/python3 ${CMAKE_SOURCE_DIR}/tests/support/lan_lies.py
  $<TARGET_FILE:ferry> ${FERRY_GUEST_DIR}/guest_net_lies.elf)
set_tests_properties(hyp.qemu.net_lies PROPERTIES TIMEOUT 120 LABELS qemu)

# An unmodified Debian arm64 kernel with a busybox initramfs (tools/setup.sh
# fetches both), under Ferry on 1 and 2 vCPUs, and directly on QEMU.
set(FERRY_LINUX_DIR ${FERRY_DEPS_DIR}/guests/linux)
if(EXISTS ${FERRY_LINUX_DIR}/Image)
  set(BUSYBOX ${FERRY_LINUX_DIR}/busybox)
  set(FERRY_LINUX_MODULES ${FERRY_LINUX_DIR}/modules)
  set(FERRY_UDP_ECHO ${FERRY_GUEST_DIR}/udp_echo)
  set(FERRY_HEARTBEAT ${FERRY_GUEST_DIR}/heartbeat)
  set(INIT ${CMAKE_SOURCE_DIR}/tests/guests/linux/init)
  configure_file(${CMAKE_SOURCE_DIR}/tests/guests/linux/initramfs.list.in
                 ${CMAKE_BINARY_DIR}/guests/initramfs.list @ONLY)
  set(FERRY_LINUX_INITRD ${CMAKE_BINARY_DIR}/guests/initramfs.cpio)
  add_custom_command(OUTPUT ${FERRY_LINUX_INITRD}
    COMMAND mkinitramfs ${CMAKE_BINARY_DIR}/guests/initramfs.list ${FERRY_LINUX_INITRD}
    DEPENDS mkinitramfs ${CMAKE_BINARY_DIR}/guests/initramfs.list ${INIT} ${BUSYBOX}
            ${FERRY_LINUX_MODULES}/virtio_net.ko ${FERRY_UDP_ECHO} ${FERRY_HEARTBEAT}
    COMMENT "initramfs for the Linux guest")
  add_custom_target(linux_initramfs ALL DEPENDS ${FERRY_LINUX_INITRD})
  set(linux_expect
      "FERRY-LINUX: Linux [0-9.]+-[0-9]+-arm64 up, N CPUs online"
      "FERRY-LINUX: command output: HELLO FROM THE GUEST"
      "FERRY-LINUX: timer ok")
  foreach(n 1 2)
    string(REPLACE "N CPUs" "${n} CPUs" want "${linux_expect}")
    ferry_qemu_test_cmd(hyp.qemu.linux_${n}vcpu RC 0
      CMD run --guest ${FERRY_LINUX_DIR}/Image --initrd ${FERRY_LINUX_INITRD} --mem 512M
          --vcpus ${n} --append "console=ttyAMA0 ferry.check" --semihosting
      EXPECT ${want} "^vm0: powered off by the guest"
      REJECT "PANIC" "Kernel panic" "reported once")
    set_tests_properties(hyp.qemu.linux_${n}vcpu PROPERTIES TIMEOUT 240 RESOURCE_LOCK linux)
  endforeach()
  # Debian's own virtio_net driving the guest's network device on `ferry lan`: UDP
  # datagrams answered once each, 1 MiB over TCP arriving whole (tests/support/lan_guest.py).
  add_test(NAME e2e.qemu.lan_linux COMMAND /usr/bin/python3
    ${CMAKE_SOURCE_DIR}/tests/support/lan_guest.py $<TARGET_FILE:ferry> ${FERRY_LINUX_DIR}/Image
    ${FERRY_LINUX_INITRD})
  set_tests_properties(e2e.qemu.lan_linux PROPERTIES TIMEOUT 300 RESOURCE_LOCK linux
    LABELS qemu)
  # Migrated while the host sends it a datagram every millisecond: each answered once, in
  # order (the frames that reach the source after its stop passed on), then TCP arrives whole.
  foreach(mode precopy postcopy)
    add_test(NAME e2e.qemu.lan_migrate_${mode} COMMAND /usr/bin/python3
      ${CMAKE_SOURCE_DIR}/tests/support/lan_migrate.py $<TARGET_FILE:ferry>
      ${FERRY_LINUX_DIR}/Image ${FERRY_LINUX_INITRD} ${mode})
    set_tests_properties(e2e.qemu.lan_migrate_${mode} PROPERTIES TIMEOUT 400
      RESOURCE_LOCK "linux;board_pair" LABELS qemu)
  endforeach()
  # Typing on the board console reaches the guest's shell (emulated PL011 input).
  add_test(NAME hyp.qemu.linux_console_input
    COMMAND ${CMAKE_SOURCE_DIR}/tests/qemu/interact.sh
      --wait "built-in shell" --sleep 1 --send "echo typed-\$((40+2)) > /dev/console"
      --wait "[|] typed-42$" --send "poweroff -f"
      --wait "^vm0: powered off by the guest"
      -- $<TARGET_FILE:ferry> run --guest ${FERRY_LINUX_DIR}/Image --initrd ${FERRY_LINUX_INITRD}
         --mem 512M --vcpus 2 --append console=ttyAMA0 --semihosting)
  set_tests_properties(hyp.qemu.linux_console_input PROPERTIES TIMEOUT 240 LABELS qemu RESOURCE_LOCK linux)
  string(REPLACE "N CPUs" "2 CPUs" want "${linux_expect}")
  ferry_qemu_test_cmd(hyp.qemu.linux_direct_2vcpu RC 0
    CMD run --direct --guest ${FERRY_LINUX_DIR}/Image --initrd ${FERRY_LINUX_INITRD} --mem 512M
        --vcpus 2 --append "console=ttyAMA0 ferry.check"
    EXPECT ${want})
else()
  message(WARNING "no Linux test guest in ${FERRY_LINUX_DIR}: run tools/setup.sh")
endif()

# --- two boards: two QEMUs joined by the frame relay; one pair at a time --------------
function(ferry_pair_test test script)
  add_test(NAME ${test}
    COMMAND ${CMAKE_SOURCE_DIR}/tests/qemu/${script} --ferry $<TARGET_FILE:ferry>
            --relay $<TARGET_FILE:frame_relay> --work ${CMAKE_BINARY_DIR}/pair-tests/${test}
            ${ARGN})
  set_tests_properties(${test} PROPERTIES TIMEOUT 300 LABELS qemu RESOURCE_LOCK board_pair)
endfunction()

# The link (docs/link.md).
function(ferry_link_test name)
  ferry_pair_test(link.qemu.${name} link_pair.sh ${ARGN})
endfunction()

ferry_link_test(psk_transfer --bytes 32M --rc-a 0 --rc-b 0
  --expect-a "authenticated b over TLS1-3-CHACHA20-POLY1305-SHA256"
  --expect-a "received, checksum ok, 32768 KiB"
  --expect-b "sent, the peer confirmed the checksum, 32768 KiB")
ferry_link_test(cert_transfer --cert --bytes 16M --rc-a 0 --rc-b 0
  --expect-a "authenticated b over TLS1-3-CHACHA20-POLY1305-SHA256"
  --expect-a "received, checksum ok, 16384 KiB")
ferry_link_test(cert_aes_gcm --cert --aes-gcm --bytes 4M --rc-a 0 --rc-b 0
  --expect-a "authenticated b over TLS1-3-AES-128-GCM-SHA256"
  --expect-a "received, checksum ok")
ferry_link_test(wrong_psk --other-b psk --rc-a 1 --rc-b 1
  --expect-a "handshake: authentication failed: the peer does not hold the same pre-shared key"
  --expect-b "handshake: the peer (refused the handshake|closed the connection: it refused our credentials)")
ferry_link_test(untrusted_certificate --cert --other-b cert --rc-a 1 --rc-b 1
  --expect-a "handshake: the peer (refused the handshake|closed the connection: it refused our credentials|broke off the handshake .it refused our credentials)"
  --expect-b "handshake: the peer's certificate is not trusted")
ferry_link_test(plaintext_peer --relay-fault --plaintext --rc-a 1 --rc-b 1
  --expect-a "handshake: the peer (closed the connection|refused the handshake|broke off the handshake)"
  --expect-b "handshake: the peer does not speak TLS")
ferry_link_test(flipped_byte --relay-fault "--flip 1000000" --rc-a 1 --rc-b 1
  --expect-a "receive: a record failed its authentication check: forged or corrupted on the wire"
  --expect-b "send: the peer (closed the connection|ended the link with a fatal alert)")
ferry_link_test(cut_link --relay-fault "--cut 2000000" --rc-a 1 --rc-b 1
  --expect-a "receive: nothing from the peer for 2000 ms"
  --expect-b "send: the peer took nothing for 2000 ms")

# Live migration (docs/migration-protocol.md, "On the board").
function(ferry_migrate_test name)
  ferry_pair_test(e2e.qemu.${name} migrate_pair.sh ${ARGN})
endfunction()
set(MIGRATING ${CMAKE_BINARY_DIR}/board/guests/guest_migrating.elf)
set(MIGRATING_IDLE ${CMAKE_BINARY_DIR}/board/guests/guest_migrating_idle.elf)

# The guest checks its whole memory and its counter every 100 ms, wherever it runs.
ferry_migrate_test(precopy_dirtying --guest ${MIGRATING} --rc-src 0 --rc-dst 0
  --expect-src "migration report: downtime [0-9.]+ ms \\+- [0-9]+ us \\(stop to the destination's last vCPU in the guest\\)"
  --expect-src "migration report: admitted on a predicted downtime of [0-9]+ us \\(.*measured by a dry run right before the stop: .*destination [0-9]+ us\\), actual [0-9]+ us"
  --expect-src "Ferry: the VM left for the peer board"
  --reject-src "FERRY-TEST"
  --expect-dst "migration: the VM runs here" --expect-dst "FERRY-TEST migrating: PASS")
# Two vCPUs: vCPU 1's timer ticks every 5 ms and sends SGIs to vCPU 0; both must keep coming.
ferry_migrate_test(precopy_2vcpus_timer_sgi --guest ${MIGRATING} --vcpus 2 --rc-src 0 --rc-dst 0
  --expect-src "migration report: downtime" --reject-src "FERRY-TEST"
  --expect-dst "FERRY-TEST migrating: PASS")
# Postcopy: the VM moves at once, its memory follows; vCPUs wait only for pages they touch.
ferry_migrate_test(postcopy_2vcpus_timer_sgi --guest ${MIGRATING} --vcpus 2 --mode postcopy
  --rc-src 0 --rc-dst 0
  --expect-src "migration report: downtime" --reject-src "FERRY-TEST"
  --expect-dst "migration: postcopy: [1-9][0-9]* page faults served, waited [0-9]+ us on average"
  --expect-src "migration report: the guest's worst pause [0-9]+ us at most: the downtime, then how long it stood still on missing pages in postcopy, [0-9]+ us in all \\([1-9][0-9]* faults served"
  --expect-dst "FERRY-TEST migrating: PASS")
ferry_migrate_test(postcopy_idle --guest ${MIGRATING_IDLE} --mode postcopy --rc-src 0 --rc-dst 0
  --expect-src "migration report: downtime" --reject-src "FERRY-TEST"
  --expect-dst "FERRY-TEST migrating_idle: PASS")
ferry_migrate_test(precopy_idle --guest ${MIGRATING_IDLE} --rc-src 0 --rc-dst 0
  --expect-src "migration report: downtime" --reject-src "FERRY-TEST"
  --expect-dst "FERRY-TEST migrating_idle: PASS")
# A guest dirtying faster than the link carries (docs/migration-protocol.md,
# "When precopy does not converge"): by default it is throttled until
# precopy fits the downtime limit; failing or postcopy only when asked.
set(MIGRATING_HOT ${CMAKE_BINARY_DIR}/board/guests/guest_migrating_hot.elf)
ferry_migrate_test(precopy_throttled --guest ${MIGRATING_HOT} --rc-src 0 --rc-dst 0
  --expect-src "the guest throttled to [0-9]+ pages/s"
  --expect-src "migration report: the guest throttled for [1-9][0-9]* rounds"
  --reject-src "finished in postcopy" --reject-src "FERRY-TEST"
  --expect-dst "FERRY-TEST migrating_hot: PASS")
ferry_migrate_test(precopy_no_convergence_fails --guest ${MIGRATING_HOT}
  --src-ferry ferry.on_no_convergence=fail --rc-src 0 --rc-dst 4
  --expect-src "migration: failed: (precopy did not converge|the switchover alone .* exceeds the downtime limit).*: given up, the VM runs on here"
  --expect-src "FERRY-TEST migrating_hot: PASS" --reject-src "throttled"
  --reject-dst "FERRY-TEST")
ferry_migrate_test(precopy_no_convergence_postcopy --guest ${MIGRATING_HOT}
  --src-ferry ferry.on_no_convergence=postcopy --rc-src 0 --rc-dst 0
  --expect-src "migration: completed \\(precopy did not converge: finished in postcopy\\)"
  --reject-src "throttled" --reject-src "FERRY-TEST"
  --expect-dst "FERRY-TEST migrating_hot: PASS")
# A board's management channel asked what it runs (docs/management.md).
add_test(NAME mgmt.qemu.boards COMMAND ${CMAKE_SOURCE_DIR}/tests/qemu/mgmt_board.sh
  $<TARGET_FILE:ferry> ${MIGRATING_IDLE} ${CMAKE_BINARY_DIR}/pair-tests/mgmt.qemu.boards)
set_tests_properties(mgmt.qemu.boards PROPERTIES TIMEOUT 120 LABELS qemu)
# The README's and the docs' recipes run as written (tests/docs/recipes.sh).
foreach(recipe "README.md boot" "README.md by-hand" "README.md link" "docs/running-guests.md dry-run"
    "docs/management.md management")
  string(REPLACE " " ";" _r "${recipe}")
  list(GET _r 0 _file)
  list(GET _r 1 _name)
  add_test(NAME e2e.qemu.recipe_${_name} COMMAND ${CMAKE_SOURCE_DIR}/tests/docs/recipes.sh
    ${CMAKE_SOURCE_DIR}/${_file} ${_name} ${CMAKE_BINARY_DIR}
    ${CMAKE_BINARY_DIR}/pair-tests/recipe_${_name})
  set_tests_properties(e2e.qemu.recipe_${_name} PROPERTIES TIMEOUT 600 LABELS qemu
    RESOURCE_LOCK board_pair)
endforeach()
# QEMU's own QMP client library drives a migration between two boards; one
# board requires its management token (docs/management.md).
add_test(NAME mgmt.qemu.qmp_library COMMAND ${CMAKE_SOURCE_DIR}/tests/qemu/qmp_library.sh
  $<TARGET_FILE:ferry> ${CMAKE_BINARY_DIR}/board/guests/guest_migrating_soak.elf
  ${FERRY_DEPS_DIR}/src/qemu-qmp ${CMAKE_BINARY_DIR}/pair-tests/mgmt.qemu.qmp_library)
set_tests_properties(mgmt.qemu.qmp_library PROPERTIES TIMEOUT 300 LABELS qemu
  RESOURCE_LOCK board_pair)
# The version window (docs/migration-protocol.md, "Versions"): the next
# release's format (ferry-next.elf: one section at a new version, one new
# optional subsection) and this one's migrate both ways; two next boards
# use the new format whole.
set(FERRY_NEXT_IMAGE ${CMAKE_BINARY_DIR}/board/ferry-next.elf)
ferry_migrate_test(format_to_next --guest ${MIGRATING} --vcpus 2 --dst-image ${FERRY_NEXT_IMAGE}
  --rc-src 0 --rc-dst 0 --reject-src "FERRY-TEST"
  --expect-src "migration report: stream format 2 \\(this board's own\\)"
  --expect-dst "migration: a package of format 2" --reject-dst "vm-next"
  --expect-dst "FERRY-TEST migrating: PASS")
ferry_migrate_test(format_from_next --guest ${MIGRATING} --vcpus 2 --src-image ${FERRY_NEXT_IMAGE}
  --rc-src 0 --rc-dst 0 --reject-src "FERRY-TEST"
  --expect-src "migration report: stream format 2 \\(one older than this board's: the destination reads no newer\\)"
  --expect-dst "FERRY-TEST migrating: PASS")
ferry_migrate_test(format_next_to_next --guest ${MIGRATING} --vcpus 2
  --src-image ${FERRY_NEXT_IMAGE} --dst-image ${FERRY_NEXT_IMAGE}
  --rc-src 0 --rc-dst 0 --reject-src "FERRY-TEST"
  --expect-src "migration report: stream format 3 \\(this board's own\\)"
  --expect-dst "migration: a package of format 3, with the vm-next subsection"
  --expect-dst "FERRY-TEST migrating: PASS")

# Ferry updated under a running VM (ferry update), to the next image and back.
add_test(NAME e2e.qemu.update COMMAND ${CMAKE_SOURCE_DIR}/tests/qemu/update.sh
  $<TARGET_FILE:ferry> ${CMAKE_BINARY_DIR}/board/guests/guest_migrating_long.elf
  ${CMAKE_BINARY_DIR}/board/ferry.elf ${FERRY_NEXT_IMAGE}
  ${CMAKE_BINARY_DIR}/pair-tests/e2e.qemu.update)
set_tests_properties(e2e.qemu.update PROPERTIES TIMEOUT 300 LABELS qemu RESOURCE_LOCK board_pair)

# Boards that stay up (docs/management.md, "A board's life"): the VM goes
# A -> B -> A three times, each board a destination, then a source, then
# a destination again; its guest checks memory, counter, timer and SGIs.
add_test(NAME e2e.qemu.round_trips COMMAND ${CMAKE_SOURCE_DIR}/tests/qemu/round_trips.sh
  --ferry $<TARGET_FILE:ferry> --guest ${CMAKE_BINARY_DIR}/board/guests/guest_migrating_soak.elf
  --work ${CMAKE_BINARY_DIR}/pair-tests/e2e.qemu.round_trips --trips 3)
set_tests_properties(e2e.qemu.round_trips PROPERTIES TIMEOUT 300 LABELS qemu
  RESOURCE_LOCK board_pair)
# Asked for on the management channel with `ferry migrate` (docs/management.md).
ferry_migrate_test(mgmt_precopy --guest ${MIGRATING} --rc-src 0 --rc-dst 0
  --by-mgmt "--mode precopy" --rc-tool 0
  --expect-tool "migration +completed \\(precopy\\)" --expect-tool "downtime +[0-9.]+ ms"
  --expect-tool "round 1 .* MiB sent" --reject-src "FERRY-TEST" --expect-dst "FERRY-TEST migrating: PASS")
ferry_migrate_test(mgmt_postcopy --guest ${MIGRATING} --rc-src 0 --rc-dst 0
  --by-mgmt "--mode postcopy" --rc-tool 0
  --expect-tool "migration +completed \\(postcopy\\)"
  --expect-tool "guest's pause +[0-9.]+ ms at most: the downtime, then [0-9.]+ ms standing still"
  --reject-src "FERRY-TEST"
  --expect-dst "FERRY-TEST migrating: PASS")
# A precopy that does not converge, asked to fail: the whole report reaches the tool.
ferry_migrate_test(mgmt_no_convergence_fails --guest ${MIGRATING_HOT} --rc-src 0 --rc-dst 4
  --by-mgmt "--on-no-convergence fail" --rc-tool 1
  --expect-tool "migration +failed \\(precopy\\): .*given up, the VM runs on here"
  --expect-src "FERRY-TEST migrating_hot: PASS" --reject-dst "FERRY-TEST")
# The source board dies under `ferry migrate` after the migration began:
# the tool cannot know where the VM runs and says so (exit 4), where a
# board it could not reach at all is "nothing changed" (exit 1,
# tools.cli.migrate_unreachable).
ferry_migrate_test(mgmt_source_killed --guest ${MIGRATING} --rc-src 137 --rc-dst 4
  --by-mgmt "--max-bandwidth 2" --kill-src-after 3 --rc-tool 4
  --expect-tool "the migration had begun, where the VM runs is unknown here"
  --reject-dst "FERRY-TEST")
# Ctrl-C to `ferry migrate` of a slow (bandwidth-capped) migration: the board cancels.
ferry_migrate_test(mgmt_cancel --guest ${MIGRATING} --rc-src 0 --rc-dst 4
  --by-mgmt "--max-bandwidth 2" --cancel-after 2 --rc-tool 1
  --expect-tool "asking the board to cancel" --expect-tool "migration +cancelled"
  --expect-src "FERRY-TEST migrating: PASS"
  --expect-dst "cancelled by the source" --reject-dst "FERRY-TEST")
# The README's main job: Debian Linux with a memory-writing job, migrated, answering on B.
if(EXISTS ${FERRY_LINUX_DIR}/Image)
  add_test(NAME e2e.qemu.linux_demo COMMAND $<TARGET_FILE:ferry> demo
    --work ${CMAKE_BINARY_DIR}/pair-tests/linux_demo)
  set_tests_properties(e2e.qemu.linux_demo PROPERTIES TIMEOUT 400 LABELS qemu
    RESOURCE_LOCK "board_pair;linux")
  # Ctrl-C to the demo during its migration: cancelled, boards stopped, nothing left.
  add_test(NAME e2e.qemu.linux_demo_interrupted COMMAND ${CMAKE_SOURCE_DIR}/tests/qemu/demo_interrupt.sh
    $<TARGET_FILE:ferry> ${CMAKE_BINARY_DIR}/pair-tests/linux_demo_interrupted)
  set_tests_properties(e2e.qemu.linux_demo_interrupted PROPERTIES TIMEOUT 400 LABELS qemu
    RESOURCE_LOCK "board_pair;linux")
  # The same Linux while board A's Ferry is replaced by the next image (ferry update).
  add_test(NAME e2e.qemu.linux_update COMMAND $<TARGET_FILE:ferry> demo --update
    --work ${CMAKE_BINARY_DIR}/pair-tests/linux_update)
  set_tests_properties(e2e.qemu.linux_update PROPERTIES TIMEOUT 600 LABELS qemu
    RESOURCE_LOCK "board_pair;linux")
  # The same Linux taken A -> B -> A three times, a command answered after each move;
  # what it reports as JSON lines (--json).
  add_test(NAME e2e.qemu.linux_round_trips COMMAND ${CMAKE_SOURCE_DIR}/tests/qemu/demo_json.sh
    $<TARGET_FILE:ferry> ${CMAKE_BINARY_DIR}/pair-tests/linux_round_trips 6 --round-trips 3)
  set_tests_properties(e2e.qemu.linux_round_trips PROPERTIES TIMEOUT 600 LABELS qemu
    RESOURCE_LOCK "board_pair;linux")
  # The same Linux protected by B (ferry protect), A's emulator killed: B takes over.
  add_test(NAME e2e.qemu.linux_failover COMMAND $<TARGET_FILE:ferry> demo --failover
    --work ${CMAKE_BINARY_DIR}/pair-tests/linux_failover)
  set_tests_properties(e2e.qemu.linux_failover PROPERTIES TIMEOUT 400 LABELS qemu
    RESOURCE_LOCK "board_pair;linux")
endif()
# Faults: the VM runs on exactly one board afterwards, nothing lost.
# The destination dies (no goodbye on the link) while it loads the device package.
# (Confirmed switchover: with one flight RUN has left, and a source whose
# destination died before PONG cannot know; it stays stopped and asks.)
ferry_migrate_test(dest_dies_loading --guest ${MIGRATING} --dst-ferry ferry.test=die_loading
  --src-ferry ferry.switchover=confirmed
  --rc-src 0 --rc-dst 3
  --expect-src "migration: failed: .*the VM resumed here" --expect-src "FERRY-TEST migrating: PASS"
  --expect-dst "test: the board dies while loading the device package"
  --reject-dst "FERRY-TEST")
ferry_migrate_test(dest_sync_fails --guest ${MIGRATING} --dst-ferry ferry.test=fail_sync
  --rc-src 0 --rc-dst 4
  --expect-src "failed: destination: injected synchronization failure .*: the VM resumed here"
  --expect-src "FERRY-TEST migrating: PASS"
  --expect-dst "Ferry: no VM arrived" --reject-dst "FERRY-TEST")
ferry_migrate_test(vm_started_lost --guest ${MIGRATING} --dst-ferry ferry.test=lose_vm_started
  --rc-src 0 --rc-dst 0
  --expect-src "completed: resolved by reconnecting: the VM runs on the destination"
  --reject-src "FERRY-TEST"
  --expect-dst "the source reconnected: told it completed"
  --expect-dst "FERRY-TEST migrating: PASS")
ferry_migrate_test(link_cut_after_vm_started --guest ${MIGRATING}
  --dst-ferry ferry.test=cut_after_vm_started --rc-src 0 --rc-dst 0
  --expect-src "migration report: downtime" --reject-src "FERRY-TEST" --reject-src "unresolved"
  --expect-dst "test: the link breaks after VM_STARTED"
  --expect-dst "FERRY-TEST migrating: PASS")
# The VM powers off on the destination in postcopy while the link is down:
# the source, paused, reconnects and hears that the VM ended there.
ferry_migrate_test(postcopy_vm_ends_on_destination --guest ${MIGRATING} --mode postcopy
  --dst-ferry ferry.test=end_after_vm_started --rc-src 0 --rc-dst 0
  --expect-src "resolved by reconnecting: the VM ran on the destination and has ended there"
  --reject-src "FERRY-TEST"
  --expect-dst "the VM ended here in postcopy. its [0-9]+ pages not yet fetched are not needed"
  --expect-dst "the source reconnected: told it completed" --reject-dst "FERRY-TEST")
ferry_migrate_test(wrong_credentials --guest ${MIGRATING} --other-dst-creds --rc-src 0 --rc-dst 4
  --expect-src "migration: handshake: " --expect-src "FERRY-TEST migrating: PASS"
  --expect-dst "migration: handshake: " --reject-dst "FERRY-TEST")
# Postcopy: 7 s of silence on the wire pauses both ends; a new link recovers the missing pages.
# (A guest that outlasts the recovery: see docs/migration-protocol.md, "Postcopy".)
ferry_migrate_test(postcopy_link_cut_recovered
  --guest ${CMAKE_BINARY_DIR}/board/guests/guest_migrating_long.elf --mode postcopy
  --relay-fault "--blackout 6000000 7000" --rc-src 0 --rc-dst 0
  --expect-src "postcopy-paused, asking the destination \\(attempt 1\\)"
  --expect-src "migration report: downtime" --reject-src "FERRY-TEST"
  --expect-dst "postcopy-paused: link lost in postcopy"
  --expect-dst "FERRY-TEST migrating_long: PASS")
# A source with valid credentials that lies in its package: the destination
# refuses before PONG, naming the field; the VM resumes on the source intact.
ferry_migrate_test(hostile_pstate --guest ${MIGRATING} --src-ferry ferry.test=hostile_pstate
  --rc-src 0 --rc-dst 4
  --expect-src "failed: destination: vcpu 0: PSTATE 0x3c9 has mode M\\[3:0\\] = 0x9 .*: the VM resumed here"
  --expect-src "FERRY-TEST migrating: PASS"
  --expect-dst "vcpu 0: PSTATE 0x3c9" --reject-dst "FERRY-TEST" --reject-dst "PANIC")
ferry_migrate_test(hostile_lr --guest ${MIGRATING} --vcpus 2 --src-ferry ferry.test=hostile_lr
  --rc-src 0 --rc-dst 4
  --expect-src "failed: destination: vcpu 0: ICH_LR0_EL2 is not empty .*: the VM resumed here"
  --expect-src "FERRY-TEST migrating: PASS" --reject-dst "FERRY-TEST")
# Postcopy cancelled right after PONG, then a precopy into the same board:
# the discarded copy left a clean board, and the guest passes there.
ferry_migrate_test(postcopy_cancelled_then_precopy --guest ${MIGRATING}
  --src-ferry ferry.test=cancel_after_pong --rc-src 0 --rc-dst 0
  --by-mgmt "--mode postcopy --switchover confirmed" --rc-tool 1
  --expect-tool "migration +cancelled"
  --then-mgmt "--mode precopy" --rc-tool2 0 --expect-tool2 "migration +completed"
  --expect-src "test: cancelled right after PONG" --reject-src "FERRY-TEST"
  --expect-dst "cancelled by the source" --expect-dst "FERRY-TEST migrating: PASS")
# The link breaks right after PONG: the source cannot know whether RUN arrived
# (unresolved); asked, the destination that discarded its copy says so and
# the VM resumes on the source.
ferry_migrate_test(link_cut_after_pong --guest ${MIGRATING}
  --src-ferry "ferry.test=cut_after_pong ferry.switchover=confirmed"
  --rc-src 0 --rc-dst 4
  --expect-src "test: the link breaks right after PONG"
  --expect-src "resolved: the destination never started the VM \\(failed there\\). it resumed here"
  --expect-src "FERRY-TEST migrating: PASS"
  --expect-dst "link lost before RUN: this copy is discarded" --reject-dst "FERRY-TEST")
# One flight: RUN left with the package, so after PONG the VM is the
# destination's; the source, cut off, asks and completes.
ferry_migrate_test(link_cut_after_pong_one_flight --guest ${MIGRATING}
  --src-ferry ferry.test=cut_after_pong --rc-src 0 --rc-dst 0
  --expect-src "test: the link breaks right after PONG"
  --expect-src "completed: resolved by reconnecting: the VM runs on the destination"
  --reject-src "FERRY-TEST" --expect-dst "FERRY-TEST migrating: PASS")
# A 30 s partition at the switchover (RUN taken, VM_STARTED on the wire) and
# during postcopy, then healed: with no operator, the VM ends up running on
# exactly one board.
set(MIGRATING_PARTITION ${CMAKE_BINARY_DIR}/board/guests/guest_migrating_partition.elf)
ferry_migrate_test(partition_at_vm_started --guest ${MIGRATING_PARTITION}
  --dst-ferry ferry.test=hold_vm_started --relay-fault "--partition 30000"
  --partition-when dst "VM_STARTED held" --rc-src 0 --rc-dst 0
  --query-in-partition "\"state\":\"unresolved\".*\"status\":\"unresolved\".*\"attempts\":[1-9]"
  --expect-src "unresolved, asking the destination \\(attempt [0-9]+\\)"
  --expect-src "completed: resolved by reconnecting: the VM runs on the destination"
  --reject-src "FERRY-TEST"
  --expect-dst "FERRY-TEST migrating_partition: PASS")
ferry_migrate_test(partition_in_postcopy --guest ${MIGRATING_PARTITION} --mode postcopy
  --relay-fault "--partition 30000" --partition-when src "postcopy-active"
  --rc-src 0 --rc-dst 0
  --expect-src "postcopy-paused, asking the destination \\(attempt [0-9]+\\)"
  --expect-src "migration report: downtime" --reject-src "FERRY-TEST"
  --expect-dst "postcopy-paused: link lost in postcopy"
  --expect-dst "FERRY-TEST migrating_partition: PASS")
ferry_migrate_test(link_cut_during_precopy --guest ${MIGRATING} --relay-fault "--cut 4000000"
  --rc-src 0 --rc-dst 4
  --expect-src "migration: failed: .*the VM runs on here" --expect-src "FERRY-TEST migrating: PASS"
  --expect-dst "migration: failed: link lost before RUN: this copy is discarded"
  --reject-dst "FERRY-TEST")

# Protection (docs/protection.md): board src runs the guest, board dst is its
# standby; at a random point src's emulator is killed, or the link is cut for
# good. The guest (two vCPUs: memory, counter, timer ticks and SGIs checked)
# goes on on dst, and the lines it numbered, seen on both consoles, have no
# gap and no repeat: they left the pair only once committed on the standby.
function(ferry_protect_test name)
  ferry_pair_test(e2e.qemu.${name} protect_pair.sh --guest ${MIGRATING} --vcpus 2 ${ARGN})
endfunction()
ferry_protect_test(protect_primary_killed --kill src --beats --rc-src 137 --rc-dst 0
  --expect-src "^migration: protected"
  --expect-dst "took over from checkpoint [1-9][0-9]*: the primary was silent for its lease"
  --expect-dst "migration: takeover after [0-9]+ checkpoints: decided [0-9]+ us after"
  --expect-dst "FERRY-TEST migrating: PASS")
ferry_protect_test(protect_link_cut --cut --beats --rc-src 7 --rc-dst 0
  --expect-src "migration: fenced: lease ended \\([0-9]+ of [0-9]+ checkpoints acknowledged, the last [0-9]+ ms ago\\)"
  --expect-src "migration report: protection: [1-9][0-9]* checkpoints sent"
  --expect-src "Ferry: the VM's lease ended: it stopped here for good"
  --reject-src "FERRY-TEST"
  --expect-dst "took over from checkpoint [1-9][0-9]*: the primary was silent for its lease"
  --expect-dst "FERRY-TEST migrating: PASS")
# takeover=manual, asked for with `ferry protect` (docs/protection.md): the
# standby runs the VM only on the supervisor's word, so the primary never
# fences. The standby killed: the VM goes on at the primary, unprotected, no
# line lost (one may show twice). The primary killed: the standby waits until
# `ferry resolve --force destination`, then runs it.
ferry_protect_test(protect_standby_killed_manual --kill dst --by-mgmt "--takeover manual"
  --beats-repeat --rc-src 0 --rc-dst 137
  --expect-src "migration: failed: the standby is gone: the VM runs on here, unprotected"
  --expect-src "FERRY-TEST migrating: PASS" --reject-src "fenced")
ferry_protect_test(protect_manual_supervisor --kill src --by-mgmt "--takeover manual"
  --supervise --beats --rc-src 137 --rc-dst 0
  --expect-dst "the primary is gone after checkpoint [1-9][0-9]*: takeover=manual, the supervisor decides"
  --expect-dst "took over from checkpoint [1-9][0-9]* on the supervisor's word"
  --expect-dst "FERRY-TEST migrating: PASS")
# Nothing breaks: the guest ends at the primary, whose protection then ends;
# the standby drops its copy and never runs a guest that ended.
ferry_protect_test(protect_guest_ends --beats --rc-src 0 --rc-dst 4
  --expect-src "migration: cancelled: the VM stopped here: protection ended, the standby dropped its copy"
  --expect-src "FERRY-TEST migrating: PASS"
  --expect-dst "migration: cancelled: cancelled by the source" --reject-dst "took over")
# takeover=auto, the standby killed: the primary fences at its lease's end
# (a dead standby and a cut link look the same to it); the supervisor, who
# knows, says so (`ferry resolve --force source`), and the VM goes on there,
# unprotected, no line lost.
ferry_protect_test(protect_standby_killed_lifted --kill dst --by-mgmt "--takeover auto" --lift
  --beats-repeat --rc-src 0 --rc-dst 137
  --expect-src "migration: fenced: lease ended"
  --expect-src "resolved by the supervisor: the standby is gone and never ran the VM. it runs on here, unprotected"
  --expect-src "FERRY-TEST migrating: PASS")

# Re-protection (docs/protection.md, "After a takeover"): the primary
# killed, the standby takes over; the killed board comes back empty, and
# the board that runs the VM protects it again by itself, to it. The
# guest (25 s) ends there, protected: its protection ends, the new standby
# drops its copy, and no numbered line was lost or shown twice on the
# three consoles together.
ferry_protect_test(protect_taken_up_again --kill src --restart
  --guest ${CMAKE_BINARY_DIR}/board/guests/guest_migrating_long.elf
  --beats --rc-src 137 --rc-dst 0 --rc-again 4
  --expect-dst "took over from checkpoint [1-9][0-9]*: the primary was silent for its lease"
  --expect-dst "protection: the VM runs here unprotected. it is protected again as soon as src waits for it"
  --expect-dst "protection: src is back: protecting the VM again"
  --expect-dst "^migration: protected"
  --expect-dst "migration: cancelled: the VM stopped here: protection ended, the standby dropped its copy"
  --expect-dst "FERRY-TEST migrating_long: PASS"
  --expect-again "migration: cancelled: cancelled by the source"
  --reject-again "took over")