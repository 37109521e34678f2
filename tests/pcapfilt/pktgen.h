/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tests/pcapfilt/pktgen.h - a deterministic set of varied Ethernet frames for
 * the filter oracle tests: IPv4 (options, fragments, TTL/TOS), IPv6 (hop-by-hop
 * and fragment headers), TCP (flags, ports, payloads), UDP, ICMP, ICMPv6, ARP,
 * 802.1Q and QinQ tags, truncated captures and runts.
 */
#ifndef NT_TEST_PKTGEN_H
#define NT_TEST_PKTGEN_H

#include <stdint.h>

#define NT_PG_FRAME_MAX 1600

struct nt_pg_frame {
	uint8_t data[NT_PG_FRAME_MAX];
	unsigned int caplen;
	unsigned int wirelen;
	int l3off;           /* offset of the IP header (L3 view), -1 = not IP */
	int tagged;          /* outer 802.1Q / 802.1ad tag at offset 12 */
	char desc[64];
};

/* Build the set; returns the number of frames (static storage). */
int nt_pg_build(const struct nt_pg_frame **frames);

/* Write the frames to a pcap file (DLT_EN10MB); 0 or -1. */
int nt_pg_write_pcap(const char *path);

#endif
