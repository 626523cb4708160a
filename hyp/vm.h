/* SPDX-License-Identifier: Apache-2.0 */
/**
 * A virtual machine: its RAM behind stage 2, its vCPUs, its virtual GIC
 * and devices. What the guest sees is in docs/guest-view.md.
 */
#ifndef HYP_VM_H
#define HYP_VM_H

#include <stdbool.h>
#include <stdint.h>

#include "hyp/addr.h"
#include "hyp/arch.h"
#include "hyp/arch_vcpu.h"
#include "hyp/mmio.h"
#include "hyp/s2.h"
#include "hyp/vcpu.h"
#include "hyp/vgic.h"
#include "lib/vm_config.h"
#include "hyp/vnet.h"
#include "hyp/vpl011.h"

/* The guest's memory map, like QEMU virt (shared/design.md section 2). */
#define GUEST_RAM_IPA	 0x40000000ull
#define GUEST_GICD_IPA	 0x08000000ull
#define GUEST_GICR_IPA	 0x080a0000ull
#define GUEST_UART_IPA	 0x09000000ull
#define GUEST_UART_INTID 33
/* The network device where QEMU virt has its first virtio-mmio slot, and that slot's SPI. */
#define GUEST_NET_IPA	   0x0a000000ull
#define GUEST_NET_SIZE	   0x200ull
#define GUEST_NET_INTID	   48
#define GUEST_VTIMER_INTID 27
#define GUEST_MAINT_INTID  25

enum vm_stop_reason {
	VM_RUNNING,
	VM_POWER_OFF,
	VM_RESET,
	VM_CRASHED,
	VM_MIGRATED,
	VM_LOST,   /**< postcopy: its pages were on a board that is gone */
	VM_FENCED, /**< protection: its lease ended; the standby runs it if it took over */
};

/** Things a misbehaving guest did, each reported once (bit per kind). */
enum vm_fault_kind {
	VM_FAULT_UNMAPPED = 1u << 0,
	VM_FAULT_NO_SYNDROME = 1u << 1,
	VM_FAULT_SYSREG = 1u << 2,
	VM_FAULT_UNKNOWN = 1u << 3,
	VM_FAULT_SMC = 1u << 4,
	VM_FAULT_IABT = 1u << 5,
	VM_FAULT_TIMER_RELEASED = 1u << 6, /**< not the guest's: its timer's interrupt was stuck */
};

