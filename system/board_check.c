/* SPDX-License-Identifier: Apache-2.0 */
/**
 * Board description versus device tree. Bindings: Linux
 * Documentation/devicetree/bindings (memory, cpus, arm,gic-v3, arm,pl011,
 * arm,psci, arm,armv8-timer, qemu,fw-cfg-mmio).
 */
#include "system/board_check.h"

#include <libfdt.h>
#include <string.h>

#include "lib/format.h"

struct checker {
	const void *fdt;
	board_problem_fn problem;
	void *ctx;
	unsigned count;
};

static void __attribute__((format(printf, 2, 3))) report(struct checker *c, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	va_start(ap, fmt);
	format_vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->count++;
	if (c->problem)
		c->problem(c->ctx, msg);
}

static uint64_t read_cells(const fdt32_t *cells, int count)
{
	uint64_t v = 0;

	for (int i = 0; i < count; i++)
		v = (v << 32) | fdt32_to_cpu(cells[i]);
	return v;
}

/** Reads entry `index` of node's "reg"; false when absent or malformed. */
static bool read_reg(const void *fdt, int node, int index, uint64_t *base, uint64_t *size)
{
	int parent = fdt_parent_offset(fdt, node);
	int ac = parent >= 0 ? fdt_address_cells(fdt, parent) : -1;
	int sc = parent >= 0 ? fdt_size_cells(fdt, parent) : -1;
	int len, entry;
	const fdt32_t *reg;

	if (ac < 1 || ac > 2 || sc < 0 || sc > 2)
		return false;
	reg = fdt_getprop(fdt, node, "reg", &len);
	entry = (ac + sc) * (int)sizeof(fdt32_t);
	if (!reg || len < 0 || (index + 1) * entry > len)
		return false;
	reg += index * (ac + sc);
	*base = read_cells(reg, ac);
	*size = sc ? read_cells(reg + ac, sc) : 0;
	return true;
}

static void check_device(struct checker *c, const char *compatible, const char *what, int reg_index,
			 uint64_t want)
{
	int node = fdt_node_offset_by_compatible(c->fdt, -1, compatible);
	uint64_t base, size;

	if (node < 0) {
		report(c, "no %s (compatible \"%s\") in the device tree", what, compatible);
		return;
	}
	if (!read_reg(c->fdt, node, reg_index, &base, &size)) {
		report(c, "%s: malformed or missing reg", what);
		return;
	}
	if (base != want)
		report(c, "%s at 0x%llx, but the board description says 0x%llx", what,
		       (unsigned long long)base, (unsigned long long)want);
}

static void check_memory(struct checker *c, const struct board_desc *b, struct board_facts *f)
{
	int node = fdt_node_offset_by_prop_value(c->fdt, -1, "device_type", "memory", 7);

	if (node < 0 || !read_reg(c->fdt, node, 0, &f->ram_base, &f->ram_size)) {
		report(c, "no readable memory node in the device tree");
		return;
	}
	if (f->ram_base != b->ram_base)
		report(c, "RAM at 0x%llx, but the board description says 0x%llx",
		       (unsigned long long)f->ram_base, (unsigned long long)b->ram_base);
	if (f->ram_size < b->ram_size_min)
		report(c, "RAM is %llu MiB, Ferry needs at least %llu MiB",
		       (unsigned long long)(f->ram_size >> 20),
		       (unsigned long long)(b->ram_size_min >> 20));
}

static void check_cpus(struct checker *c, const struct board_desc *b, struct board_facts *f)
{
	int cpus = fdt_path_offset(c->fdt, "/cpus");
	int node;

	if (cpus < 0) {
		report(c, "no /cpus node in the device tree");
		return;
	}
	fdt_for_each_subnode (node, c->fdt, cpus) {
		const char *type = fdt_getprop(c->fdt, node, "device_type", NULL);
		const char *method;
		uint64_t mpidr, unused;

		if (!type || strcmp(type, "cpu") != 0)
			continue;
		f->cpu_count_found++;
		if (!read_reg(c->fdt, node, 0, &mpidr, &unused)) {
			report(c, "cpu node %s: malformed reg", fdt_get_name(c->fdt, node, NULL));
			continue;
		}
		method = fdt_getprop(c->fdt, node, "enable-method", NULL);
		if (f->cpu_count_found > 1 && (!method || strcmp(method, "psci") != 0))
			report(c, "cpu 0x%llx: enable-method is not psci",
			       (unsigned long long)mpidr);
		if (f->cpu_count < BOARD_CPU_MAX && f->cpu_count < b->cpu_count_max)
			f->cpu_mpidr[f->cpu_count++] = mpidr & 0xff00ffffffull;
	}
	if (f->cpu_count == 0)
		report(c, "no cpu nodes under /cpus");
}

