/* SPDX-License-Identifier: Apache-2.0 */
/** The vGIC model: register emulation, line levels, SGIs, list registers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hyp/vgic_mmio.h"

static struct vgic_dist d;

static uint64_t rd(bool (*fn)(void *, struct mmio_access *), uint64_t off, unsigned size)
{
	struct mmio_access a = { .offset = off, .size = size, .write = false };

	assert_true(fn(&d, &a));
	return a.value;
}

static void wr(bool (*fn)(void *, struct mmio_access *), uint64_t off, unsigned size, uint64_t v)
{
	struct mmio_access a = { .offset = off, .size = size, .write = true, .value = v };

	assert_true(fn(&d, &a));
}

static int setup(void **state)
{
	(void)state;
	vgic_init(&d, 2);
	return 0;
}

static void test_identification(void **state)
{
	(void)state;
	assert_int_equal(rd(vgic_mmio_dist, 0xffe8, 4) >> 4 & 0xf, 3); /* GICv3 */
	assert_int_equal(rd(vgic_mmio_dist, 0x4, 4) & 0x1f, 2);	       /* 96 INTIDs */
	assert_int_equal(rd(vgic_mmio_dist, 0x0, 4), GICD_CTLR_ARE | GICD_CTLR_DS);
	wr(vgic_mmio_dist, 0x0, 4, 0x3);
	assert_int_equal(rd(vgic_mmio_dist, 0x0, 4), 0x53);
	/* GICR_TYPER: vCPU 1 is the last, Affinity 1, Processor_Number 1 */
	assert_int_equal(rd(vgic_mmio_redist, 0x20008, 8), (1ull << 32) | (1u << 8) | (1u << 4));
	assert_int_equal(rd(vgic_mmio_redist, 0x00008, 8), 0);
	/* Waking a redistributor (Linux's gic_enable_redist) */
	assert_int_equal(rd(vgic_mmio_redist, 0x14, 4), 6);
	wr(vgic_mmio_redist, 0x14, 4, 0);
	assert_int_equal(rd(vgic_mmio_redist, 0x14, 4), 0);
}

static void test_spi_registers(void **state)
{
	(void)state;
	wr(vgic_mmio_dist, 0x100 + 4, 4, 1u << 1); /* ISENABLER1: INTID 33 */
	assert_true(vgic_irq(&d, 0, 33)->enabled);
	assert_int_equal(rd(vgic_mmio_dist, 0x180 + 4, 4), 2);
	wr(vgic_mmio_dist, 0x180 + 4, 4, 1u << 1); /* ICENABLER1 */
	assert_false(vgic_irq(&d, 0, 33)->enabled);
	wr(vgic_mmio_dist, 0x400 + 33, 1, 0xa7); /* byte priority, 5 bits kept */
	assert_int_equal(vgic_irq(&d, 0, 33)->priority, 0xa0);
	wr(vgic_mmio_dist, 0xc00 + 8, 4, 2u << 2); /* ICFGR2: INTID 33 edge */
	assert_true(vgic_irq(&d, 0, 33)->edge);
	/* SGI/PPI bits of the distributor are RAZ/WI with ARE */
	wr(vgic_mmio_dist, 0x100, 4, ~0u);
	assert_false(vgic_irq(&d, 0, 27)->enabled);
	assert_int_equal(rd(vgic_mmio_dist, 0x100, 4), 0);
	/* IROUTER of INTID 33 to vCPU 1, in two halves */
	wr(vgic_mmio_dist, 0x6000 + 8 * 33, 4, 1);
	wr(vgic_mmio_dist, 0x6000 + 8 * 33 + 4, 4, 0);
	assert_int_equal(vgic_spi_target(&d, 33), 1);
	assert_int_equal(rd(vgic_mmio_dist, 0x6000 + 8 * 33, 8), 1);
	/* out of range INTIDs read as zero */
	assert_int_equal(rd(vgic_mmio_dist, 0x100 + 12, 4), 0);
}