struct vm {
	struct vm_config cfg;
	struct spinlock lock; /**< the vGIC and the devices */
	struct s2 s2;
	struct arch_guest_ctl ctl;
	paddr_t ram_pa;
	struct vgic_dist vgic;
	struct vpl011 uart;
	struct vnet net; /**< with cfg.has_nic */
	/**
	 * The network device's back end, called on the guest's own CPU after a
	 * QueueNotify (no lock held): it moves the frames there and then, so a
	 * datagram and its answer wake no other CPU. NULL: none.
	 */
	void (*net_notify)(struct vm *vm);
	struct mmio_bus mmio;
	struct vcpu vcpus[VM_VCPU_MAX];
	unsigned lr_count;
	volatile enum vm_stop_reason stop;
	uint32_t faults_reported;
	/* Migration (hyp/vm_migrate_ops.c): vCPUs parked on request, writes logged. */
	volatile bool pause_req;
	unsigned parked;     /**< vCPUs that saw pause_req and put their state */
	unsigned sync_gen;   /**< bumped by vm_sync_parked: parked vCPUs load their new state */
	uint64_t poll_until; /**< physical count until which parked vCPUs poll (vm_poll_parked) */
	/** The CPU that last waited for parked vCPUs (vm_pause, vm_sync_parked, vm_entered_at), + 1
	 * (0: none yet); named until the next: a late kick only wakes it early. */
	unsigned parked_waiter;
	/** A rehearsal of a stand-in state: entered once, never run (a start parks again). */
	volatile bool rehearsing;
	volatile bool sync_starts; /**< the last synchronization started it too (vm_sync_start) */
	unsigned sync_taken;	   /**< vm_sync_start: vCPUs that took its state */
	unsigned start_gate;	   /**< vm_sync_start: VM_GATE_*, decided once */
	volatile bool clock_due;   /**< vm_resume_clock_at: CNTVOFF is set by the first vCPU out */
	uint64_t clock_resume_count; /**< the guest's count it goes on from */
	uint64_t
		paused_at; /**< physical count when the last vCPU parked: the guest's clock stops */
	uint64_t *dirty;   /**< a bit per RAM page written since the last collection */
	volatile bool dirty_logging;
	uint64_t dirty_faults;
	/** Throttle (vm_throttle): new dirty pages per second for all vCPUs; 0: any number. */
	uint64_t throttle_pages_per_s;
	uint64_t throttle_waits;       /**< since logging started: waits for a next period */
	uint64_t throttle_wait_counts; /**< the physical counts they waited, summed */
	/**
	 * Throttle by collection (vm_throttle_collection): pages the vCPUs
	 * together may newly dirty between two collections (0: any number),
	 * those dirtied since the last, and the collections so far.
	 */
	uint64_t collection_quota, collection_dirtied, collections;
	/* Postcopy destination: pages still missing are unmapped; a vCPU touching one waits. */
	volatile bool postcopy;
	uint64_t *present;   /**< a bit per RAM page that is here */
	uint64_t *requested; /**< faulted on, not yet reported to the engine */
	struct spinlock fault_lock;
	uint64_t fault_ring[64];
	unsigned fault_head, fault_tail;
	uint64_t postcopy_stalls;
	uint64_t waiting_page[VM_VCPU_MAX]; /**< page + 1 a vCPU waits for, 0 none */
	/*
	 * Protection's primary (vm_lease_until): the physical count from which
	 * no vCPU enters the guest (0: none), and VM_LEASE_FENCED once that
	 * count was seen passed; one word, so that fencing and lifting the
	 * deadline are each one atomic step and cannot interleave.
	 */
	uint64_t lease;
};

#define VM_LEASE_FENCED (1ull << 63)

/**
 * Releases what vm_init and a migration took for a VM whose vCPUs have all
 * left their run loops (its stage-2 tables, its page bitmaps); its RAM is
 * the caller's. vm_init makes it anew.
 */
void vm_destroy(struct vm *vm);

/** Parks every vCPU (each puts its state into its struct vcpu) and waits until they all did. */
void vm_pause(struct vm *vm);

/**
 * With every vCPU parked and its new state in its struct vcpu: each loads
 * it into its own CPU now (its timer held until it runs) and acknowledges.
 * False when one did not within timeout_ms (its CPU does not answer):
 * the VM cannot be started here.
 */
bool vm_sync_parked(struct vm *vm, unsigned timeout_ms, unsigned *late_vcpu);

/* vm_sync_start's gate: closed until every vCPU took its state, then open or barred for good. */
enum { VM_GATE_CLOSED, VM_GATE_OPEN, VM_GATE_BARRED };

/**
 * With every vCPU parked and its new state in its struct vcpu: each loads
 * it into its own CPU (timer held), and the last to do so opens the gate:
 * the pause ends and every vCPU enters the guest at once, the guest's
 * count going on from `count` when the first leaves its parking. Returns
 * without waiting: one hand-over from this CPU to the vCPUs', where
 * synchronizing and then starting takes three (there, back, there again).
 * vm_sync_started says whether they went, vm_entered_at when each entered.
 */
void vm_sync_start(struct vm *vm, uint64_t count);

/**
 * After vm_sync_start: true once the gate opened; false when it did not
 * within timeout_ms or the VM ended (a vCPU whose CPU does not answer,
 * named in late_vcpu): the gate is then barred, no vCPU enters, the VM
 * cannot be started here. Either way, decided once.
 */
