/* SPDX-License-Identifier: Apache-2.0 */
/** The guests' LAN port, see lan.h. */
#include "system/lan.h"

#include <string.h>

#include "drivers/gicv3.h"
#include "drivers/virtio_net.h"
#include "hyp/arch.h"
#include "hyp/console.h"
#include "hyp/irq.h"
#include "link/net.h"
#include "system/board_check.h"

#define LAN_IRQ_PRIORITY 0x80
#define QUEUE_FRAMES	 64u /* frames: some 60 ms of a guest's 1 ms datagrams */
/*
 * A protected guest's frames kept until the checkpoint that covers them is
 * committed: an epoch and the acknowledgement's way back, some 30 ms, of
 * 8000 frames a second (beyond, the guest's transmit queue waits).
 */
#define HELD_FRAMES    256u
#define ETHERTYPE_RARP 0x8035u
/* A source's take: the device read again this often at most as the backlog empties. */
#define TAKE_REFILLS 4u
/* How long a destination's guest waits for the source's last frames at most. */
#define LAN_AWAIT_MS 200u

/* Frames in order, waiting for the guest (or, on a source, for the destination). */
struct frame_queue {
	struct {
		uint16_t len;
		uint8_t frame[VIRTIO_NET_FRAME_MAX];
	} f[QUEUE_FRAMES];
	unsigned head, tail; /* f[tail % QUEUE_FRAMES] is the oldest */
};

static struct virtio_net nic;
static uint8_t nic_storage[VIRTIO_NET_STORAGE_BYTES(VIRTIO_NET_FRAME_MAX, VIRTQ_SIZE)]
	__attribute__((aligned(64)));
static struct {
	/*
	 * The state below and the device: frames move on whichever CPU they
	 * reach, the guest's (its QueueNotify, the device's interrupt while
	 * the VM is here) or the control CPU (it waits, a migration passes
	 * frames on). Taken before the VM's lock, never held while waiting.
	 * Every unlock is unlock()'s.
	 */
	struct spinlock lock;
	/*
	 * The protection loop's requests: it never waits for the lock (its
	 * holder, a vCPU's CPU, is a host thread the host may not run for
	 * 100 ms and more, longer than the lease). It posts them, and whoever
	 * holds the lock when it is asked, or takes it next, carries them out.
	 */
	bool asked;	     /* a request waits */
	uint64_t release_to; /* the kept frames before it may leave (release) */
	bool present;
	uint32_t intid;
	bool irq_on;	     /* lan_take_irq was called */
	uint64_t home_mpidr; /* the control CPU: the interrupt's target with no VM here */
	unsigned home_cpu;   /* its index */
	uint64_t cpu_mpidr[BOARD_CPU_MAX];
	unsigned cpu_count;
	struct vm *vm;
	/*
	 * The VM's frames come here: from its boot on a board that booted it;
	 * from its announce on a destination (before, the source has them and
	 * passes them on). A source stops at the destination's announce.
	 */
	bool here;
	bool announced;	 /* the VM's MAC, since it runs here */
	bool gone_heard; /* source: the destination announced it, no more come here (gone) */
	/* Source, for its report: when it first looked for the announce (gone, take), heard it. */
	uint64_t looked_at, heard_at;
	/* Destination: the source's frames first; the guest's own wait for them. */
	bool awaiting;
	bool first_out_told; /* the guest's first frame out since its announce, in the log */
	uint64_t awaiting_since;
	struct frame_queue backlog; /* from this board's LAN */
	struct frame_queue passed;  /* from the source, over the link */
	/* For the VM's report: frames to it (straight, or after waiting), from it, dropped. */
	uint64_t in, waited, out, dropped, passed_in;
	/* Protection's output commit (mig_frames_ops.hold): the guest's frames kept. */
	struct {
		struct {
			uint16_t len;
			uint8_t frame[VIRTIO_NET_FRAME_MAX];
		} f[HELD_FRAMES];
		uint64_t head, tail;	/* frames ever kept; ever gone (left, or dropped) */
		uint64_t upto;		/* those before it may leave */
		bool on;		/* the guest's frames are kept */
		uint64_t kept, dropped; /* for the VM's report */
	} held;
} lan;

