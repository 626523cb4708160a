/* SPDX-License-Identifier: Apache-2.0 */
/** The link at boot and its self-test, see link_boot.h. */
#include "system/link_boot.h"

#include <stdlib.h>
#include <string.h>

#include "drivers/fw_cfg.h"
#include "drivers/gicv3.h"
#include "drivers/virtio_net.h"
#include "hyp/arch.h"
#include "lib/bootargs.h"
#include "hyp/console.h"
#include "hyp/irq.h"
#include "system/link_bench.h"
#include "lib/vm_config.h"
#include "link/link_config.h"
#include "link/net.h"
#include "link/tls.h"

#define LINK_IRQ_PRIORITY 0x80
#define CHUNK		  16384u
#define PEM_MAX		  8192u

static struct link_config cfg;
static bool link_ready;

/** A fw_cfg file as a NUL-terminated string (malloc'ed), or NULL when absent. */
static char *read_file(const char *name, size_t max, bool *too_big)
{
	uint16_t sel;
	uint32_t size;
	char *text;

	*too_big = false;
	if (!fw_cfg_find(name, &sel, &size))
		return NULL;
	if (size > max) {
		*too_big = true;
		return NULL;
	}
	text = malloc(size + 1);
	if (!text || !fw_cfg_read(sel, text, size)) {
		free(text);
		return NULL;
	}
	text[size] = 0;
	return text;
}

static bool load_config(void)
{
	char err[160];
	bool too_big;
	char *text = read_file("opt/ferry/link", 4096, &too_big);

	if (!text) {
		console_printf("link: opt/ferry/link %s\n",
			       too_big ? "is too large" : "unreadable");
		return false;
	}
	if (!link_config_parse(text, strlen(text), &cfg, err, sizeof(err))) {
		console_printf("link: %s\n", err);
		free(text);
		return false;
	}
	free(text);
	if (cfg.creds.auth == LINK_AUTH_CERT) {
		cfg.creds.ca_pem = read_file("opt/ferry/link-ca", PEM_MAX, &too_big);
		cfg.creds.cert_pem = read_file("opt/ferry/link-cert", PEM_MAX, &too_big);
		cfg.creds.key_pem = read_file("opt/ferry/link-key", PEM_MAX, &too_big);
	}
	return true;
}

static enum irq_outcome virtio_irq(uint32_t intid, void *ctx)
{
	(void)intid, (void)ctx;
	virtio_net_irq_ack(link_net_nic());
	return IRQ_DONE;
}

static uint32_t fnv1a(uint32_t sum, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sum = (sum ^ p[i]) * 16777619u;
	return sum;
}

/** The self-test transfer; true when the bytes arrived intact. */
static bool transfer(struct link_tls *t, uint64_t bytes)
{
	static uint8_t buf[CHUNK];
	uint32_t sum = 2166136261u, theirs = 0;
	uint64_t t0 = link_net_now_ms();
	uint8_t ok = 0;

	for (uint64_t done = 0; done < bytes;) {
		size_t n = bytes - done < CHUNK ? (size_t)(bytes - done) : CHUNK;

		if (cfg.listen) {
			if (link_tls_recv(t, buf, n, cfg.liveness_ms))
				goto broken;
		} else {
			for (size_t i = 0; i < n; i++)
				buf[i] = (uint8_t)((done + i) * 7 + 3);
			if (link_tls_send(t, buf, n, cfg.liveness_ms))
				goto broken;
		}
		sum = fnv1a(sum, buf, n);
		done += n;
	}
	if (cfg.listen) {
		if (link_tls_recv(t, &theirs, sizeof(theirs), cfg.liveness_ms))
			goto broken;
		ok = theirs == sum;
		if (link_tls_send(t, &ok, 1, cfg.liveness_ms))
			goto broken;
		link_print_rate(ok ? "received, checksum ok," : "received, CHECKSUM MISMATCH,",
				bytes, link_net_now_ms() - t0);
	} else {
		if (link_tls_send(t, &sum, sizeof(sum), cfg.liveness_ms) ||
		    link_tls_recv(t, &ok, 1, cfg.liveness_ms))
			goto broken;
		link_print_rate(ok ? "sent, the peer confirmed the checksum,"
				   : "sent, the peer saw a "
				     "CHECKSUM MISMATCH,",
				bytes, link_net_now_ms() - t0);
	}
	return ok;
broken:
	console_printf("link: %s\n", link_tls_error(t));
	return false;
}