static void test_sgi_frame(void **state)
{
	(void)state;
	wr(vgic_mmio_redist, 0x20000 + 0x10000 + 0x100, 4, 1u << 27); /* vCPU 1, PPI 27 */
	assert_true(vgic_irq(&d, 1, 27)->enabled);
	assert_false(vgic_irq(&d, 0, 27)->enabled);
	/* SGI configuration is read-only edge */
	wr(vgic_mmio_redist, 0x10000 + 0xc00, 4, 0);
	assert_int_equal(rd(vgic_mmio_redist, 0x10000 + 0xc00, 4), 0xaaaaaaaa);
	/* unaligned or wrong-sized accesses are refused */
	{
		struct mmio_access a = { .offset = 0x10102, .size = 4 };

		assert_false(vgic_mmio_redist(&d, &a));
	}
}

static void test_level_and_edge_lines(void **state)
{
	struct vgic_irq *uart = vgic_irq(&d, 0, 33);

	(void)state;
	assert_int_equal(vgic_set_line(&d, 0, 33, true), 0);
	assert_true(vgic_irq_pending(uart));
	/* ICPENDR does not clear a level interrupt whose line is high */
	wr(vgic_mmio_dist, 0x280 + 4, 4, 2);
	assert_true(vgic_irq_pending(uart));
	assert_int_equal(vgic_set_line(&d, 0, 33, false), 0);
	assert_false(vgic_irq_pending(uart));
	assert_int_equal(vgic_set_line(&d, 0, 33, false), -1);
	/* an edge interrupt latches */
	uart->edge = true;
	vgic_set_line(&d, 0, 33, true);
	vgic_set_line(&d, 0, 33, false);
	assert_true(vgic_irq_pending(uart));
}

/* An SGI sent again while the first one sits in a list register is not lost. */
static void test_sgi_while_in_lr(void **state)
{
	struct vgic_cpu_if cif;
	struct vgic_irq *sgi = vgic_irq(&d, 1, 1);

	(void)state;
	d.ctlr |= GICD_CTLR_ENABLE_G1;
	sgi->group1 = sgi->enabled = true;
	vgic_send_sgi(&d, 0, (1ull << 24) | 2);
	vgic_flush_lrs(&d, 1, &cif, 4);
	assert_int_equal(cif.ich_lr_el2[0] >> 62, 1);
	vgic_send_sgi(&d, 0, (1ull << 24) | 2); /* again, while vCPU 1 runs */
	cif.ich_lr_el2[0] &= ~(3ull << 62);	/* the guest took and finished the first */
	vgic_sync_lrs(&d, 1, &cif, 4);
	assert_true(vgic_irq_pending(sgi));
}

static void test_sgis(void **state)
{
	(void)state;
	/* INTID 3 to TargetList {1} */
	assert_int_equal(vgic_send_sgi(&d, 0, (3ull << 24) | 2), 2);
	assert_true(vgic_irq(&d, 1, 3)->pending_latch);
	assert_false(vgic_irq(&d, 0, 3)->pending_latch);
	/* IRM: everyone but the sender */
	assert_int_equal(vgic_send_sgi(&d, 1, (5ull << 24) | (1ull << 40)), 1);
	/* a non-zero Aff1 matches no vCPU */
	assert_int_equal(vgic_send_sgi(&d, 0, (1ull << 16) | 3), 0);
}