static bool queue_put(struct frame_queue *q, const uint8_t *frame, size_t len)
{
	if (len > VIRTIO_NET_FRAME_MAX || q->head - q->tail == QUEUE_FRAMES) {
		lan.dropped++;
		return false;
	}
	q->f[q->head % QUEUE_FRAMES].len = (uint16_t)len;
	memcpy(q->f[q->head % QUEUE_FRAMES].frame, frame, len);
	q->head++;
	return true;
}

/* Hands the guest what waits in q, in order, while it has buffers. */
static void queue_deliver(struct frame_queue *q)
{
	while (q->head != q->tail) {
		unsigned i = q->tail % QUEUE_FRAMES;

		if (vm_net_receive(lan.vm, q->f[i].frame, q->f[i].len) == VNET_RX_NO_BUFFER)
			return;
		q->tail++;
	}
}

static bool from_vm(const uint8_t *frame, size_t len)
{
	return len >= 14 && memcmp(frame + 6, lan.vm->cfg.mac, 6) == 0;
}

/* Frames for the guest go in order: none overtakes one kept waiting. */
static void frame_in(void *ctx, const uint8_t *frame, size_t len)
{
	(void)ctx;
	if (!lan.vm || !len || len > VNET_FRAME_MAX)
		return; /* no VM on this board, or no frame a guest could take */
	/*
	 * The VM announced from its new board: the switch sends its frames
	 * there now, and every one it sent here before came before this.
	 */
	if (from_vm(frame, len) && (frame[12] << 8 | frame[13]) == ETHERTYPE_RARP &&
	    !vm_net_running(lan.vm)) {
		/*
		 * A source passing frames on waits for this on the control CPU
		 * (take, each millisecond): heard on another, it is woken now,
		 * once (more such frames wake nobody).
		 */
		if (!lan.gone_heard) {
			lan.heard_at = arch_counter_now();
			if (arch_cpu_index() != lan.home_cpu) {
				link_net_wake();
				arch_kick_cpu(lan.home_cpu);
			}
		}
		lan.gone_heard = true;
		lan.here = false;
		return;
	}
	if (!lan.here)
		return;
	lan.in++;
	if (lan.awaiting || lan.backlog.head != lan.backlog.tail ||
	    lan.passed.head != lan.passed.tail ||
	    vm_net_receive(lan.vm, frame, len) == VNET_RX_NO_BUFFER) {
		if (queue_put(&lan.backlog, frame, len))
			lan.waited++;
	}
}

/* One frame of the guest's onto the LAN, counted; false while the device is full. */
static bool send_out(const uint8_t *frame, size_t len)
{
	const void *parts[1] = { frame };

	if (!virtio_net_send(&nic, parts, &len, 1))
		return false;
	lan.out++;
	return true;
}

/* The kept frames that may leave, in order, while the device takes them. */
static void held_flush(void)
{
	while (lan.held.tail < lan.held.upto &&
	       send_out(lan.held.f[lan.held.tail % HELD_FRAMES].frame,
			lan.held.f[lan.held.tail % HELD_FRAMES].len))
		lan.held.tail++;
}

static bool frame_out(void *ctx, const uint8_t *frame, size_t len)
{
	(void)ctx;
	/* Kept, or behind kept ones still waiting for the device: none overtakes another. */
	if (lan.held.on || lan.held.tail != lan.held.head) {
		if (lan.held.head - lan.held.tail == HELD_FRAMES)
			return false; /* the guest's queue waits for a commit */
		lan.held.f[lan.held.head % HELD_FRAMES].len = (uint16_t)len;
		memcpy(lan.held.f[lan.held.head % HELD_FRAMES].frame, frame, len);
		__atomic_store_n(&lan.held.head, lan.held.head + 1, __ATOMIC_RELEASE); /* cut() */
		if (lan.held.on)
			lan.held.kept++;
		else
			lan.held.upto = lan.held.head;
		held_flush();
		return true;
	}
	if (!send_out(frame, len))
		return false;
	if (!lan.first_out_told) {
		lan.first_out_told = true;
		console_printf("lan: %s: its first frame out %llu us after its announce\n",
			       lan.vm->cfg.name,
			       (unsigned long long)((arch_counter_now() - lan.awaiting_since) *
						    1000000u / arch_counter_freq()));
	}
	return true;
}

static void work(void);
static void unlock(void);

