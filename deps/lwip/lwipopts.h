/* SPDX-License-Identifier: Apache-2.0 */
/**
 * lwIP 2.1 options of Ferry: no OS (NO_SYS, raw API), IPv4 over Ethernet
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

#define TCP_MSS		 1460
#define LWIP_WND_SCALE	 1
#define TCP_RCV_SCALE	 2
#define TCP_WND		 (128 * 1024)
#define TCP_SND_BUF	 (128 * 1024)
#define TCP_SND_QUEUELEN (4 * TCP_SND_BUF / TCP_MSS)
/* lwIP keeps these 16-bit: wake the sender at half the (u16) window */
#define TCP_SNDLOWAT	  32768
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

#define LWIP_STATS		   0
#define LWIP_NETIF_STATUS_CALLBACK 1
#define LWIP_NETIF_LINK_CALLBACK   1
#define LWIP_SINGLE_NETIF	   1

#endif
