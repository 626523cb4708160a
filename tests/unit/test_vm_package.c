/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The device package of a real VM (hyp/vm_package.c): its layout pinned
 * byte for byte, every value that reaches a register EL2 controls refused
 * when no guest here could hold it (naming the vCPU and field), the
 * destination's interrupt forwarding kept whatever the stream says, and
 * the guest's count going on from where it stopped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hyp/pstate.h"
#include "hyp/vm_package.h"
#include "tests/support/host_vm.h"

#define MEM (1ull << 20)

static struct host_vm *src, *dst;
static struct vm_package pkg;
static uint8_t buf[64 * 1024];
static char err[160];
static const struct vm_package_limits limits = {
	.pstate_features = PSTATE_PAN | PSTATE_UAO | PSTATE_SSBS,
	.pri_bits = 5,
	.apr_count = 1,
	.lr_count = 4,
};

/** Each interrupt's state, different per field so that no two fields look alike. */
static void fill_irq(struct vgic_irq *irq, uint32_t intid, uint32_t salt)
{
	uint32_t n = intid + salt;

	irq->priority = (uint8_t)((n * 8) & VGIC_PRIORITY_MASK);
	irq->group1 = n % 2;
	irq->enabled = n % 3 == 0;
	irq->pending_latch = n % 5 == 0;
	irq->line_level = n % 7 == 0;
	irq->active = n % 11 == 0;
	if (intid >= 16) /* SGIs are always edge-triggered */
		irq->edge = n % 13 == 0;
	if (intid >= VGIC_PRIVATE_COUNT)
		irq->irouter = n % 2;
}

/**
 * A stopped two-vCPU VM as a running guest leaves it, deterministic, with
 * every field a value of its own: moving a field changes the bytes.
 */
static void fill(struct vm *vm)
{
	vm->paused_at = 1000000;
	vm->ctl.cntvoff = 400000;
	for (unsigned i = 0; i < 2; i++) {
		struct vcpu_regs *r = &vm->vcpus[i].regs;
		uint64_t *sys = (uint64_t *)(void *)&r->sys;

		vm->vcpus[i].power = VCPU_ON;
		for (unsigned k = 0; k < 31; k++)
			r->x[k] = 0x100 * i + k;
		r->pc = 0xffff000010080000ull + 4 * i;
		r->pstate = PSTATE_EL1H | PSTATE_DAIF | PSTATE_PAN;
		for (unsigned k = 0; k < 64; k++)
			r->fp.v[k] = 0x5000 + 0x100 * i + k;
		r->fp.fpsr = 0x10;
		r->fp.fpcr = 0x3000000;
		for (unsigned k = 0; k < sizeof(r->sys) / 8; k++)
			sys[k] = 0xe100000000ull + 0x1000 * i + k;
		r->sys.sctlr_el1 = 0x30d0199d;
		r->sys.vbar_el1 = 0xffff000010000000ull;
		r->timer.cntv_ctl_el0 = 5; /* enabled, firing */
		r->timer.cntv_cval_el0 = 0x123456;
		r->gic.ich_vmcr_el2 = 0xf0000000u | (3u << 18) | (2u << 21) | 0xb;
		r->gic.ich_ap1r_el2[0] = 0x80000000u;
	}
	for (uint32_t k = VGIC_PRIVATE_COUNT; k < VGIC_INTID_COUNT; k++)
		fill_irq(vgic_irq(&vm->vgic, 0, k), k, 0);
	for (unsigned i = 0; i < 2; i++)
		for (uint32_t k = 0; k < VGIC_PRIVATE_COUNT; k++)
			fill_irq(vgic_irq(&vm->vgic, i, k), k, 3 * i);
	vm->vgic.redist[1].processor_sleep = false;
	vm->vgic.ctlr |= GICD_CTLR_ENABLE_G1;
	vgic_irq(&vm->vgic, 0, 33)->enabled = true;
	vgic_irq(&vm->vgic, 0, 33)->priority = 0xa0;
	vgic_irq(&vm->vgic, 1, 27)->active = true;
	vgic_irq(&vm->vgic, 1, 27)->line_level = true;
	vm->uart.imsc = 0x10;
	vm->uart.ibrd = 0x27;
	vm->uart.fbrd = 0x4;
	vm->uart.lcr_h = 0x70;
	vm->uart.dmacr = 0x1;
	vpl011_receive(&vm->uart, 'q');
	memcpy(vm->uart.line, "half a li", 9);
	vm->uart.line_len = 9;
}