/* On the CPU the interrupt is routed to: the frames move here and now. */
static enum irq_outcome lan_irq(uint32_t intid, void *ctx)
{
	(void)intid, (void)ctx;
	arch_spin_lock(&lan.lock);
	virtio_net_irq_ack(&nic);
	work();
	unlock();
	return IRQ_DONE;
}

/*
 * The device's interrupt goes to the CPU of the VM's first vCPU while a VM
 * is here, so a frame for the guest wakes only the CPU that runs it; to the
 * control CPU otherwise.
 */
static bool routed_to_vcpu(void)
{
	const struct vm *vm = __atomic_load_n(&lan.vm, __ATOMIC_RELAXED);

	return lan.irq_on && vm && vm->vcpus[0].pcpu < lan.cpu_count;
}

static void route(void)
{
	uint64_t to = lan.home_mpidr;

	if (!lan.irq_on)
		return;
	if (routed_to_vcpu())
		to = lan.cpu_mpidr[lan.vm->vcpus[0].pcpu];
	gicv3_spi_route(lan.intid, to);
}

bool lan_init(const struct board_desc *b, const struct board_facts *f, bool link_present)
{
	const struct board_virtio *v = &b->virtio;
	int slot = virtio_mmio_find(v->base, v->stride, link_present ? v->link_slot : v->slot_count,
				    VIRTIO_ID_NET);
	char err[160];
	uint8_t mac[6];

	if (slot < 0)
		return false;
	lan.cpu_count = f->cpu_count;
	memcpy(lan.cpu_mpidr, f->cpu_mpidr, sizeof(lan.cpu_mpidr));
	lan.intid = v->first_intid + (uint32_t)slot;
	irq_register(lan.intid, lan_irq, NULL);
	static const struct virtio_net_bufs bufs = { nic_storage, VIRTIO_NET_FRAME_MAX,
						     VIRTQ_SIZE };

	if (!virtio_net_init(&nic, v->base + (uint64_t)slot * v->stride, &bufs, frame_in, NULL, err,
			     sizeof(err))) {
		console_printf("lan: %s\n", err);
		return false;
	}
	virtio_net_mac(&nic, mac);
	console_printf("lan: the guests' network on virtio-net %02x:%02x:%02x:%02x:%02x:%02x\n",
		       mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	lan.present = true;
	return true;
}

bool lan_present(void) { return lan.present; }

/*
 * Where the VM runs now, said as QEMU's announce-self says it: a broadcast
 * RARP request (RFC 903) from its MAC, before any frame of its own, so the
 * switch sends its frames here from now on.
 */
static void announce(const struct vm *vm)
{
	uint8_t f[60] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	const void *parts[1] = { f };
	size_t len = sizeof(f);
	static const uint8_t rarp[10] = { 0x80, 0x35, 0, 1, 0x08, 0x00, 6, 4, 0, 3 };

	memcpy(f + 6, vm->cfg.mac, 6);
	memcpy(f + 12, rarp, sizeof(rarp)); /* EtherType, Ethernet, IPv4, 6, 4, request reverse */
	memcpy(f + 22, vm->cfg.mac, 6);	    /* sender: the VM, no address */
	memcpy(f + 32, vm->cfg.mac, 6);	    /* target: the VM */
	lan.announced = virtio_net_send(&nic, parts, &len, 1);
	if (lan.announced) {
		lan.here = true;
		lan.first_out_told = false;
		lan.awaiting_since = arch_counter_now();
	}
}

static void lan_notify(struct vm *vm);

void lan_attach(struct vm *vm, bool incoming)
{
	lan_detach();
	arch_spin_lock(&lan.lock);
	memset(&lan.backlog, 0, sizeof(lan.backlog));
	memset(&lan.passed, 0, sizeof(lan.passed));
	lan.vm = vm && vm->cfg.has_nic ? vm : NULL;
	lan.here = !incoming;
	lan.awaiting = incoming;
	lan.announced = lan.gone_heard = false;
	lan.looked_at = lan.heard_at = 0;
	lan.in = lan.waited = lan.out = lan.dropped = lan.passed_in = 0;
	lan.held.head = lan.held.tail = lan.held.upto = lan.held.kept = lan.held.dropped = 0;
	lan.held.on = false;
	lan.release_to = 0;
	if (lan.vm && lan.present)
		__atomic_store_n(&vm->net_notify, lan_notify, __ATOMIC_RELEASE);
	route();
	unlock();
}

void lan_detach(void)
{
	arch_spin_lock(&lan.lock);
	if (lan.vm) {
		console_printf("lan: %s: %llu frames in (%llu waited for a buffer, %llu passed on "
			       "from the "
			       "source, %llu dropped), %llu out\n",
			       lan.vm->cfg.name, (unsigned long long)lan.in,
			       (unsigned long long)lan.waited, (unsigned long long)lan.passed_in,
			       (unsigned long long)lan.dropped, (unsigned long long)lan.out);
		if (lan.held.kept)
			console_printf("lan: %s: %llu frames out kept until their checkpoint was "
				       "committed on the standby, %llu never left\n",
				       lan.vm->cfg.name, (unsigned long long)lan.held.kept,
				       (unsigned long long)(lan.held.dropped + lan.held.head -
							    lan.held.tail));
		__atomic_store_n(&lan.vm->net_notify, NULL, __ATOMIC_RELEASE);
		lan.vm = NULL;
		route();
	}
	unlock();
}

void lan_take_irq(void)
{
	if (!lan.present)
		return;
	arch_spin_lock(&lan.lock);
	lan.home_mpidr = arch_cpu_mpidr();
	lan.home_cpu = arch_cpu_index();
	lan.irq_on = true;
	gicv3_spi_enable(lan.intid, LAN_IRQ_PRIORITY, lan.home_mpidr);
	route();
	unlock();
}

/* Moves what is there, both ways; with the lock. */
static void work(void)
{
	uint64_t now = arch_counter_now();

	/* A source that never says it is done does not hold the guest back for long. */
	if (lan.awaiting && lan.announced &&
	    now - lan.awaiting_since > arch_counter_freq() / 1000u * LAN_AWAIT_MS) {
		lan.awaiting = false;
		console_printf(
			"lan: %s: the source said nothing of its frames for %u ms: going on\n",
			lan.vm->cfg.name, LAN_AWAIT_MS);
	}
	for (unsigned round = 0; round < 64; round++) {
		if (lan.vm) {
			vm_net_kicked(lan.vm);
			/* Running here again (its migration failed, or the announce was not its
			 * own). */
			if (vm_net_running(lan.vm)) {
				if (lan.gone_heard)
					lan.gone_heard = lan.announced = false;
				lan.looked_at = lan.heard_at = 0; /* the next migration's own */
			}
			if (!lan.announced && vm_net_running(lan.vm))
				announce(lan.vm);
			/* What the source passed on, then what waited here, then the guest's own.
			 */
			queue_deliver(&lan.passed);
			if (!lan.awaiting && lan.passed.head == lan.passed.tail)
				queue_deliver(&lan.backlog);
		}
		/*
		 * No more than the backlog has room for: the rest waits in the
		 * device (and behind it in the LAN), not dropped here, while the
		 * guest is slow to take them.
		 */
		virtio_net_poll_max(
			&nic, lan.vm ? QUEUE_FRAMES - (lan.backlog.head - lan.backlog.tail) : ~0u);
		held_flush();
		if (lan.vm && lan.announced && !lan.awaiting)
			vm_net_transmit(lan.vm, frame_out, NULL);
		/* Its interrupt stays on: a frame while no CPU looks raises it. */
		if (virtio_net_wait_arm(&nic))
			return;
	}
}

/* The guest's QueueNotify, on its own CPU: its frames leave, its new buffers fill, now. */
static void lan_notify(struct vm *vm)
{
	arch_spin_lock(&lan.lock);
	if (lan.vm == vm)
		work();
	unlock();
}

/*
 * Carries out the protection loop's requests, with the lock: the kept frames
 * it released leave. With `all` (a holder that unlocks) the frames move both
 * ways too; the protection loop itself (ask) does that only for a guest that
 * waited for room, so that it spends no time on the LAN's traffic (on a
 * vCPU's CPU, where the device's interrupt goes while the VM is here).
 */
static void do_asked(bool all)
{
	bool full = lan.held.head - lan.held.tail == HELD_FRAMES;
	uint64_t mark;

	/* The flag first, then the mark: a mark posted after it is the next unlock's. */
	(void)__atomic_exchange_n(&lan.asked, false, __ATOMIC_ACQ_REL);
	mark = __atomic_load_n(&lan.release_to, __ATOMIC_ACQUIRE);
	if (mark > lan.held.head)
		mark = lan.held.upto; /* no mark of ours: nothing more leaves */
	if (mark > lan.held.upto)
		lan.held.upto = mark;
	if (lan.vm && (all || full))
		work();
	else
		held_flush();
}

/*
 * Then what was asked meanwhile. The asker stores its request, then tries
 * the lock; the holder unlocks, then looks for a request. A full barrier
 * between each one's store and load (the classic two-flag exclusion) means
 * one of the two sees the other's: no request waits for a later unlock.
 */
static void unlock(void)
{
	for (;;) {
		arch_spin_unlock(&lan.lock);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (!__atomic_load_n(&lan.asked, __ATOMIC_RELAXED) || !arch_spin_trylock(&lan.lock))
			return;
		do_asked(true);
	}
}

/* Posts a request: carried out now if the lock is free, else by its holder. */
static void ask(void)
{
	__atomic_store_n(&lan.asked, true, __ATOMIC_RELEASE); /* after its mark */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (arch_spin_trylock(&lan.lock)) {
		do_asked(false);
		unlock();
	}
}

/*
 * The control CPU's look while it waits: skipped while a vCPU's CPU moves the
 * frames (the device's interrupt goes there while a VM runs here: route), but
 * for a destination's guest that waits for its source's frames (work ends
 * that wait after LAN_AWAIT_MS, frames or not) and for a VM that stands
 * with room in its backlog (no notify of its guest pulls the device's
 * frames in; a full one has no room for them: take makes it), and never
 * waiting for the lock (a protected VM's primary must not: ask).
 */
void lan_poll(void)
{
	const struct vm *vm = __atomic_load_n(&lan.vm, __ATOMIC_RELAXED);
	/* A hint without the lock: a stale one costs one look more or less. */
	bool full = lan.backlog.head - lan.backlog.tail == QUEUE_FRAMES;

	if (!lan.present ||
	    (routed_to_vcpu() && vm && (vm_net_running(vm) || full) &&
	     !__atomic_load_n(&lan.awaiting, __ATOMIC_RELAXED)) ||
	    !arch_spin_trylock(&lan.lock))
		return;
	work();
	unlock();
}

/* --- across a migration (mig_frames_ops) ------------------------------------------ */

static uint64_t us_between(uint64_t from, uint64_t to)
{
	return to > from ? (to - from) * 1000000u / arch_counter_freq() : 0;
}

/* Source: how the destination's announce reached it and its last frames left (take). */
static void tell_passing(void)
{
	uint64_t now = arch_counter_now();
	uint64_t from = lan.heard_at > lan.looked_at ? lan.heard_at : lan.looked_at;

	console_printf("lan: %s: the destination's announce heard %llu us after this board "
		       "first looked for it, its last frames passed on %llu us after that\n",
		       lan.vm->cfg.name,
		       (unsigned long long)us_between(lan.looked_at, lan.heard_at),
		       (unsigned long long)us_between(from, now));
}

/* Source: the frames kept for the VM since it stopped, unicast to it (a broadcast reached its new
 * board too). */
static size_t take(void *ctx, uint8_t *buf, size_t cap, bool *drained)
{
	struct frame_queue *q = &lan.backlog;
	size_t n = 0;
	unsigned refills = 0, frames = 0;

	(void)ctx;
	arch_spin_lock(&lan.lock);
	/*
	 * What waits in the device comes into the backlog first, as room is
	 * made: with the VM stopped no guest's notify does it, and a full
	 * backlog left the device unread, its interrupt off (work), the
	 * destination's announce stuck in it behind the VM's frames.
	 */
	if (!lan.looked_at)
		lan.looked_at = arch_counter_now();
	if (q->head - q->tail < QUEUE_FRAMES)
		work();
	while (q->head != q->tail) {
		unsigned i = q->tail % QUEUE_FRAMES;
		uint16_t len = q->f[i].len;

		if (len >= 14 && memcmp(q->f[i].frame, lan.vm->cfg.mac, 6) == 0) {
			/* No more a record than the destination's queue holds (deliver). */
			if (2u + len > cap - n || frames == QUEUE_FRAMES)
				break;
			frames++;
			buf[n] = (uint8_t)len;
			buf[n + 1] = (uint8_t)(len >> 8);
			memcpy(buf + n + 2, q->f[i].frame, len);
			n += 2u + len;
		}
		q->tail++;
		/* Room again: the device's next frames (a few times: a flood does not hold us). */
		if (q->head == q->tail && refills++ < TAKE_REFILLS)
			work();
	}
	*drained = lan.gone_heard && q->head == q->tail;
	if (*drained)
		tell_passing();
	unlock();
	return n;
}

/* Destination: frames the source passed on, before any of this board's own. */
static void deliver(void *ctx, const uint8_t *frame, size_t len)
{
	(void)ctx;
	arch_spin_lock(&lan.lock);
	/* Room first: what came before goes to the guest if it can take it (the VM runs). */
	if (lan.vm && lan.passed.head - lan.passed.tail == QUEUE_FRAMES)
		queue_deliver(&lan.passed);
	if (lan.vm && len <= VNET_FRAME_MAX && queue_put(&lan.passed, frame, len))
		lan.passed_in++;
	unlock();
}

static void drained(void *ctx)
{
	(void)ctx;
	arch_spin_lock(&lan.lock);
	if (lan.vm && lan.awaiting && lan.announced)
		console_printf(
			"lan: %s: the source passed on %llu frames, %llu us after the start\n",
			lan.vm->cfg.name, (unsigned long long)lan.passed_in,
			(unsigned long long)((arch_counter_now() - lan.awaiting_since) * 1000000u /
					     arch_counter_freq()));
	lan.awaiting = false;
	work(); /* the guest's own frames go now, after the source's */
	unlock();
}

/* Source, from RUN on: the destination's announce was heard (its VM runs there). */
static bool gone(void *ctx)
{
	bool heard;

	(void)ctx;
	arch_spin_lock(&lan.lock);
	if (!lan.looked_at)
		lan.looked_at = arch_counter_now(); /* the first look: RUN just went out */
	heard = lan.gone_heard;
	unlock();
	return heard;
}

/*
 * Destination: the VM's vCPUs are on their way into the guest. Its announce
 * goes now, not at the next look (work): each moment sooner is a moment
 * less of frames taking the way through the source, and a moment sooner
 * that the source hears it and says it has passed on the last.
 */
static void started(void *ctx)
{
	(void)ctx;
	arch_spin_lock(&lan.lock);
	if (lan.vm && !lan.announced)
		announce(lan.vm);
	unlock();
}

/*
 * Protection's primary: the guest's frames kept from now on, or leaving at
 * once again (those kept first, or dropped).
 */
static void hold(void *ctx, enum mig_output what)
{
	(void)ctx;
	arch_spin_lock(&lan.lock);
	lan.held.on = what == MIG_OUTPUT_HOLD;
	if (what == MIG_OUTPUT_DROP) {
		lan.held.dropped += lan.held.head - lan.held.tail;
		lan.held.tail = lan.held.head;
	}
	if (what == MIG_OUTPUT_SHOW)
		lan.held.upto = lan.held.head;
	if (lan.vm)
		work(); /* what was kept leaves; a guest that waited for room goes on */
	else
		held_flush();
	unlock();
}

/* While the VM stands (no frame of its leaves now): after the last one kept. */
static uint64_t cut(void *ctx)
{
	(void)ctx;
	/*
	 * Without the lock: a frame being kept now on another CPU is the
	 * guest's from before the stop, counted here or with the next mark,
	 * which only keeps it longer.
	 */
	return __atomic_load_n(&lan.held.head, __ATOMIC_ACQUIRE);
}

/* Their checkpoint is committed on the standby: the frames before mark leave. */
static void release(void *ctx, uint64_t mark)
{
	(void)ctx;
	/* Marks come in order from this CPU alone: the newest stands for all before it. */
	if (mark > __atomic_load_n(&lan.release_to, __ATOMIC_RELAXED))
		__atomic_store_n(&lan.release_to, mark, __ATOMIC_RELEASE);
	ask();
}

static const struct mig_frames_ops frames_ops = {
	.take = take,
	.deliver = deliver,
	.drained = drained,
	.gone = gone,
	.started = started,
	.hold = hold,
	.cut = cut,
	.release = release,
};

const struct mig_frames_ops *lan_frames(const struct vm *vm)
{
	return lan.present && vm->cfg.has_nic ? &frames_ops : NULL;
}
