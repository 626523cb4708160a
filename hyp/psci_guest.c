/* SPDX-License-Identifier: Apache-2.0 */
/** The guest's PSCI, see psci_guest.h. Function IDs: DEN0022 5.1. */
#include "hyp/psci_guest.h"

#include "hyp/console.h"
#include "hyp/vm.h"

#define PSCI_VERSION	       0x84000000u
#define PSCI_CPU_OFF	       0x84000002u
#define PSCI_CPU_ON_32	       0x84000003u
#define PSCI_CPU_ON_64	       0xc4000003u
#define PSCI_AFFINITY_INFO_32  0x84000004u
#define PSCI_AFFINITY_INFO_64  0xc4000004u
#define PSCI_MIGRATE_INFO_TYPE 0x84000006u
#define PSCI_SYSTEM_OFF	       0x84000008u
#define PSCI_SYSTEM_RESET      0x84000009u
#define PSCI_FEATURES	       0x8400000au

#define PSCI_SUCCESS		0
#define PSCI_NOT_SUPPORTED	(-1)
#define PSCI_INVALID_PARAMETERS (-2)
#define PSCI_ALREADY_ON		(-4)
#define PSCI_INVALID_ADDRESS	(-9)

#define PSCI_1_1		   0x10001u
#define MIGRATE_INFO_NO_TRUSTED_OS 2

static bool supported(uint32_t fid)
{
	switch (fid) {
	case PSCI_VERSION:
	case PSCI_CPU_OFF:
	case PSCI_CPU_ON_32:
	case PSCI_CPU_ON_64:
	case PSCI_AFFINITY_INFO_32:
	case PSCI_AFFINITY_INFO_64:
	case PSCI_MIGRATE_INFO_TYPE:
	case PSCI_SYSTEM_OFF:
	case PSCI_SYSTEM_RESET:
	case PSCI_FEATURES:
		return true;
	default:
		return false;
	}
}

static struct vcpu *vcpu_by_mpidr(struct vm *vm, uint64_t mpidr)
{
	/* Our vCPUs: Aff0 = index, higher affinity levels zero. */
	if ((mpidr & 0xff00ffff00ull) || (mpidr & 0xff) >= vm->cfg.vcpu_count)
		return NULL;
	return &vm->vcpus[mpidr & 0xff];
}

static int64_t cpu_on(struct vcpu *self, uint64_t mpidr, uint64_t entry, uint64_t context)
{
	struct vm *vm = self->vm;
	struct vcpu *t = vcpu_by_mpidr(vm, mpidr);
	int64_t ret = PSCI_SUCCESS;

	if (!t)
		return PSCI_INVALID_PARAMETERS;
	if (!vm_ram_ptr(vm, entry, 4))
		return PSCI_INVALID_ADDRESS;
	arch_spin_lock(&vm->lock);
	if (t->power == VCPU_ON) {
		ret = PSCI_ALREADY_ON;
	} else {
		vcpu_reset(t, entry, context);
		t->loaded = false;
		__atomic_store_n(&t->power, VCPU_ON, __ATOMIC_RELEASE);
	}
	arch_spin_unlock(&vm->lock);
	if (ret == PSCI_SUCCESS)
		arch_kick_cpu(t->pcpu);
	return ret;
}

static void stop_vm(struct vm *vm, enum vm_stop_reason why)
{
	vm->stop = why;
	for (unsigned i = 0; i < vm->cfg.vcpu_count; i++)
		arch_kick_cpu(vm->vcpus[i].pcpu);
}

void psci_guest_call(struct vcpu *v)
{
	uint32_t fid = (uint32_t)v->regs.x[0];
	uint64_t a1 = v->regs.x[1], a2 = v->regs.x[2], a3 = v->regs.x[3];
	int64_t ret;

	/* SMC32 calls pass 32-bit arguments (SMCCC 2.6). */
	if (!(fid & 0x40000000u)) {
		a1 = (uint32_t)a1;
		a2 = (uint32_t)a2;
		a3 = (uint32_t)a3;
	}
	switch (fid) {
	case PSCI_VERSION:
		ret = PSCI_1_1;
		break;
	case PSCI_FEATURES:
		ret = supported((uint32_t)a1) ? PSCI_SUCCESS : PSCI_NOT_SUPPORTED;
		break;
	case PSCI_CPU_ON_32:
	case PSCI_CPU_ON_64:
		ret = cpu_on(v, a1, a2, a3);
		break;
	case PSCI_CPU_OFF:
		__atomic_store_n(&v->power, VCPU_OFF, __ATOMIC_RELEASE);
		ret = PSCI_SUCCESS; /* not seen by the caller: it is off */
		break;
	case PSCI_AFFINITY_INFO_32:
	case PSCI_AFFINITY_INFO_64: {
		struct vcpu *t = vcpu_by_mpidr(v->vm, a1);

		/* lowest affinity level only (a2 == 0) */
		ret = !t || a2 ? PSCI_INVALID_PARAMETERS : t->power == VCPU_ON ? 0 : 1;
		break;
	}
	case PSCI_MIGRATE_INFO_TYPE:
		ret = MIGRATE_INFO_NO_TRUSTED_OS;
		break;
	case PSCI_SYSTEM_OFF:
		console_printf("%s: powered off by the guest (PSCI SYSTEM_OFF)\n", v->vm->cfg.name);
		stop_vm(v->vm, VM_POWER_OFF);
		ret = PSCI_SUCCESS;
		break;
	case PSCI_SYSTEM_RESET:
		console_printf("%s: reset requested by the guest (PSCI SYSTEM_RESET): stopped\n",
			       v->vm->cfg.name);
		stop_vm(v->vm, VM_RESET);
		ret = PSCI_SUCCESS;
		break;
	default:
		ret = PSCI_NOT_SUPPORTED; /* also SMCCC's "unknown function" */
		break;
	}
	v->regs.x[0] = (uint64_t)ret;
}
