/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pcapfilt/offline.h - the --filter expression evaluated after the fact, on
 * what a log recorded about a packet (nft-analyze --filter).  No BPF, no BTF,
 * no root: libpcap and this file.
 *
 * A log holds packet METADATA (struct nt_ev_meta, common/records.h), not the
 * packet.  From it we lay out the headers the filter would have seen,
 * Ethernet + IPv4/IPv6 + TCP/UDP/ICMP, every byte with a mask of the bits the
 * metadata fixes, and run the classic program (compiled by libpcap for
 * DLT_EN10MB) on values that may have unknown bits (the kernel verifier's
 * "tnums"): an operation on unknown bits yields unknown bits, a comparison
 * that unknown bits could decide either way is explored both ways.  The
 * answer is YES or NO when every packet that fits the metadata gives that
 * answer, and UNKNOWN otherwise, with the first unknown field it depended on.
 * tests/pcapfilt/test_pcapf_offline.c checks YES / NO against libpcap's
 * pcap_offline_filter on many packets built to fit the metadata.
 *
 * Known from a v1 META record: EtherType (skb->protocol), IP version, IPv4
 * id, protocol / IPv6 next header, addresses, TCP/UDP ports, TCP sequence
 * number and flags byte, ICMP/ICMPv6 type, code and bytes 4..7 (echo id and
 * sequence); the IPv4 fragment offset is 0 when the record has L4 fields (the
 * recorder parses L4 only then).  v2 adds the IPv4 fragment offset and MF
 * bit, and the L4 checksum.  An IPv6 fragment (v2) is laid out with its next
 * header unknown: the fragment header's place among other extension headers
 * is not recorded.
 * Never known: MAC addresses, TOS / traffic class, flow label, IP and UDP
 * lengths, TTL / hop limit, IP checksum, DF, TCP ack / data offset / window /
 * urgent pointer, TCP options, every payload byte, IPv6 extension headers,
 * and the packet length (`len`, `less`, `greater`: META's len is skb->len,
 * which counts the MAC header at some probes and not at others).
 * IPv4 options are not recorded: the layout has none, and the header length
 * that libpcap reads to find the L4 header (ldxb 4*([14]&0xf)) is taken as
 * the recorder's (the L4 fields it recorded are the ones behind the options);
 * a direct look at the header length (`ip[0] & 0xf`) is unknown.
 */
#ifndef NT_PCAPF_OFFLINE_H
#define NT_PCAPF_OFFLINE_H

#include <stddef.h>
#include <stdint.h>
#include "pcapfilt/compile.h"

/* What the analyzer knows about one packet (filled from a META record). */
struct nt_pcapf_meta {
	uint8_t l3;            /* NT_L3_NONE / _IPV4 / _IPV6 (records.h values) */
	uint8_t l4proto;
	uint16_t ethertype;    /* host order; 0 = not known */
	uint8_t saddr[16], daddr[16];
	uint16_t sport, dport; /* ICMP: type << 8 | code, bytes 4..5 */
	uint32_t l4_extra;     /* TCP seq; ICMP bytes 4..7 */
	uint16_t ip_id;
	uint8_t tcp_flags;
	uint8_t no_tcp_flags;  /* the TCP flags byte is not known (nftrace headers) */
	uint8_t has_frag;      /* v2: frag below is known */
	uint16_t frag;         /* v2 META frag: bits 0..12 offset, 13 MF, 15 is-a-fragment */
	uint8_t has_l4_csum;   /* v2 */
	uint16_t l4_csum;
};

/* Fill M from a META record of a log of format major version VERSION (1:
 * frag and l4_csum are not recorded; 2: they are, l4_csum 0 = not known). */
struct nt_ev_meta;
void nt_pcapf_meta_from_ev(const struct nt_ev_meta *ev, unsigned int version, struct nt_pcapf_meta *m);

enum nt_pcapf_answer { NT_PCAPF_NO = 0, NT_PCAPF_YES = 1, NT_PCAPF_UNKNOWN = 2 };

/* Synthesized frame: at most this many bytes are laid out (headers from
 * META; or recorded packet bytes, NT_BYTES_MAX, behind an Ethernet header). */
#define NT_PCAPF_SYN_MAX 272

struct nt_pcapf_syn {
	uint8_t b[NT_PCAPF_SYN_MAX];
	uint8_t known[NT_PCAPF_SYN_MAX]; /* bit mask of the known bits of b[i] */
	unsigned int len;                /* bytes laid out */
	unsigned int l3off, l4off;       /* 0 = none */
	int has_len;                     /* recorded bytes: the packet length is known */
	uint32_t wirelen;
};

/* Lay out the headers of M (exposed for tests and messages). */
void nt_pcapf_synthesize(const struct nt_pcapf_meta *m, struct nt_pcapf_syn *s);

/* Answer the DLT_EN10MB program P for M.  On UNKNOWN, *why (if given) gets
 * the frame offset of the first unknown byte the answer depended on, or -1
 * for the packet length. */
enum nt_pcapf_answer nt_pcapf_offline_eval(const struct nt_cbpf *p, const struct nt_pcapf_meta *m,
					   int *why);

/* Answer P for a packet whose first CAPLEN bytes (FRAME, an Ethernet frame,
 * caplen <= NT_PCAPF_SYN_MAX) of WIRELEN were recorded (BYTES records):
 * exact where the program reads only those bytes and the length, UNKNOWN
 * (*why = CAPLEN) where it reads past them. */
enum nt_pcapf_answer nt_pcapf_offline_eval_frame(const struct nt_cbpf *p, const uint8_t *frame,
						 unsigned int caplen, uint32_t wirelen, int *why);

/* Name of the field at frame offset OFF of the layout of M ("IPv4 TTL",
 * "TCP payload" ...); OFF -1: "packet length". */
const char *nt_pcapf_field_name(const struct nt_pcapf_meta *m, int off);

#endif
