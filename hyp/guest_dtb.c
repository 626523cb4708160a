/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The guest's device tree, written with libfdt's sequential-write API.
 * Bindings: Linux Documentation/devicetree/bindings (arm/cpus, arm/psci,
 * interrupt-controller/arm,gic-v3, timer/arm,arch_timer, serial/pl011).
 */
#include "hyp/guest_dtb.h"

#include <libfdt.h>
#include <string.h>

#include "lib/format.h"
#include "hyp/vgic.h"
#include "hyp/vgic_mmio.h"
#include "hyp/vm.h"

#define PHANDLE_GIC    1
#define PHANDLE_CLK    2
#define GIC_PPI	       1
#define GIC_SPI	       0
#define IRQ_LEVEL_HIGH 4

/** fdt_property_string, without its size_t-to-int conversion warning. */
static int prop_str(void *fdt, const char *name, const char *value)
{
	return fdt_property(fdt, name, value, (int)strlen(value) + 1);
}

static int prop_cells(void *fdt, const char *name, const uint32_t *cells, unsigned n)
{
	fdt32_t be[16];

	for (unsigned i = 0; i < n && i < 16; i++)
		be[i] = cpu_to_fdt32(cells[i]);
	return fdt_property(fdt, name, be, (int)(n * sizeof(fdt32_t)));
}

static int prop_reg(void *fdt, uint64_t base, uint64_t size)
{
	uint32_t c[4] = { (uint32_t)(base >> 32), (uint32_t)base, (uint32_t)(size >> 32),
			  (uint32_t)size };

	return prop_cells(fdt, "reg", c, 4);
}

static int add_cpus(void *fdt, unsigned count)
{
	int err = fdt_begin_node(fdt, "cpus");

	err |= fdt_property_u32(fdt, "#address-cells", 1);
	err |= fdt_property_u32(fdt, "#size-cells", 0);
	for (unsigned i = 0; i < count; i++) {
		char name[16];

		format_snprintf(name, sizeof(name), "cpu@%u", i);
		err |= fdt_begin_node(fdt, name);
		err |= prop_str(fdt, "device_type", "cpu");
		err |= prop_str(fdt, "compatible", "arm,armv8");
		err |= fdt_property_u32(fdt, "reg", i);
		err |= prop_str(fdt, "enable-method", "psci");
		err |= fdt_end_node(fdt);
	}
	return err | fdt_end_node(fdt);
}

static int add_gic_and_timer(void *fdt, unsigned vcpus)
{
	uint32_t reg[8] = { 0, (uint32_t)GUEST_GICD_IPA, 0, VGIC_DIST_SIZE,
			    0, (uint32_t)GUEST_GICR_IPA, 0, vcpus * VGIC_REDIST_STRIDE };
	/* secure phys, non-secure phys, virtual, hypervisor PPIs (as PPI numbers) */
	uint32_t timer[12] = { GIC_PPI,
			       13,
			       IRQ_LEVEL_HIGH,
			       GIC_PPI,
			       14,
			       IRQ_LEVEL_HIGH,
			       GIC_PPI,
			       GUEST_VTIMER_INTID - 16,
			       IRQ_LEVEL_HIGH,
			       GIC_PPI,
			       10,
			       IRQ_LEVEL_HIGH };
	uint32_t maint[3] = { GIC_PPI, GUEST_MAINT_INTID - 16, IRQ_LEVEL_HIGH };
	int err = fdt_begin_node(fdt, "intc@8000000");

	err |= prop_str(fdt, "compatible", "arm,gic-v3");
	err |= fdt_property_u32(fdt, "#interrupt-cells", 3);
	err |= fdt_property(fdt, "interrupt-controller", NULL, 0);
	err |= fdt_property_u32(fdt, "#redistributor-regions", 1);
	err |= prop_cells(fdt, "reg", reg, 8);
	err |= prop_cells(fdt, "interrupts", maint, 3);
	err |= fdt_property_u32(fdt, "phandle", PHANDLE_GIC);
	err |= fdt_end_node(fdt);

	err |= fdt_begin_node(fdt, "timer");
	err |= prop_str(fdt, "compatible", "arm,armv8-timer");
	err |= prop_cells(fdt, "interrupts", timer, 12);
	err |= fdt_property(fdt, "always-on", NULL, 0);
	return err | fdt_end_node(fdt);
}