static void check_psci(struct checker *c)
{
	int node = fdt_node_offset_by_compatible(c->fdt, -1, "arm,psci-0.2");
	const char *method;

	if (node < 0)
		node = fdt_node_offset_by_compatible(c->fdt, -1, "arm,psci-1.0");
	if (node < 0) {
		report(c, "no PSCI 0.2+ node in the device tree");
		return;
	}
	method = fdt_getprop(c->fdt, node, "method", NULL);
	/* Ferry runs at EL2: the firmware below it must be reached with SMC. */
	if (!method || strcmp(method, "smc") != 0)
		report(c, "PSCI method is \"%s\", Ferry at EL2 needs \"smc\"",
		       method ? method : "");
}

unsigned board_check(const void *dtb, size_t dtb_max, const struct board_desc *b,
		     struct board_facts *f, board_problem_fn problem, void *ctx)
{
	struct checker c = { .fdt = dtb, .problem = problem, .ctx = ctx };
	int chosen, err;

	memset(f, 0, sizeof(*f));
	f->bootargs = "";
	if (dtb_max < sizeof(struct fdt_header)) {
		report(&c, "device tree area is too small");
		return c.count;
	}
	err = fdt_check_header(dtb);
	if (err) {
		report(&c, "no valid device tree at the expected address: %s", fdt_strerror(err));
		return c.count;
	}
	if (fdt_totalsize(dtb) > dtb_max) {
		report(&c, "device tree claims %u bytes, more than the %zu it may use",
		       fdt_totalsize(dtb), dtb_max);
		return c.count;
	}
	/*
	 * Versions before 16 name nodes by full path; libfdt's checker
	 * mishandles some of those (a NULL name), and every firmware we run
	 * on writes version 17 (DTSpec 5.2).
	 */
	if (fdt_version(dtb) < 16) {
		report(&c, "device tree version %u is too old (Ferry reads 16 and later)",
		       fdt_version(dtb));
		return c.count;
	}
	/*
	 * libfdt reads the memory reservation map as 64-bit words and the
	 * structure block as 32-bit words in place (DTSpec 5.3-5.4 require
	 * this alignment); refuse a tree that breaks it.
	 */
	if (fdt_off_mem_rsvmap(dtb) % 8 || fdt_off_dt_struct(dtb) % 4) {
		report(&c, "malformed device tree: misaligned blocks");
		return c.count;
	}
	/* Walks the whole structure block once, so later look-ups stay inside it. */
	err = fdt_check_full(dtb, dtb_max);
	if (err) {
		report(&c, "malformed device tree: %s", fdt_strerror(err));
		return c.count;
	}

	check_memory(&c, b, f);
	check_cpus(&c, b, f);
	check_psci(&c);
	check_device(&c, "arm,gic-v3", "GICv3 distributor", 0, b->gic.gicd_base);
	check_device(&c, "arm,gic-v3", "GICv3 redistributors", 1, b->gic.gicr_base);
	check_device(&c, "arm,pl011", "PL011 UART", 0, b->uart.base);
	check_device(&c, "qemu,fw-cfg-mmio", "fw_cfg", 0, b->fw_cfg_base);
	check_device(&c, "arm,pl031", "PL031 real-time clock", 0, b->rtc_base);
	if (fdt_node_offset_by_compatible(dtb, -1, "arm,armv8-timer") < 0)
		report(&c, "no arm,armv8-timer node in the device tree");

	chosen = fdt_path_offset(dtb, "/chosen");
	if (chosen >= 0) {
		int len;
		const char *args = fdt_getprop(dtb, chosen, "bootargs", &len);

		/* Must be a terminated string inside the property. */
		if (args && len > 0 && memchr(args, '\0', (size_t)len))
			f->bootargs = args;
	}
	return c.count;
}
