/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pcap.h - the packet bytes a log captured (nft-record --capture-bytes: BYTES
 * records, one per header version of a packet) as pcapng for Wireshark /
 * tshark / tcpdump (`nft-analyze pcap`):
 *  - one enhanced packet block per BYTES record of a packet, record order;
 *  - one interface description block per (network namespace, ifindex) the
 *    captures were taken on, named from the log's IFACES snapshot, written
 *    before its first packet; link type Ethernet for every block (libpcap,
 *    so tcpdump, reads no file whose interfaces have different link types):
 *    a capture from the network header gets a made-up Ethernet header
 *    (addresses 0, EtherType = skb->protocol), which the comment says;
 *  - timestamps: wall clock, record time + the HEADER's clock reference;
 *  - every block's comment: packet id, version i/n, why and where it was
 *    captured, verdict, deciding rule and its text, drop reason and
 *    location, conntrack states, the path in one line;
 *  - headers_only: every capture cut after its transport header.
 */
#ifndef NT_PCAP_H
#define NT_PCAP_H

#include <stdint.h>
#include <stdio.h>
#include "model/model.h"
#include "model/pcapng.h"

struct nt_pcap_iface;

struct nt_pcap {
	struct nt_pcapng pw;
	int headers_only;
	int started;              /* section header written */
	int have_clock;           /* the log had a clock reference (else times since boot) */
	uint64_t wall_off;
	struct nt_pcap_iface *ifs;
	uint32_t nifs, ifs_cap;
	uint64_t packets, versions;
	uint64_t skipped;         /* captures with neither an Ethernet header nor an EtherType */
	uint64_t cut;             /* captures headers_only made shorter */
};

void nt_pcap_init(struct nt_pcap *c, FILE *f, int headers_only);
/* The section header (once; nt_pcap_packet() calls it): a file without
 * packets is still a valid capture. */
void nt_pcap_start(struct nt_pcap *c, const struct nt_model *m);
/* Every captured version of packet P (its records: model keep_events);
 * returns how many P had. */
int nt_pcap_packet(struct nt_pcap *c, const struct nt_model *m, const struct nt_packet *p);
void nt_pcap_free(struct nt_pcap *c);

#endif
