/* SPDX-License-Identifier: Apache-2.0 */
/** The QEMU command line the ferry tool builds from the board description. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tools/ferry/qemu_cmdline.h"

static const char *find_after(const char **argv, const char *flag)
{
	for (int i = 0; argv[i]; i++)
		if (strcmp(argv[i], flag) == 0)
			return argv[i + 1];
	return NULL;
}

static void test_defaults_from_board(void **state)
{
	struct boot_options opt = { .image = "ferry.elf" };
	const char *argv[QEMU_ARGV_MAX];
	char scratch[256];

	(void)state;
	assert_true(qemu_cmdline(&board_current, &opt, argv, scratch, sizeof(scratch)) > 0);
	assert_string_equal(argv[0], "qemu-system-aarch64");
	assert_string_equal(find_after(argv, "-M"), "virt,virtualization=on,gic-version=3");
	assert_string_equal(find_after(argv, "-smp"), "2");
	assert_string_equal(find_after(argv, "-m"), "1024M");
	assert_string_equal(find_after(argv, "-kernel"), "ferry.elf");
	assert_null(find_after(argv, "-append"));
}

static void test_semihosting_and_append(void **state)
{
	struct boot_options opt = { .image = "x",
				    .cpus = 1,
				    .mem_mib = 512,
				    .append = "ferry.test=crash",
				    .semihosting = true };
	const char *argv[QEMU_ARGV_MAX];
	char scratch[256];

	(void)state;
	assert_true(qemu_cmdline(&board_current, &opt, argv, scratch, sizeof(scratch)) > 0);
	assert_string_equal(find_after(argv, "-append"), "ferry.semihosting ferry.test=crash");
	assert_string_equal(find_after(argv, "-smp"), "1");
	assert_string_equal(find_after(argv, "-m"), "512M");
	assert_non_null(find_after(argv, "-semihosting"));
}

/* The link: its files as fw_cfg, the emulated Ethernet as a stream netdev with its MAC. */
static void test_link_and_network(void **state)
{
	struct boot_options opt = { .image = "x",
				    .link_conf = "d/link.conf",
				    .link_ca = "d/ca.crt",
				    .link_cert = "d/board.crt",
				    .link_key = "d/board.key",
				    .net_socket = "/tmp/s",
				    .net_server = true,
				    .net_mac_last = 2 };
	const char *argv[QEMU_ARGV_MAX];
	char scratch[2048];
	int n, files = 0;

	(void)state;
	n = qemu_cmdline(&board_current, &opt, argv, scratch, sizeof(scratch));
	assert_true(n > 0);
	for (int i = 0; i + 1 < n; i++)
		if (!strcmp(argv[i], "-fw_cfg") && !strncmp(argv[i + 1], "name=opt/ferry/link", 19))
			files++;
	assert_int_equal(files, 4);
	assert_string_equal(find_after(argv, "-netdev"),
			    "stream,id=link,server=on,addr.type=unix,addr.path=/tmp/s");
	assert_string_equal(find_after(argv, "-device"),
			    "virtio-net-device,netdev=link,mac=52:54:00:fe:00:02");
	opt.net_server = false;
	opt.link_ca = opt.link_cert = opt.link_key = NULL; /* PSK mode: link.conf only */
	n = qemu_cmdline(&board_current, &opt, argv, scratch, sizeof(scratch));
	files = 0;
	for (int i = 0; i + 1 < n; i++)
		if (!strcmp(argv[i], "-fw_cfg") && !strncmp(argv[i + 1], "name=opt/ferry/link", 19))
			files++;
	assert_int_equal(files, 1);
	assert_non_null(strstr(find_after(argv, "-netdev"), "server=off"));
}

/* The management channel comes after the network device, so the link keeps slot 31. */
static void test_management_channel(void **state)
{
	struct boot_options opt = { .image = "x", .net_socket = "/tmp/s", .mgmt_socket = "/tmp/m" };
	const char *argv[QEMU_ARGV_MAX];
	char scratch[2048];
	int n, net = -1, serial = -1;

	(void)state;
	n = qemu_cmdline(&board_current, &opt, argv, scratch, sizeof(scratch));
	assert_true(n > 0);
	assert_string_equal(find_after(argv, "-chardev"),
			    "socket,id=mgmt,path=/tmp/m,server=on,wait=off");
	for (int i = 0; i + 1 < n; i++) {
		if (!strcmp(argv[i], "-device") && !strncmp(argv[i + 1], "virtio-net-device", 17))
			net = i;
		if (!strcmp(argv[i], "-device") &&
		    !strcmp(argv[i + 1], "virtio-serial-device,max_ports=2"))
			serial = i;
	}
	assert_true(net >= 0 && serial > net);
	assert_string_equal(argv[serial + 3], "virtserialport,chardev=mgmt,nr=1,name=ferry.mgmt");
	assert_null(find_after(argv, "-fw_cfg"));
	/* the management token goes to the board as a fw_cfg file */
	opt.mgmt_token = "/tmp/c/a/mgmt.token";
	n = qemu_cmdline(&board_current, &opt, argv, scratch, sizeof(scratch));
	assert_true(n > 0);
	assert_string_equal(find_after(argv, "-fw_cfg"),
			    "name=opt/ferry/mgmt-token,file=/tmp/c/a/mgmt.token");
}