enum link_boot_result link_boot(const struct board_desc *board, const struct board_facts *facts)
{
	const struct board_virtio *v = &board->virtio;
	uint32_t intid = v->first_intid + v->link_slot;
	uint16_t sel;
	uint32_t size;
	char err[160], size_text[24], mode[8];
	uint64_t test_bytes = 0, t0;
	struct link_tcp *tcp;
	struct link_tls *tls;
	bool ok;

	if (!fw_cfg_probe(board->fw_cfg_base) || !fw_cfg_find("opt/ferry/link", &sel, &size))
		return LINK_BOOT_NONE;
	if (!load_config())
		return LINK_BOOT_FAILED;
	if (bootargs_get(facts->bootargs, "ferry.link_test", size_text, sizeof(size_text)) &&
	    (!vm_config_parse_size(size_text, strlen(size_text), &test_bytes) || !test_bytes)) {
		console_printf("link: ferry.link_test must be a size (like 64M)\n");
		return LINK_BOOT_FAILED;
	}
	irq_register(intid, virtio_irq, NULL);
	gicv3_spi_enable(intid, LINK_IRQ_PRIORITY, arch_cpu_mpidr());
	if (!link_net_up(&cfg, v->base + (uint64_t)v->link_slot * v->stride, err, sizeof(err))) {
		console_printf("link: %s\n", err);
		return LINK_BOOT_FAILED;
	}
	console_printf("link: %s %u.%u.%u.%u, %s %s at %u.%u.%u.%u:%u (%s)\n", cfg.creds.identity,
		       cfg.ip >> 24, cfg.ip >> 16 & 255, cfg.ip >> 8 & 255, cfg.ip & 255,
		       cfg.listen ? "waiting for" : "connecting to", cfg.creds.peer,
		       cfg.peer_ip >> 24, cfg.peer_ip >> 16 & 255, cfg.peer_ip >> 8 & 255,
		       cfg.peer_ip & 255, cfg.port,
		       cfg.creds.auth == LINK_AUTH_PSK ? "pre-shared key" : "certificates");
	if (!test_bytes) {
		link_ready = true;
		return LINK_BOOT_READY;
	}
	if (bootargs_get(facts->bootargs, "ferry.link_bench", mode, sizeof(mode))) {
		if (!strcmp(mode, "raw"))
			return link_bench_raw(&cfg, test_bytes) ? LINK_BOOT_TEST_PASSED
								: LINK_BOOT_FAILED;
		if (!strcmp(mode, "tcp"))
			return link_bench_tcp(&cfg, test_bytes) ? LINK_BOOT_TEST_PASSED
								: LINK_BOOT_FAILED;
		console_printf("link: ferry.link_bench must be raw or tcp\n");
		return LINK_BOOT_FAILED;
	}
	tcp = link_tcp_open(&cfg, err, sizeof(err));
	if (!tcp) {
		console_printf("link: %s\n", err);
		return LINK_BOOT_FAILED;
	}
	t0 = link_net_now_ms();
	tls = link_tls_open(&cfg.creds, cfg.listen, link_tcp_io(tcp), cfg.timeout_ms, err,
			    sizeof(err));
	if (!tls) {
		console_printf("link: %s\n", err);
		link_tcp_close(tcp);
		link_net_drain(LINK_DRAIN_MS);
		return LINK_BOOT_FAILED;
	}
	console_printf("link: authenticated %s over %s, handshake %llu ms\n", cfg.creds.peer,
		       link_tls_suite(tls), (unsigned long long)(link_net_now_ms() - t0));
	ok = transfer(tls, test_bytes);
	if (cfg.listen)
		link_print_profile(test_bytes);
	link_tls_close(tls);
	link_tcp_close(tcp);
	/* The close (FIN, or RST with data unread) reaches the peer before power-off. */
	link_net_drain(LINK_DRAIN_MS);
	return ok ? LINK_BOOT_TEST_PASSED : LINK_BOOT_FAILED;
}

const struct link_config *link_boot_config(void) { return link_ready ? &cfg : NULL; }

void link_boot_take_irq(const struct board_desc *board)
{
	gicv3_spi_enable(board->virtio.first_intid + board->virtio.link_slot, LINK_IRQ_PRIORITY,
			 arch_cpu_mpidr());
}
