/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The fixture of the VM core's host tests: real VMs (host_vm.h) whose
 * vCPUs run guests the test plays (fake_guest.h), made for one test and
 * destroyed at its end. Every such guest's program lies at the same place,
 * so that a test reads as a listing: instruction n of vCPU 0's program at
 * AT(n), of vCPU 1's (when it has its own) at AT1(n).
 */
#ifndef TESTS_SUPPORT_GUEST_VM_H
#define TESTS_SUPPORT_GUEST_VM_H

#include <stdint.h>

#include "tests/fake_arch/fake_guest.h"
#include "tests/support/host_vm.h"

#define GUEST_VM_MEM (2ull << 20)
#define ENTRY	     (GUEST_RAM_IPA + 0x1000)
#define AT(n)	     (ENTRY + 4ull * (n))
#define ENTRY1	     (GUEST_RAM_IPA + 0x2000)
#define AT1(n)	     (ENTRY1 + 4ull * (n))
#define VBAR	     (GUEST_RAM_IPA + 0x8000) /**< the guest's exception vectors */
/** How long a test waits for its guests before it fails. */
#define WAIT_MS 5000

/** A test's setup: a fresh fake arch, the console captured anew. */
int guest_vm_setup(void **state);

/** A test's teardown: every VM guest_vm_new made for it, destroyed. */
int guest_vm_teardown(void **state);

/** A cmocka test on this fixture; `setup` is guest_vm_setup or a file's own that calls it. */
#define GUEST_VM_TEST(test, setup) cmocka_unit_test_setup_teardown(test, setup, guest_vm_teardown)

/**
 * A VM for the test under way: "vm0" with `vcpus` vCPUs (all off) and
 * GUEST_VM_MEM of RAM, VMID `vmid`, `guest` played on every CPU (NULL:
 * none, a guest that just runs). Not started.
 */
struct host_vm *guest_vm_new(unsigned vcpus, uint16_t vmid, fake_guest_fn guest);

/**
 * guest_vm_new with VMID 1, started with vCPU 0 on at ENTRY and vCPU 1 at
 * `entry1` (0: off, for the guest to start it).
 */
struct host_vm *guest_vm_boot(unsigned vcpus, fake_guest_fn guest, uint64_t entry1);

/** Every vCPU loop of `h` ends within WAIT_MS, and the VM stopped for `why`. */
void guest_vm_ends(struct host_vm *h, enum vm_stop_reason why);

#endif
