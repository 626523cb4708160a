/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The network device a guest sees: virtio-mmio version 2 (Virtio 1.1
 * section 4.2.2), a network device (section 5.1) with one receive and one
 * transmit queue in the split layout (section 2.6), the MAC from the VM's
 * configuration, no offloads: a frame is a 12-byte virtio_net_hdr and an
 * Ethernet frame of at most VNET_FRAME_MAX bytes.
 *
 * The registers (vnet_mmio) only hold what the driver writes; the queues
 * are processed by the board's network back end (vnet_tx, vnet_rx), with
 * the VM's lock held like every device access. Every index, descriptor
 * and length read from the guest's rings is checked: a driver that lies
 * about its rings finds the device in DEVICE_NEEDS_RESET (section 2.1.2)
 * and nothing outside its own RAM touched.
 */
#ifndef HYP_VNET_H
#define HYP_VNET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hyp/mmio.h"

#define VNET_QUEUE_MAX	  256u	 /**< QueueNumMax of both queues */
#define VNET_HDR_BYTES	  12u	 /**< virtio_net_hdr with num_buffers (section 5.1.6) */
#define VNET_FRAME_MAX	  1518u	 /**< an Ethernet frame with an 802.1Q tag, without its FCS */
#define VNET_QUEUE_NOTIFY 0x050u /**< the register a driver rings a queue's doorbell with */
#define VNET_RX		  0u
#define VNET_TX		  1u

/* Feature bits (sections 5.1.3 and 6). */
#define VNET_F_MAC	 (1ull << 5)
#define VNET_F_VERSION_1 (1ull << 32)
#define VNET_FEATURES	 (VNET_F_MAC | VNET_F_VERSION_1)

/* Device status bits (section 2.1). */
#define VNET_S_ACKNOWLEDGE 1u
#define VNET_S_DRIVER	   2u
#define VNET_S_DRIVER_OK   4u
#define VNET_S_FEATURES_OK 8u
#define VNET_S_NEEDS_RESET 64u
#define VNET_S_FAILED	   128u

/* InterruptStatus bits (section 4.2.2). */
#define VNET_ISR_USED	1u
#define VNET_ISR_CONFIG 2u

struct vnet_queue {
	uint32_t num; /**< QueueNum: a power of two, at most VNET_QUEUE_MAX */
	bool ready;
	uint64_t desc, avail, used; /**< guest IPAs of its three parts */
	uint16_t last_avail;	    /**< the next available entry the device takes */
	uint16_t used_idx;	    /**< the used ring's idx as the device last wrote it */
};

/**
 * Guest RAM as the device reaches it: [ipa, ipa + len) of the guest's RAM,
 * to read, or to write; `written` (if any) after each write is done, with
 * the range written, so its pages count as written for a migration once
 * what they hold is there.
 */
enum vnet_mem_status {
	VNET_MEM_OK,
	VNET_MEM_LATER, /**< RAM, not here yet (postcopy): try again later */
	VNET_MEM_BAD,	/**< not the guest's RAM */
};
struct vnet_mem {
	void *ctx;
	enum vnet_mem_status (*map)(void *ctx, uint64_t ipa, uint64_t len, bool write, void **host);
	void (*written)(void *ctx, uint64_t ipa, uint64_t len);
};

struct vnet_stats {
	uint64_t tx_frames, rx_frames, rx_no_buffer, tx_dropped;
};

struct vnet {
	uint8_t mac[6];
	uint32_t status;
	uint32_t device_features_sel, driver_features_sel;
	uint64_t driver_features;
	uint32_t queue_sel;
	uint32_t isr; /**< InterruptStatus */
	struct vnet_queue q[2];
	bool kicked[2]; /**< a QueueNotify the back end has not served yet */
	struct vnet_stats stats;
};

/** A device in its reset state, with this MAC. */
void vnet_init(struct vnet *n, const uint8_t mac[6]);

/** The reset of section 2.1 (a write of 0 to Status): the MAC stays. */
void vnet_reset(struct vnet *n);

/** mmio_handler_fn; device is the struct vnet. */
bool vnet_mmio(void *device, struct mmio_access *access);

/** The level of the device's interrupt line. */
static inline bool vnet_irq_level(const struct vnet *n) { return n->isr != 0; }

/** True once the driver's features are agreed and it set DRIVER_OK, until it fails or breaks. */
bool vnet_live(const struct vnet *n);

/**
 * Hands each frame the guest queued for transmission to `send`, in order;
 * a `send` that returns false (its own queue full) leaves that frame and
 * the rest for the next call. Returns the frames taken.
 */
typedef bool (*vnet_send_fn)(void *ctx, const uint8_t *frame, size_t len);
unsigned vnet_tx(struct vnet *n, const struct vnet_mem *m, vnet_send_fn send, void *ctx);

enum vnet_rx_result {
	VNET_RX_DELIVERED,
	VNET_RX_NO_BUFFER, /**< the guest gave no buffer (or none reachable now): try later */
	VNET_RX_DROPPED,   /**< the device is not live, or the frame too long */
};
/** Places one received frame in the guest's next receive buffer. */
enum vnet_rx_result vnet_rx(struct vnet *n, const struct vnet_mem *m, const uint8_t *frame,
			    size_t len);

#endif