static void test_list_registers(void **state)
{
	struct vgic_cpu_if cif;
	struct vgic_irq *irq;

	(void)state;
	d.ctlr |= GICD_CTLR_ENABLE_G1;
	for (uint32_t i = 0; i < 6; i++) {
		irq = vgic_irq(&d, 0, i);
		irq->group1 = true;
		irq->enabled = true;
		irq->priority = (uint8_t)(0x80 - i * 8); /* higher INTID, more urgent */
		irq->pending_latch = true;
	}
	vgic_flush_lrs(&d, 0, &cif, 4);
	/* the 4 most urgent: INTIDs 5, 4, 3, 2, pending, group 1 */
	assert_int_equal(cif.ich_lr_el2[0] & 0xffffffff, 5);
	assert_int_equal(cif.ich_lr_el2[3] & 0xffffffff, 2);
	assert_int_equal(cif.ich_lr_el2[0] >> 62, 1);
	assert_true(cif.ich_lr_el2[0] & (1ull << 60));
	assert_int_equal((cif.ich_lr_el2[0] >> 48) & 0xff, 0x58);
	/* two more wait: underflow maintenance requested */
	assert_int_equal(cif.ich_hcr_el2, 3);

	/* the guest acknowledged INTID 5 (now active) and finished INTID 4 */
	cif.ich_lr_el2[0] = (cif.ich_lr_el2[0] & ~(3ull << 62)) | (2ull << 62);
	cif.ich_lr_el2[1] &= ~(3ull << 62);
	vgic_sync_lrs(&d, 0, &cif, 4);
	assert_true(vgic_irq(&d, 0, 5)->active);
	assert_false(vgic_irq(&d, 0, 5)->pending_latch);
	assert_false(vgic_irq(&d, 0, 4)->pending_latch);
	assert_false(vgic_irq(&d, 0, 4)->active);

	vgic_flush_lrs(&d, 0, &cif, 4);
	assert_int_equal(cif.ich_lr_el2[0] & 0xffffffff, 5);
	assert_int_equal(cif.ich_lr_el2[0] >> 62, 2); /* active only */
	/* 5 (active), 3, 2, 1 fit; INTID 0 still waits */
	assert_int_equal(cif.ich_lr_el2[3] & 0xffffffff, 1);
	assert_int_equal(cif.ich_hcr_el2, 3);
	vgic_sync_lrs(&d, 0, &cif, 4); /* the guest ran, took nothing */
	assert_true(vgic_irq(&d, 0, 3)->pending_latch);
	vgic_irq(&d, 0, 0)->pending_latch = false;
	vgic_flush_lrs(&d, 0, &cif, 4);
	assert_int_equal(cif.ich_hcr_el2, 1); /* all fit now */
}

/* An active interrupt keeps its list register even when more urgent ones wait. */
static void test_active_keeps_its_lr(void **state)
{
	struct vgic_cpu_if cif;

	(void)state;
	d.ctlr |= GICD_CTLR_ENABLE_G1;
	for (uint32_t i = 0; i < 28; i++) {
		struct vgic_irq *irq = vgic_irq(&d, 0, i);

		irq->group1 = irq->enabled = true;
		irq->priority = 0xa0;
		irq->pending_latch = i < 8; /* eight SGIs waiting */
	}
	vgic_irq(&d, 0, 27)->active = true; /* the timer's handler is running */
	vgic_flush_lrs(&d, 0, &cif, 4);
	assert_int_equal(cif.ich_lr_el2[0] & 0xffffffff, 27);
	assert_int_equal(cif.ich_lr_el2[1] & 0xffffffff, 0);
	assert_int_equal(cif.ich_hcr_el2, 3);
}

static void test_forwarded_timer(void **state)
{
	struct vgic_cpu_if cif;
	struct vgic_irq *t = vgic_irq(&d, 0, 27);

	(void)state;
	d.ctlr |= GICD_CTLR_ENABLE_G1;
	t->group1 = t->enabled = true;
	vgic_set_hw(&d, 0, 27, 27);
	vgic_set_line(&d, 0, 27, true);
	vgic_flush_lrs(&d, 0, &cif, 4);
	/* HW = 1, pINTID = 27, pending */
	assert_int_equal(cif.ich_lr_el2[0],
			 (1ull << 62) | (1ull << 61) | (1ull << 60) | (27ull << 32) | 27);
	/* acknowledged by the guest: active in the LR, the line is the hardware's now */
	cif.ich_lr_el2[0] = (cif.ich_lr_el2[0] & ~(3ull << 62)) | (2ull << 62);
	vgic_sync_lrs(&d, 0, &cif, 4);
	assert_false(t->line_level);
	vgic_flush_lrs(&d, 0, &cif, 4);
	assert_int_equal(cif.ich_lr_el2[0] >> 62, 2); /* never pending and active with HW */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_identification, setup),
		cmocka_unit_test_setup(test_spi_registers, setup),
		cmocka_unit_test_setup(test_sgi_frame, setup),
		cmocka_unit_test_setup(test_level_and_edge_lines, setup),
		cmocka_unit_test_setup(test_sgis, setup),
		cmocka_unit_test_setup(test_sgi_while_in_lr, setup),
		cmocka_unit_test_setup(test_list_registers, setup),
		cmocka_unit_test_setup(test_active_keeps_its_lr, setup),
		cmocka_unit_test_setup(test_forwarded_timer, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
