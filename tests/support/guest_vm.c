/* SPDX-License-Identifier: Apache-2.0 */
/** The VM core tests' fixture, see guest_vm.h. */
#include "tests/support/guest_vm.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "tests/support/host_console.h"

/* Two are enough: a test's VM, or a migration's source and destination. */
#define VMS_MAX 2

static struct host_vm *vms[VMS_MAX];
static unsigned vm_count;

int guest_vm_setup(void **state)
{
	(void)state;
	fake_arch_reset();
	host_console_capture();
	return 0;
}

int guest_vm_teardown(void **state)
{
	(void)state;
	for (unsigned i = 0; i < vm_count; i++) {
		host_vm_destroy(vms[i]);
		vms[i] = NULL;
	}
	vm_count = 0;
	return 0;
}

struct host_vm *guest_vm_new(unsigned vcpus, uint16_t vmid, fake_guest_fn guest)
{
	struct host_vm *h;

	assert_true(vm_count < VMS_MAX);
	h = host_vm_create("vm0", vcpus, GUEST_VM_MEM, vmid);
	assert_non_null(h);
	vms[vm_count++] = h;
	fake_guest_install(FAKE_CPU_ALL, guest, NULL);
	return h;
}

struct host_vm *guest_vm_boot(unsigned vcpus, fake_guest_fn guest, uint64_t entry1)
{
	struct host_vm *h = guest_vm_new(vcpus, 1, guest);

	host_vm_power_on(h, 0, ENTRY, 0);
	if (entry1)
		host_vm_power_on(h, 1, entry1, 0);
	host_vm_start(h);
	return h;
}

void guest_vm_ends(struct host_vm *h, enum vm_stop_reason why)
{
	assert_true(host_vm_join(h, WAIT_MS));
	assert_int_equal(h->vm.stop, why);
}
