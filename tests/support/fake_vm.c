/* SPDX-License-Identifier: Apache-2.0 */
/** The fake VM and socket channels of the engine tests and benchmark, see fake_vm.h. */
#include "tests/support/fake_vm.h"

#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "mig/section.h"
#include "mig/state_sections.h"

static uint64_t now_ns(void *vm)
{
	struct timespec ts;

	(void)vm;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t page_count(void *vm) { return ((struct fake_vm *)vm)->pages; }
static uint8_t *page(void *vm, uint64_t p) { return ((struct fake_vm *)vm)->ram + p * 4096; }

static void dirty_start(void *ctx)
{
	struct fake_vm *vm = ctx;

	pthread_mutex_lock(&vm->lock);
	vm->tracking = true;
	memset(vm->dirty, 0, (vm->pages + 63) / 64 * sizeof(uint64_t));
	pthread_mutex_unlock(&vm->lock);
}

static void dirty_collect(void *ctx, uint64_t *bitmap)
{
	struct fake_vm *vm = ctx;

	pthread_mutex_lock(&vm->lock);
	for (uint64_t i = 0; i < (vm->pages + 63) / 64; i++) {
		bitmap[i] |= vm->dirty[i];
		vm->dirty[i] = 0;
	}
	pthread_mutex_unlock(&vm->lock);
}

static void dirty_stop(void *ctx) { ((struct fake_vm *)ctx)->tracking = false; }

static void set_running(void *ctx, bool on)
{
	struct fake_vm *vm = ctx;

	pthread_mutex_lock(&vm->lock);
	vm->running = on;
	pthread_mutex_unlock(&vm->lock);
}

static void stop(void *ctx) { set_running(ctx, false); }
static void resume(void *ctx) { set_running(ctx, true); }

static size_t save_devices(void *ctx, uint8_t *buf, size_t size)
{
	struct fake_vm *vm = ctx;
	struct mig_writer w;

	mig_writer_init(&w, buf, size);
	mig_section_save(&mig_section_vcpu, &vm->regs, &w);
	mig_section_save(&mig_section_vgic_dist, &vm->vgic, &w);
	return w.overflow ? 0 : w.len;
}

static bool load_devices(void *ctx, const uint8_t *buf, size_t len, char *err, size_t n)
{
	struct fake_vm *vm = ctx;
	struct mig_reader r;

	if (vm->fail_load) {
		strncpy(err, "injected load failure", n);
		return false;
	}
	mig_reader_init(&r, buf, len);
	return mig_section_load(&mig_section_vcpu, &r, &vm->shadow_regs, err, n) &&
	       mig_section_load(&mig_section_vgic_dist, &r, &vm->shadow_vgic, err, n);
}

static bool sync_devices(void *ctx, char *err, size_t n)
{
	struct fake_vm *vm = ctx;

	if (vm->fail_sync) {
		strncpy(err, "injected synchronization failure", n);
		return false;
	}
	vm->regs = vm->shadow_regs;
	vm->vgic = vm->shadow_vgic;
	return true;
}

static bool start(void *ctx)
{
	resume(ctx);
	return true;
}

const struct mig_vm_ops fake_vm_ops = {
	page_count, page,	  dirty_start,	dirty_collect, dirty_stop, stop,
	resume,	    save_devices, load_devices, sync_devices,  start,	   now_ns,
};

/* The workload: while the VM runs it writes pages and changes its registers. */
void *fake_vm_workload(void *ctx)
{
	struct fake_vm *vm = ctx;
	uint32_t seed = 7;

	for (;;) {
		pthread_mutex_lock(&vm->lock);
		if (vm->tracking == false && !vm->running && vm->writes == UINT64_MAX) {
			pthread_mutex_unlock(&vm->lock);
			return NULL;
		}
		if (vm->running) {
			for (unsigned i = 0; i < 16; i++) {
				uint64_t p;

				seed = seed * 1103515245u + 12345u;
				p = (seed >> 8) % vm->pages;
				vm->ram[p * 4096 + (seed & 4095)] = (uint8_t)seed;
				if (vm->tracking)
					vm->dirty[p / 64] |= 1ull << (p % 64);
			}
			vm->regs.x[0]++;
			vm->writes++;
		}
		pthread_mutex_unlock(&vm->lock);
		usleep(50);
	}
}

/* A channel over one end of a socketpair. */
static int sock_send(void *ctx, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = send(*(int *)ctx, p, len, MSG_NOSIGNAL);

		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int sock_recv(void *ctx, void *buf, size_t len, unsigned timeout_ms)
{
	uint8_t *p = buf;

	while (len) {
		struct pollfd pfd = { .fd = *(int *)ctx, .events = POLLIN };
		ssize_t n;

		if (poll(&pfd, 1, (int)timeout_ms) == 0)
			return MIG_CHAN_TIMEOUT;
		n = recv(*(int *)ctx, p, len, 0);
		if (n <= 0)
			return MIG_CHAN_BROKEN;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

const struct mig_channel_ops sock_channel_ops = { sock_send, sock_recv };

/*
 * The source's side of a link that breaks after a chosen number of channel
 * events (each send or receive of a record's header or payload): the link
 * cut, or the peer gone, at every point of the protocol.
 */

static bool link_breaks_now(struct faulty_link *l)
{
	int event = l->events++;

	if (l->cut_at >= 0 && event >= l->cut_at) {
		shutdown(l->fd, SHUT_RDWR);
		return true;
	}
	return false;
}

static int faulty_send(void *ctx, const void *buf, size_t len)
{
	struct faulty_link *l = ctx;

	return link_breaks_now(l) ? -1 : sock_send(&l->fd, buf, len);
}

static int faulty_recv(void *ctx, void *buf, size_t len, unsigned timeout_ms)
{
	struct faulty_link *l = ctx;

	return link_breaks_now(l) ? MIG_CHAN_BROKEN : sock_recv(&l->fd, buf, len, timeout_ms);
}

const struct mig_channel_ops faulty_channel_ops = { faulty_send, faulty_recv };

struct mig_hello fake_vm_hello(uint64_t pages)
{
	struct mig_hello h = {
		.format_version = MIG_FORMAT_VERSION,
		.producer = "test",
		.midr = 1,
		.cntfrq = 62500000,
		.gic_intid_count = VGIC_INTID_COUNT,
		.vcpu_count = 1,
		.ram_base = 0x40000000,
		.ram_size = pages * 4096ull,
		.page_size = 4096,
		.capabilities = MIG_CAP_ZERO_PAGES | MIG_CAP_VM_STARTED,
	};
	return h;
}

void fake_vm_init(struct fake_vm *vm, uint64_t pages, bool source)
{
	memset(vm, 0, sizeof(*vm));
	vm->pages = pages;
	vm->ram = calloc(pages, 4096);
	vm->dirty = calloc((pages + 63) / 64, sizeof(uint64_t));
	pthread_mutex_init(&vm->lock, NULL);
	vgic_init(&vm->vgic, 1);
	if (source) {
		for (uint64_t p = 0; p < pages; p += 3) /* two thirds zero pages */
			memset(vm->ram + p * 4096, (int)(p & 0xff) | 1, 4096);
		for (unsigned i = 0; i < 31; i++)
			vm->regs.x[i] = 0x1000 + i;
		vm->regs.fp.v[5] = 0x5555;
		vm->regs.sys.vbar_el1 = 0xffff000010000000ull;
		vm->vgic.spi[1].enabled = true;
		vm->vgic.spi[1].line_level = true;
		vm->running = true;
	}
}

void fake_vm_free(struct fake_vm *vm)
{
	free(vm->ram);
	free(vm->dirty);
	pthread_mutex_destroy(&vm->lock);
}

struct dest_args {
	struct fake_vm *vm;
	int fd;
	struct fake_migration *m;
};

static void *dest_thread(void *arg)
{
	struct dest_args *a = arg;
	struct mig_vm vm = { &fake_vm_ops, a->vm };
	struct mig_channel ch = { &sock_channel_ops, &a->fd };

	a->m->dst_state = mig_dest_run(&vm, &ch, &a->m->dest_local, a->m->timeout_ms, &a->m->dst);
	close(a->fd);
	return NULL;
}

enum mig_state fake_vm_migrate(struct fake_vm *src, struct fake_vm *dst, struct fake_migration *m)
{
	struct faulty_link link = { .cut_at = m->cut_at };
	struct mig_vm vm = { &fake_vm_ops, src };
	struct mig_channel ch = { &faulty_channel_ops, &link };
	struct mig_source_config cfg = {
		.hello = fake_vm_hello(src->pages),
		.precopy = m->precopy,
		.reply_timeout_ms = m->timeout_ms,
	};
	struct dest_args da = { .vm = dst, .m = m };
	pthread_t dt, wt;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return m->src_state = MIG_FAILED;
	link.fd = sv[0];
	da.fd = sv[1];
	pthread_create(&dt, NULL, dest_thread, &da);
	if (m->dirtying)
		pthread_create(&wt, NULL, fake_vm_workload, src);
	m->src_state = mig_source_run(&vm, &ch, &cfg, &m->src);
	close(sv[0]);
	pthread_join(dt, NULL);
	if (m->dirtying) {
		pthread_mutex_lock(&src->lock);
		src->writes = UINT64_MAX; /* ends the workload */
		src->running = false;
		pthread_mutex_unlock(&src->lock);
		pthread_join(wt, NULL);
	}
	m->events = link.events;
	return m->src_state;
}
