/* SPDX-License-Identifier: Apache-2.0 */
/**
 * lwIP 2.2 options of Ferry: no OS (NO_SYS, raw API), IPv4 over Ethernet
 * with ARP and TCP only, windows large enough to keep the emulated link busy
 * (shared/design.md section 1: ~23 MB/s of raw frames).
 */
#ifndef FERRY_LWIPOPTS_H
#define FERRY_LWIPOPTS_H

#define NO_SYS		     1
#define SYS_LIGHTWEIGHT_PROT 0
#define LWIP_SOCKET	     0
#define LWIP_NETCONN	     0
#define LWIP_TIMERS	     1

#define LWIP_IPV4	   1
#define LWIP_IPV6	   0
#define LWIP_ARP	   1
#define LWIP_ETHERNET	   1
#define LWIP_ICMP	   1
#define LWIP_UDP	   0
#define LWIP_DHCP	   0
#define LWIP_DNS	   0
#define LWIP_IGMP	   0
#define LWIP_RAW	   0
#define LWIP_TCP	   1
#define LWIP_TCP_KEEPALIVE 1
#define SO_REUSE	   1 /* a board listens again while the last connection is in TIME-WAIT */
#define LWIP_ALTCP	   0

#define MEM_ALIGNMENT		8
#define MEM_SIZE		(512 * 1024)
#define MEMP_NUM_TCP_PCB	4
#define MEMP_NUM_TCP_PCB_LISTEN 2
#define MEMP_NUM_TCP_SEG	512
#define PBUF_POOL_SIZE		256
#define PBUF_POOL_BUFSIZE	1536

/*
 * The link is a board-to-board path of its own: jumbo frames on it take a
 * sixth of the frames, interrupts and segments that Ethernet's 1500 bytes
 * would (link/net.c sizes the device's buffers by it). A peer that offers
 * a smaller MSS is sent segments that fit it (RFC 9293 section 3.7.1).
 */
#define FERRY_LINK_MTU	 9000
#define TCP_MSS		 (FERRY_LINK_MTU - 40) /* IPv4 and TCP headers without options */
#define LWIP_WND_SCALE	 1
#define TCP_RCV_SCALE	 2
#define TCP_WND		 (128 * 1024)
#define TCP_SND_BUF	 (128 * 1024)
#define TCP_SND_QUEUELEN 256 /* pbufs: at least 2 x TCP_SND_BUF / TCP_MSS (lwIP's check) */
/* lwIP keeps these 16-bit: wake the sender at half the (u16) window */
#define TCP_SNDLOWAT	  24576 /* below 0xffff - 4 x TCP_MSS (lwIP's check) */
#define TCP_SNDQUEUELOWAT (TCP_SND_QUEUELEN / 2)
#define TCP_QUEUE_OOSEQ	  1

/*
 * TCP's timers every 25 ms (lwIP's default: 250). A lost segment goes again
 * after its retransmission timeout, counted in slow-timer ticks of twice
 * this: at 250 ms one loss held a checkpoint back past a 200 ms lease
 * (bench/protect.py, a guest busy on its one vCPU, 10 ms epochs: its primary
 * fenced). Delayed acknowledgements leave within this too.
 */
#define TCP_TMR_INTERVAL 25

/* Counters for the reports: TCP's retransmissions and drops (MIB2), pool errors. */
#define LWIP_STATS		   1
#define LWIP_STATS_LARGE	   1
#define LWIP_STATS_DISPLAY	   0
#define MIB2_STATS		   1
#define LWIP_NETIF_STATUS_CALLBACK 1
#define LWIP_NETIF_LINK_CALLBACK   1
#define LWIP_SINGLE_NETIF	   1

#endif
