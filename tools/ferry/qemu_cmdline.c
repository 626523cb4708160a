/* SPDX-License-Identifier: Apache-2.0 */
/** QEMU command line of a board, see qemu_cmdline.h. */
#include "tools/ferry/qemu_cmdline.h"

#include <stdarg.h>
#include <stdio.h>

struct argv_builder {
	const char **argv;
	int argc;
	char *scratch;
	size_t left;
	bool overflow;
};

static void add(struct argv_builder *b, const char *arg)
{
	if (b->argc + 1 >= QEMU_ARGV_MAX) {
		b->overflow = true;
		return;
	}
	b->argv[b->argc++] = arg;
	b->argv[b->argc] = NULL;
}

/** Adds a formatted argument, kept in the scratch buffer. */
static void __attribute__((format(printf, 2, 3))) addf(struct argv_builder *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b->scratch, b->left, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= b->left) {
		b->overflow = true;
		return;
	}
	add(b, b->scratch);
	b->scratch += n + 1;
	b->left -= (size_t)n + 1;
}

/**
 * `value` as a value in a QEMU option (name=value,...): QEMU's option
 * syntax ends a value at a single comma and reads two as one comma
 * (QemuOpts and keyval alike), so commas are doubled. Kept in the scratch
 * buffer; the argument built with it comes after it there.
 */
static const char *opt_value(struct argv_builder *b, const char *value)
{
	char *out = b->scratch;
	size_t n = 0;

	for (const char *c = value; *c; c++) {
		if (n + 3 > b->left) {
			b->overflow = true;
			return "";
		}
		if (*c == ',')
			out[n++] = ',';
		out[n++] = *c;
	}
	if (n + 1 > b->left) {
		b->overflow = true;
		return "";
	}
	out[n++] = '\0';
	b->scratch += n;
	b->left -= n;
	return out;
}