bool vm_sync_started(struct vm *vm, unsigned timeout_ms, unsigned *late_vcpu);

/** From the vCPU `self` that took vm_sync_start's state last: opens the gate unless barred. */
void vm_open_start_gate(struct vm *vm, unsigned self);

/**
 * The physical count at which vCPU `vcpu` first entered the guest since its
 * parking (vcpu.entered_at), waited for asleep until give_up; 0 when it
 * has not by then or the VM ended.
 */
uint64_t vm_entered_at(struct vm *vm, unsigned vcpu, uint64_t give_up);

/** From a vCPU that parked, took its state or entered the guest after its parking: the CPU waiting
 * for that (if any) looks again. */
void vm_kick_parked_waiter(struct vm *vm);

/**
 * A stage-2 translation fault on guest RAM during postcopy (from the vCPU's
 * fault handler): the page has not arrived; it is reported to the engine
 * and this vCPU waits until it is placed (only this vCPU). False when
 * `ipa` is not a missing RAM page (the fault is the guest's).
 */
bool vm_postcopy_fault(struct vm *vm, unsigned vcpu, uint64_t ipa);

/** Ends the VM on this board for `why`: every vCPU loop returns, parked or not. */
void vm_stop_all(struct vm *vm, enum vm_stop_reason why);

/** Lets parked vCPUs run again. */
void vm_unpause(struct vm *vm);

/**
 * Protection's fencing (docs/protection.md): from physical count
 * `deadline` on, no vCPU enters the guest; each arms its EL2 timer for it
 * (the count itself) before every entry, so one in the guest then leaves it
 * within the timer's interrupt, whatever the CPU that renews the lease is
 * doing. Once the deadline was seen passed (by a vCPU or vm_fenced) the VM
 * is fenced for good: a later deadline does not let it go on, a resume does
 * nothing. 0 lifts the deadline and lets a fenced VM go on (the standby
 * dropped its copy).
 */
void vm_lease_until(struct vm *vm, uint64_t deadline);

/** True once the VM's deadline passed (vm_lease_until): it stands, and stays so. */
bool vm_fenced(struct vm *vm);

/**
 * From a vCPU before it enters the guest: true when the deadline passed
 * (the vCPU is to stand); else its EL2 timer is armed for the deadline.
 */
bool vm_lease_over(struct vm *vm);

/**
 * The guest's virtual count is to go on from `count` (a start after a
 * migration): the first vCPU to leave its parking sets CNTVOFF then, for
 * all of them (vm_resume_clock), so that the guest's clock stands still
 * until it really runs.
 */
void vm_resume_clock_at(struct vm *vm, uint64_t count);

/** From a vCPU leaving its parking: the clock due (vm_resume_clock_at) goes on now. */
void vm_resume_clock(struct vm *vm);

/**
 * A start is due: woken now, for the next `ms` parked vCPUs poll instead
 * of sleeping again, so that neither the synchronization nor the start
 * waits for a wake-up (a sleeping CPU of an emulated board is a host thread
 * the host must schedule again: measured 0.1-4.7 ms on a busy host).
 */
void vm_poll_parked(struct vm *vm, unsigned ms);

/**
 * A stage-2 permission fault on guest RAM (read-only only while writes are
 * logged): marks the page dirty when logging and lets the guest write it
 * (from the vCPU's fault handler). False when `ipa` is not RAM (the fault
 * is the guest's).
 */
bool vm_dirty_fault(struct vm *vm, unsigned vcpu, uint64_t ipa);

/** The throttle's period, unless a share of less than a page per period needs a longer one. */
#define VM_THROTTLE_PERIOD_MS 5u

/**
 * One vCPU's share of a limit of `pages_per_s` among `on` vCPUs: `quota`
 * pages per `period` physical counts (the counter at `freq`): a page per
 * period at least, the period longer than VM_THROTTLE_PERIOD_MS when the
 * share is less than that.
 */
