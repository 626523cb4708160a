# SPDX-License-Identifier: Apache-2.0
# Ferry's source files, a list per folder (docs/architecture.md, "Folders"):
# the same lists for the board image and the host build.
set(FERRY_LIB_SOURCES lib/bootargs.c lib/format.c lib/json.c lib/json_out.c lib/kv_text.c lib/vm_config.c lib/wall_clock.c)

# The VM: all of it builds into host tests over the fake arch as well.
set(FERRY_HYP_SOURCES
  hyp/console.c hyp/guest_dtb.c hyp/id_regs.c hyp/image.c hyp/irq.c hyp/mmio.c hyp/page_alloc.c
  hyp/psci_guest.c hyp/s2.c hyp/state_sections.c hyp/sysreg_emul.c hyp/vcpu.c hyp/vcpu_inject.c
  hyp/vcpu_run.c hyp/vgic.c hyp/vgic_mmio.c hyp/vm.c hyp/vm_migrate_ops.c
  hyp/vm_net.c hyp/vm_package.c hyp/vm_pause.c hyp/vnet.c hyp/vnet_queue.c hyp/vpl011.c)

# The stream and the engine: plain C.
set(FERRY_MIG_SOURCES
  mig/channel.c mig/checkpoint.c mig/dest.c mig/dest_frames.c mig/dest_postcopy.c mig/dest_standby.c mig/hello.c mig/id_compat.c mig/page_sets.c
  mig/lease.c mig/page_cache.c mig/precopy_policy.c mig/ram_codec.c mig/record.c mig/section.c mig/source.c
  mig/source_common.c mig/source_frames.c mig/source_postcopy.c mig/source_protect.c mig/source_switchover.c
  mig/states.c mig/wire.c)

# The architecture: every instruction.
set(FERRY_ARCH_SOURCES
  arch/arm64/start.S arch/arm64/vectors.S arch/arm64/idle.S arch/arm64/guest_switch.S
  arch/arm64/zero.S arch/arm64/boot.c arch/arm64/cpu.c arch/arm64/crash.c arch/arm64/esr.c
  arch/arm64/exception.c arch/arm64/gic_cpuif.c arch/arm64/id_regs.c arch/arm64/mmu.c
  arch/arm64/power.c
  arch/arm64/psci_call.c arch/arm64/s2_pte.c arch/arm64/timer.c arch/arm64/vcpu_arch.c
  arch/arm64/vcpu_exit.c
  arch/arm64/vgic_hw.c arch/arm64/random.c)

# MMIO devices.
set(FERRY_DRIVER_SOURCES
  drivers/fw_cfg.c drivers/gicv3.c drivers/pl011.c drivers/pl031.c drivers/virtio_net.c drivers/virtio_mmio.c
  drivers/virtio_console.c drivers/virtqueue.c)

# The link: portable TLS and configuration, and the board's TCP/IP glue.
set(FERRY_LINK_SOURCES link/link_config.c link/mig_channel.c link/tls.c)
set(FERRY_LINK_BOARD_SOURCES link/cpu_board.c link/entropy_board.c link/lwip_port.c link/net.c link/tcp.c)

# The board program: boot, the control CPU, migrations, the management channel.
set(FERRY_SYSTEM_SOURCES
  system/board_check.c system/control.c system/lan.c system/libc_glue.c system/link_bench.c
  system/link_boot.c system/main.c system/mgmt.c system/migrate.c system/migrate_faults.c
  system/sched.c system/version.c system/vm_boot.c)