/* A path with commas in it: QEMU reads a doubled comma as one, in every option value. */
static void test_commas_in_paths(void **state)
{
	struct boot_options opt = { .image = "x",
				    .vm_record = "name=vm0\nmem=64M",
				    .guest_kernel = "/tmp/a,b/Image",
				    .link_conf = "/tmp/a,b/link.conf",
				    .net_socket = "/tmp/a,b/s",
				    .mgmt_socket = "/tmp/a,b/m",
				    .mgmt_token = "/tmp/a,,b/t",
				    .lan_socket = "/tmp/,l" };
	const char *argv[QEMU_ARGV_MAX];
	char scratch[4096];
	int n;
	bool kernel = false, link = false, token = false, lan = false;

	(void)state;
	n = qemu_cmdline(&board_current, &opt, argv, scratch, sizeof(scratch));
	assert_true(n > 0);
	for (int i = 0; i + 1 < n; i++) {
		kernel |= !strcmp(argv[i + 1], "name=opt/ferry/kernel,file=/tmp/a,,b/Image");
		link |= !strcmp(argv[i + 1], "name=opt/ferry/link,file=/tmp/a,,b/link.conf");
		token |= !strcmp(argv[i + 1], "name=opt/ferry/mgmt-token,file=/tmp/a,,,,b/t");
	}
	assert_true(kernel && link && token);
	assert_string_equal(find_after(argv, "-chardev"),
			    "socket,id=mgmt,path=/tmp/a,,b/m,server=on,wait=off");
	assert_string_equal(find_after(argv, "-netdev"),
			    "stream,id=link,server=off,addr.type=unix,addr.path=/tmp/a,,b/s");
	for (int i = 0; i + 1 < n; i++)
		lan |= !strcmp(argv[i], "-netdev") &&
		       !strcmp(argv[i + 1],
			       "stream,id=lan,server=off,addr.type=unix,addr.path=/tmp/,,l");
	assert_true(lan);
	/* a scratch buffer too small for the doubled commas is an error, not a cut path */
	assert_int_equal(qemu_cmdline(&board_current, &opt, argv, scratch, 200), -1);
}

/* The UART trace for benchmarks: QEMU's own wall-clock stamp of every byte. */
static void test_uart_trace(void **state)
{
	struct boot_options opt = { .image = "x", .uart_trace = "/tmp/t.log" };
	const char *argv[QEMU_ARGV_MAX];
	char scratch[2048];

	(void)state;
	assert_true(qemu_cmdline(&board_current, &opt, argv, scratch, sizeof(scratch)) > 0);
	assert_string_equal(find_after(argv, "-msg"), "timestamp=on");
	assert_string_equal(find_after(argv, "-trace"), "pl011_write");
	assert_string_equal(find_after(argv, "-D"), "/tmp/t.log");
	opt.uart_trace = NULL;
	assert_true(qemu_cmdline(&board_current, &opt, argv, scratch, sizeof(scratch)) > 0);
	assert_null(find_after(argv, "-trace"));
	assert_null(find_after(argv, "-mon"));
	/* QEMU's own QMP: its path a named value, so neither '=' nor ',' in it is syntax */
	opt.qemu_qmp = "/tmp/a=b,c/q.qmp";
	assert_true(qemu_cmdline(&board_current, &opt, argv, scratch, sizeof(scratch)) > 0);
	assert_string_equal(find_after(argv, "-chardev"),
			    "socket,id=qemu-qmp,path=/tmp/a=b,,c/q.qmp,server=on,wait=off");
	assert_string_equal(find_after(argv, "-mon"), "chardev=qemu-qmp,mode=control");
}

static void test_scratch_overflow_is_an_error(void **state)
{
	struct boot_options opt = { .image = "x",
				    .append = "a-long-option-text",
				    .semihosting = true };
	const char *argv[QEMU_ARGV_MAX];
	char scratch[16];

	(void)state;
	assert_int_equal(qemu_cmdline(&board_current, &opt, argv, scratch, sizeof(scratch)), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_from_board),
		cmocka_unit_test(test_semihosting_and_append),
		cmocka_unit_test(test_link_and_network),
		cmocka_unit_test(test_management_channel),
		cmocka_unit_test(test_commas_in_paths),
		cmocka_unit_test(test_uart_trace),
		cmocka_unit_test(test_scratch_overflow_is_an_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