void vm_throttle_share(uint64_t pages_per_s, unsigned on, uint64_t freq, uint32_t *quota,
		       uint64_t *period);

/**
 * Limits the pages per second the VM's vCPUs may newly dirty while writes
 * are logged, shared among those that are on when each fault comes
 * (vm_throttle_share); 0 lifts the limit and wakes a vCPU waiting. A vCPU
 * over its share waits in its write fault, at EL2, for its next period
 * (QEMU's dirty-limit holds a vCPU thread the same way); a pause or a stop
 * ends the wait at once.
 */
void vm_throttle(struct vm *vm, uint64_t pages_per_s);

/**
 * Limits the pages the VM's vCPUs together may newly dirty between two
 * collections of the log (vm_dirty_collected); 0 lifts the limit and wakes
 * a vCPU waiting. A vCPU whose write goes over it waits in its write fault,
 * at EL2, until the next collection (a protected VM's next checkpoint
 * stops it first: the wait ends with the stop), the limit lifted, or a
 * stop. Beside vm_throttle, which spreads writes over time, this bounds
 * what one collection can find, however the writes came.
 */
void vm_throttle_collection(struct vm *vm, uint64_t pages);

/** The log was collected: the collection's limit counts afresh. */
void vm_dirty_collected(struct vm *vm);

/**
 * Builds a VM from its configuration around RAM at ram_pa (already zeroed,
 * cfg->mem_bytes long): stage 2, vGIC, UART, MMIO map, vCPUs all off.
 */
bool vm_init(struct vm *vm, const struct vm_config *cfg, paddr_t ram_pa, struct page_pool *pool,
	     uint16_t vmid, unsigned ipa_bits, uint64_t cntvoff, unsigned lr_count,
	     void (*console_emit)(const char *prefix, const char *line, unsigned len));

/** Host pointer to guest RAM at `ipa` for `size` bytes, or NULL when outside RAM. */
void *vm_ram_ptr(const struct vm *vm, uint64_t ipa, uint64_t size);

/** console_input_fn: a byte typed on the board console, for the VM's UART. */
bool vm_console_input(char c, void *vm);

/** Recomputes the UART's interrupt line (call with vm->lock held). */
void vm_update_uart_line(struct vm *vm);

/** Sets the network device's interrupt line from its state; with vm->lock held. */
void vm_net_update_line(struct vm *vm);

/**
 * The network device's back end (hyp/vm_net.c), on the CPU that moves its
 * frames: hands what the guest queued for transmission to `send`; places
 * one received frame in the guest's next receive buffer. Neither touches
 * the guest while it is stopped or parked for a migration.
 */
unsigned vm_net_transmit(struct vm *vm, vnet_send_fn send, void *ctx);
enum vnet_rx_result vm_net_receive(struct vm *vm, const uint8_t *frame, size_t len);
/** The VM runs here with its network device: frames may move (not parked, not rehearsing). */
bool vm_net_running(const struct vm *vm);
/** True (once) when the guest gave receive buffers or queued frames since the last call. */
bool vm_net_kicked(struct vm *vm);

/**
 * Postcopy: asks for a page not here yet (the engine fetches it) without
 * waiting for it; false when it is here.
 */
bool vm_postcopy_request(struct vm *vm, uint64_t page);

/** Kicks every vCPU other than `self` that has an interrupt waiting. */
void vm_kick_pending(struct vm *vm, unsigned self);

/**
 * The VM's devices as after vm_init: the vGIC at reset with this board's
 * forwarding (the virtual timer from its physical PPI), the UART at reset.
 */
void vm_reset_devices(struct vm *vm);

/** Reports a guest fault once per kind; returns true the first time. */
bool vm_fault_once(struct vm *vm, enum vm_fault_kind kind);

#endif