static int setup(void **state)
{
	(void)state;
	fake_arch_reset();
	src = host_vm_create("vm0", 2, MEM, 1);
	dst = host_vm_create("vm0", 2, MEM, 2);
	if (!src || !dst)
		return -1;
	fill(&src->vm);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	host_vm_destroy(src);
	host_vm_destroy(dst);
	src = dst = NULL;
	return 0;
}

/** The source's package loaded on the destination: true, or false with err set. */
static bool transfer(void)
{
	size_t len = vm_package_save(&src->vm, MIG_FORMAT_VERSION, buf, sizeof(buf));

	assert_true(len > 0);
	err[0] = 0;
	return vm_package_load(&dst->vm, &limits, buf, len, &pkg, err, sizeof(err));
}

static uint64_t fnv1a(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

/*
 * The layout of the real package, pinned: reordering rows of
 * hyp/state_sections.c, or a field's size, changes what a peer reads and
 * must show up here (with a new section version).
 */
static void test_golden_bytes(void **state)
{
	size_t len = vm_package_save(&src->vm, MIG_FORMAT_VERSION, buf, sizeof(buf)), at;
	const char *seeds = getenv("FERRY_PACKAGE_SEED");

	(void)state;
	if (seeds) { /* the fuzzer's seed: this package */
		FILE *f = fopen(seeds, "wb");

		assert_non_null(f);
		fwrite(buf, 1, len, f);
		fclose(f);
	}
	/* Section "vm", version 1, 16-byte body: guest count 600000, 2 vCPUs, both on, no subs. */
	assert_memory_equal(buf,
			    "\x02vm\x01\x00\x11\x00\x00\x00"
			    "\xc0\x27\x09\x00\x00\x00\x00\x00"
			    "\x02\x00\x00\x00\x03\x00\x00\x00\x00",
			    26);
	/* Then vcpu 0: x0..x30, then pc, then PSTATE, each 8 bytes. */
	at = 26;
	assert_memory_equal(buf + at, "\x04vcpu\x01\x00", 7);
	at += 7 + 4;
	assert_int_equal(buf[at + 8 * 1], 1);					       /* x1 */
	assert_memory_equal(buf + at + 8 * 31, "\x00\x00\x08\x10\x00\x00\xff\xff", 8); /* pc */
	assert_int_equal(buf[at + 8 * 32], 0xc5);				       /* PSTATE */
	assert_int_equal(buf[at + 8 * 32 + 2], 0x40);				       /* PAN */
	assert_int_equal(len, 4094);
	assert_int_equal(fnv1a(buf, len), 0x23b010209355e83aull); /* all of it, byte for byte */
}

/*
 * A vGIC as reset (most of a real guest's SPIs stay so) packs its 988 SPIs
 * into runs: the section that would be ~15 KiB dense is under 100 bytes.
 */
static void test_reset_vgic_packs_small(void **state)
{
	size_t len, at = 0;
	uint32_t body;

	(void)state;
	vm_reset_devices(&src->vm);
	len = vm_package_save(&src->vm, MIG_FORMAT_VERSION, buf, sizeof(buf));
	while (at + 16 <= len && memcmp(buf + at, "\x09vgic-dist\x03\x00", 12))
		at++;
	assert_true(at + 16 <= len);
	memcpy(&body, buf + at + 12, sizeof(body));
	assert_true(body < 100);
	err[0] = 0;
	if (!vm_package_load(&dst->vm, &limits, buf, len, &pkg, err, sizeof(err)))
		fail_msg("%s", err);
}

static void test_round_trip_and_apply(void **state)
{
	uint64_t now = 5000000;

	(void)state;
	assert_true(transfer());
	vm_package_apply(&dst->vm, &pkg, now);
	for (unsigned i = 0; i < 2; i++) {
		assert_memory_equal(&dst->vm.vcpus[i].regs, &src->vm.vcpus[i].regs,
				    sizeof(struct vcpu_regs));
		assert_int_equal(dst->vm.vcpus[i].power, VCPU_ON);
	}
	assert_true(vgic_irq(&dst->vm.vgic, 0, 33)->enabled);
	assert_true(vgic_irq(&dst->vm.vgic, 1, 27)->active);
	assert_int_equal(dst->vm.uart.imsc, 0x10);
	/* The guest's count goes on from 600000 at the stop, not from the source's clock. */
	assert_int_equal(now - dst->vm.ctl.cntvoff, 600000);
}

/* Which virtual interrupt a physical one backs is this board's own, whatever was sent. */
static void test_forwarding_stays_local(void **state)
{
	(void)state;
	vgic_irq(&src->vm.vgic, 0, 40)->hw = true;
	vgic_irq(&src->vm.vgic, 0, 40)->hw_intid = 30; /* the EL1 physical timer's PPI */
	vgic_irq(&src->vm.vgic, 1, 27)->hw = false;
	assert_true(transfer());
	vm_package_apply(&dst->vm, &pkg, 0);
	assert_false(vgic_irq(&dst->vm.vgic, 0, 40)->hw);
	for (unsigned i = 0; i < 2; i++) {
		assert_true(vgic_irq(&dst->vm.vgic, i, GUEST_VTIMER_INTID)->hw);
		assert_int_equal(vgic_irq(&dst->vm.vgic, i, GUEST_VTIMER_INTID)->hw_intid,
				 GUEST_VTIMER_INTID);
	}
}

/** A field a hostile source could set, and what the destination must say. */
static void refused(const char *why)
{
	assert_false(transfer());
	assert_string_equal(err, why);
}

static void test_pstate(void **state)
{
	struct vcpu_regs *r = &src->vm.vcpus[1].regs;

	(void)state;
	r->pstate = 0x3c9; /* EL2h: the peer's PC would run at EL2 */
	refused("vcpu 1: PSTATE 0x3c9 has mode M[3:0] = 0x9 (a guest runs at EL0t, EL1t or EL1h)");
	r->pstate = 0x3c8;
	refused("vcpu 1: PSTATE 0x3c8 has mode M[3:0] = 0x8 (a guest runs at EL0t, EL1t or EL1h)");
	r->pstate = 0x3cd; /* EL3h */
	assert_false(transfer());
	r->pstate = 0x3d0; /* AArch32 user */
	refused("vcpu 1: PSTATE 0x3d0 is AArch32 (M[4] set)");
	r->pstate = PSTATE_EL1H | PSTATE_IL;
	refused("vcpu 1: PSTATE 0x100005 has IL set");
	r->pstate = PSTATE_EL1H | PSTATE_SS;
	refused("vcpu 1: PSTATE 0x200005 has bits 0x200000 no guest here can hold");
	r->pstate = PSTATE_EL1H | PSTATE_T;
	refused("vcpu 1: PSTATE 0x25 has bits 0x20 no guest here can hold");
	r->pstate = PSTATE_EL1H | PSTATE_DIT; /* a feature this board's guests lack */
	refused("vcpu 1: PSTATE 0x1000005 has bits 0x1000000 no guest here can hold");
	r->pstate = PSTATE_EL1H | (1ull << 32);
	assert_false(transfer());
	/* What a guest holds: every mode, flags, masks and its features. */
	for (uint64_t m = 0; m <= 5; m += m ? 1 : 4) {
		r->pstate = m | PSTATE_NZCV | PSTATE_DAIF | PSTATE_PAN | PSTATE_UAO | PSTATE_SSBS;
		assert_true(transfer());
	}
}

static void test_cpu_interface_and_timer(void **state)
{
	struct vcpu_regs *r = &src->vm.vcpus[0].regs;

	(void)state;
	r->gic.ich_lr_el2[2] = 0xa0000000000001bull; /* a pending SGI left in a list register */
	refused("vcpu 0: ICH_LR2_EL2 is not empty (0xa0000000000001b)");
	r->gic.ich_lr_el2[2] = 0;
	r->gic.ich_lr_el2[15] = 1ull << 61 | 27ull << 32 | 27; /* HW: physical INTID 27 */
	refused("vcpu 0: ICH_LR15_EL2 is not empty (0x2000001b0000001b)");
	r->gic.ich_lr_el2[15] = 0;
	r->gic.ich_ap0r_el2[1] = 1;
	refused("vcpu 0: ICH_AP0R1/AP1R1_EL2 set, this board has 1 of them");
	r->gic.ich_ap0r_el2[1] = 0;
	r->gic.ich_vmcr_el2 |= 1u << 2; /* VAckCtl */
	refused("vcpu 0: ICH_VMCR_EL2 0xf04c000f has bits no guest can set");
	r->gic.ich_vmcr_el2 = 0xf1000000u; /* a priority mask below the 5 bits implemented */
	refused("vcpu 0: ICH_VMCR_EL2 0xf1000000 has bits no guest can set");
	r->gic.ich_vmcr_el2 = 0xf8000000u;
	assert_true(transfer());
	r->timer.cntv_ctl_el0 = 8;
	refused("vcpu 0: CNTV_CTL_EL0 0x8 has RES0 bits set");
}

static void test_vgic_and_vm(void **state)
{
	struct vgic_dist *g = &src->vm.vgic;

	(void)state;
	g->ctlr &= ~GICD_CTLR_ARE;
	refused("vgic-dist: GICD_CTLR 0x42 (affinity routing and DS are always on here)");
	g->ctlr |= GICD_CTLR_ARE;
	vgic_irq(g, 0, 40)->priority = 0xa3;
	refused("vgic-dist INTID 40: priority 0xa3 uses unimplemented bits");
	vgic_irq(g, 0, 40)->priority = 0xa0;
	vgic_irq(g, 0, 40)->irouter = 1ull << 45;
	refused("vgic-dist INTID 40: GICD_IROUTER 0x200000000000 has RES0 bits set");
	vgic_irq(g, 0, 40)->irouter = 0xff80ffffffull;
	assert_true(transfer());
	vgic_irq(g, 1, 3)->edge = false;
	refused("vgic-redist 1 SGI 3: level-sensitive (SGIs are edge-triggered)");
	vgic_irq(g, 1, 3)->edge = true;
	g->redist[1].mpidr = 0x100;
	refused("vgic-redist 1: MPIDR 0x100, this board's vCPU 1 has 0x1");
	g->redist[1].mpidr = 1;
	src->vm.vcpus[0].power = src->vm.vcpus[1].power = VCPU_OFF;
	refused("vm: vCPUs on 0x0, this board's VM has 2");
	src->vm.vcpus[0].power = VCPU_ON;
	src->vm.uart.ris_error = 0x80;
	refused("pl011: error status 0x80 (this UART never reports errors)");
}

/* A package for another VM shape: refused before anything of the VM is touched. */
static void test_shape(void **state)
{
	struct host_vm *one = host_vm_create("vm0", 1, MEM, 3);
	size_t len = vm_package_save(&src->vm, MIG_FORMAT_VERSION, buf, sizeof(buf));

	(void)state;
	assert_non_null(one);
	assert_false(vm_package_load(&one->vm, &limits, buf, len, &pkg, err, sizeof(err)));
	assert_string_equal(err, "the VM has 2 vCPUs, this board prepared 1");
	host_vm_destroy(one);
	assert_false(vm_package_load(&dst->vm, &limits, buf, len - 1, &pkg, err, sizeof(err)));
	assert_true(vm_package_load(&dst->vm, &limits, buf, len, &pkg, err, sizeof(err)));
	buf[len] = 0;
	assert_false(vm_package_load(&dst->vm, &limits, buf, len + 1, &pkg, err, sizeof(err)));
	assert_string_equal(err, "1 bytes after the device sections");
}

static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

static void give_nic(struct vm *vm)
{
	vm->cfg.has_nic = true;
	memcpy(vm->cfg.mac, mac, 6);
	vnet_init(&vm->net, mac);
}

/* The network device travels with a VM that has one, checked as its driver could leave it. */
static void test_network_device(void **state)
{
	struct vnet *n = &src->vm.net;

	(void)state;
	give_nic(&src->vm);
	give_nic(&dst->vm);
	n->status = VNET_S_ACKNOWLEDGE | VNET_S_DRIVER | VNET_S_FEATURES_OK | VNET_S_DRIVER_OK;
	n->driver_features = VNET_FEATURES;
	n->isr = VNET_ISR_USED;
	for (unsigned i = 0; i < 2; i++)
		n->q[i] = (struct vnet_queue){ .num = 256,
					       .ready = true,
					       .desc = 0x40001000,
					       .avail = 0x40002000,
					       .used = 0x40003000,
					       .last_avail = (uint16_t)(65530 + i),
					       .used_idx = (uint16_t)(65530 + i) };
	assert_true(transfer());
	vm_package_apply(&dst->vm, &pkg, 0);
	assert_int_equal(dst->vm.net.status, n->status);
	assert_int_equal(dst->vm.net.q[1].last_avail, 65531);
	assert_int_equal(dst->vm.net.q[0].used, 0x40003000);
	assert_true(vnet_irq_level(&dst->vm.net));
	assert_true(dst->vm.net.kicked[VNET_TX]); /* what was queued goes out at once */

	n->status |= 0x10;
	refused("virtio-net: status 0x1f");
	n->status &= ~0x10u;
	n->q[1].used_idx++;
	refused("virtio-net: queue 1 took 65531 entries and returned 65532");
	n->q[1].used_idx--;
	n->q[0].desc += 8;
	refused("virtio-net: queue 0 ready with size 256 or misaligned parts");
	n->q[0].desc -= 8;
	n->driver_features = VNET_F_MAC;
	refused("virtio-net: features 0x20 agreed");
	n->driver_features = VNET_FEATURES | 1ull << 6;
	refused("virtio-net: features 0x100000060 agreed");
	n->driver_features = VNET_FEATURES;
	n->mac[5] ^= 1;
	refused("virtio-net: the VM's MAC is 52:54:00:12:34:57, this board's configuration has "
		"another");
	n->mac[5] ^= 1;
	n->status = VNET_S_ACKNOWLEDGE | VNET_S_DRIVER;
	refused("virtio-net: interrupt status 0x1 with status 0x3");
	n->status |= VNET_S_FEATURES_OK | VNET_S_DRIVER_OK;
	n->isr = VNET_ISR_CONFIG;
	refused("virtio-net: a configuration change without DEVICE_NEEDS_RESET");
	n->isr = 0;
	vgic_irq(&src->vm.vgic, 0, GUEST_NET_INTID)->line_level =
		true; /* a line the state lowers */
	assert_true(transfer());
	vm_package_apply(&dst->vm, &pkg, 0);
	assert_false(vgic_irq(&dst->vm.vgic, 0, GUEST_NET_INTID)->line_level);
	/* A VM with a network device does not fit a board prepared without, nor the reverse. */
	dst->vm.cfg.has_nic = false;
	assert_false(transfer());
	dst->vm.cfg.has_nic = true;
	src->vm.cfg.has_nic = false;
	assert_false(transfer());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_golden_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_round_trip_and_apply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forwarding_stays_local, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pstate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cpu_interface_and_timer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vgic_and_vm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shape, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset_vgic_packs_small, setup, teardown),
		cmocka_unit_test_setup_teardown(test_network_device, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