static int add_uart(void *fdt)
{
	uint32_t irq[3] = { GIC_SPI, GUEST_UART_INTID - 32, IRQ_LEVEL_HIGH };
	uint32_t clocks[2] = { PHANDLE_CLK, PHANDLE_CLK };
	int err = fdt_begin_node(fdt, "apb-pclk");

	err |= prop_str(fdt, "compatible", "fixed-clock");
	err |= fdt_property_u32(fdt, "#clock-cells", 0);
	err |= fdt_property_u32(fdt, "clock-frequency", 24000000);
	err |= prop_str(fdt, "clock-output-names", "clk24mhz");
	err |= fdt_property_u32(fdt, "phandle", PHANDLE_CLK);
	err |= fdt_end_node(fdt);

	err |= fdt_begin_node(fdt, "pl011@9000000");
	err |= fdt_property(fdt, "compatible", "arm,pl011\0arm,primecell", 24);
	err |= prop_reg(fdt, GUEST_UART_IPA, 0x1000);
	err |= prop_cells(fdt, "interrupts", irq, 3);
	err |= prop_cells(fdt, "clocks", clocks, 2);
	err |= fdt_property(fdt, "clock-names", "uartclk\0apb_pclk", 17);
	return err | fdt_end_node(fdt);
}

/* Like QEMU virt's: the virtio-mmio binding (Linux:
 * Documentation/devicetree/bindings/virtio/mmio.yaml). */
static int add_net(void *fdt)
{
	uint32_t irq[3] = { GIC_SPI, GUEST_NET_INTID - 32,
			    IRQ_LEVEL_HIGH }; /* InterruptStatus != 0 */
	int err = fdt_begin_node(fdt, "virtio_mmio@a000000");

	err |= prop_str(fdt, "compatible", "virtio,mmio");
	err |= prop_reg(fdt, GUEST_NET_IPA, GUEST_NET_SIZE);
	err |= prop_cells(fdt, "interrupts", irq, 3);
	err |= fdt_property(fdt, "dma-coherent", NULL, 0);
	return err | fdt_end_node(fdt);
}

bool guest_dtb_build(void *buf, size_t size, const struct guest_dtb_params *p)
{
	void *fdt = buf;
	int err = fdt_create(fdt, (int)size);

	err |= fdt_finish_reservemap(fdt);
	err |= fdt_begin_node(fdt, "");
	err |= fdt_property_u32(fdt, "#address-cells", 2);
	err |= fdt_property_u32(fdt, "#size-cells", 2);
	err |= prop_str(fdt, "compatible", "linux,dummy-virt");
	err |= prop_str(fdt, "model", "Ferry VM");
	err |= fdt_property_u32(fdt, "interrupt-parent", PHANDLE_GIC);

	err |= fdt_begin_node(fdt, "psci");
	err |= fdt_property(fdt, "compatible", "arm,psci-1.0\0arm,psci-0.2", 26);
	err |= prop_str(fdt, "method", "hvc");
	err |= fdt_end_node(fdt);

	err |= fdt_begin_node(fdt, "memory@40000000");
	err |= prop_str(fdt, "device_type", "memory");
	err |= prop_reg(fdt, p->ram_ipa, p->ram_size);
	err |= fdt_end_node(fdt);

	err |= add_cpus(fdt, p->vcpu_count);
	err |= add_gic_and_timer(fdt, p->vcpu_count);
	err |= add_uart(fdt);
	if (p->has_nic)
		err |= add_net(fdt);

	err |= fdt_begin_node(fdt, "chosen");
	err |= prop_str(fdt, "bootargs", p->bootargs ? p->bootargs : "");
	err |= prop_str(fdt, "stdout-path", "/pl011@9000000");
	if (p->initrd_end > p->initrd_start) {
		err |= fdt_property_u64(fdt, "linux,initrd-start", p->initrd_start);
		err |= fdt_property_u64(fdt, "linux,initrd-end", p->initrd_end);
	}
	err |= fdt_end_node(fdt);

	err |= fdt_end_node(fdt);
	err |= fdt_finish(fdt);
	return err == 0;
}