int qemu_cmdline(const struct board_desc *board, const struct boot_options *opt, const char **argv,
		 char *scratch, size_t scratch_size)
{
	struct argv_builder b = { .argv = argv, .scratch = scratch, .left = scratch_size };
	const char *append = opt->append ? opt->append : "";

	add(&b, board->qemu_binary);
	for (const char *const *a = board->qemu_args; *a; a++)
		add(&b, *a);
	add(&b, "-smp");
	addf(&b, "%u", opt->cpus ? opt->cpus : board->cpu_count_launch);
	add(&b, "-m");
	addf(&b, "%uM", opt->mem_mib ? opt->mem_mib : board->ram_mib_launch);
	add(&b, "-kernel");
	add(&b, opt->image);
	if (opt->vm_record) {
		add(&b, "-fw_cfg");
		addf(&b, "name=opt/ferry/vm,string=%s", opt_value(&b, opt->vm_record));
		if (opt->guest_kernel) {
			add(&b, "-fw_cfg");
			addf(&b, "name=opt/ferry/kernel,file=%s", opt_value(&b, opt->guest_kernel));
		}
		if (opt->guest_initrd) {
			add(&b, "-fw_cfg");
			addf(&b, "name=opt/ferry/initrd,file=%s", opt_value(&b, opt->guest_initrd));
		}
	}
	if (opt->link_conf) {
		const char *const files[][2] = { { "link", opt->link_conf },
						 { "link-ca", opt->link_ca },
						 { "link-cert", opt->link_cert },
						 { "link-key", opt->link_key } };

		for (unsigned i = 0; i < 4; i++) {
			if (!files[i][1])
				continue;
			add(&b, "-fw_cfg");
			addf(&b, "name=opt/ferry/%s,file=%s", files[i][0],
			     opt_value(&b, files[i][1]));
		}
	}
	if (opt->net_socket) {
		/* One Ethernet between boards: QEMU's stream netdev over a unix socket. */
		add(&b, "-netdev");
		addf(&b, "stream,id=link,server=%s,addr.type=unix,addr.path=%s",
		     opt->net_server ? "on" : "off", opt_value(&b, opt->net_socket));
		add(&b, "-device");
		addf(&b, "virtio-net-device,netdev=link,mac=52:54:00:fe:00:%02x",
		     opt->net_mac_last);
	}
	if (opt->mgmt_socket) {
		/*
		 * The management channel: a virtio-console of its own, on a unix
		 * socket QEMU listens on without waiting. A serial port (not a
		 * console) at port 1, with MULTIPORT: QEMU then tells the board
		 * when a client connects or leaves (PORT_OPEN), so the board greets
		 * it and gives it the events kept meanwhile. Added after the
		 * network device: that keeps the link's slot.
		 */
		add(&b, "-chardev");
		addf(&b, "socket,id=mgmt,path=%s,server=on,wait=off",
		     opt_value(&b, opt->mgmt_socket));
		add(&b, "-device");
		add(&b, "virtio-serial-device,max_ports=2");
		add(&b, "-device");
		add(&b, "virtserialport,chardev=mgmt,nr=1,name=ferry.mgmt");
	}
	if (opt->mgmt_token) {
		add(&b, "-fw_cfg");
		addf(&b, "name=opt/ferry/mgmt-token,file=%s", opt_value(&b, opt->mgmt_token));
	}
	if (opt->lan_socket) {
		/*
		 * The guests' LAN, apart from the link: a port of `ferry lan`. Added
		 * last: the board finds it below the link's and the console's slots.
		 */
		add(&b, "-netdev");
		addf(&b, "stream,id=lan,server=off,addr.type=unix,addr.path=%s",
		     opt_value(&b, opt->lan_socket));
		add(&b, "-device");
		addf(&b, "virtio-net-device,netdev=lan,mac=52:54:00:1a:00:%02x", opt->net_mac_last);
	}
	if (opt->uart_trace) {
		/* QEMU's trace of each UART write, stamped in the vCPU thread that makes it. */
		add(&b, "-msg");
		add(&b, "timestamp=on");
		add(&b, "-trace");
		add(&b, "pl011_write");
		add(&b, "-D");
		add(&b, opt->uart_trace);
	}
	if (opt->qemu_qmp) {
		/* As -qmp unix:PATH, but with the path a named value: '=' in it is no key. */
		add(&b, "-chardev");
		addf(&b, "socket,id=qemu-qmp,path=%s,server=on,wait=off",
		     opt_value(&b, opt->qemu_qmp));
		add(&b, "-mon");
		add(&b, "chardev=qemu-qmp,mode=control");
	}
	if (opt->semihosting) {
		/* SYS_EXIT carries Ferry's verdict out as QEMU's exit code. */
		add(&b, "-semihosting");
		add(&b, "-append");
		addf(&b, "ferry.semihosting%s%s", append[0] ? " " : "", append);
	} else if (append[0]) {
		add(&b, "-append");
		add(&b, append);
	}
	return b.overflow ? -1 : b.argc;
}

int qemu_cmdline_direct(const struct direct_options *opt, const char **argv, char *scratch,
			size_t scratch_size)
{
	struct argv_builder b = { .argv = argv, .scratch = scratch, .left = scratch_size };

	add(&b, "qemu-system-aarch64");
	/* The guest's machine: virt with GICv3, entered at EL1, PSCI over HVC. */
	add(&b, "-M");
	add(&b, "virt,gic-version=3");
	add(&b, "-cpu");
	add(&b, "max,pauth-impdef=on");
	add(&b, "-nographic");
	add(&b, "-no-reboot");
	add(&b, "-nic");
	add(&b, "none");
	add(&b, "-smp");
	addf(&b, "%u", opt->cpus ? opt->cpus : 1);
	add(&b, "-m");
	addf(&b, "%uM", opt->mem_mib ? opt->mem_mib : 256);
	add(&b, "-kernel");
	add(&b, opt->kernel);
	if (opt->initrd) {
		add(&b, "-initrd");
		add(&b, opt->initrd);
	}
	if (opt->append) {
		add(&b, "-append");
		add(&b, opt->append);
	}
	return b.overflow ? -1 : b.argc;
}
