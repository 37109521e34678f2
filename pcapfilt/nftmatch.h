/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pcapfilt/nftmatch.h - the nftrace side of --filter: an nft match that
 * selects a SUPERSET of the packets the pcap expression selects, for the
 * recorder's `meta nftrace set 1` rules (nft-record/nftrace.c).
 *
 * libpcap gives no parse tree, so only simple shapes are recognised: a
 * conjunction (`and` / `&&`, no `or`, `not`, parentheses or byte offsets) of
 *   ip | ip6                          meta protocol ip | ip6
 *   tcp | udp | icmp | icmp6 | sctp   meta l4proto N
 *   [ip | ip6] proto N                meta l4proto N
 *   [src | dst] host ADDR             ip[6] saddr / daddr ADDR (host: either)
 *   [src | dst] net ADDR/LEN | ADDR mask MASK
 *   [tcp | udp | sctp] [src | dst] port N          th sport / dport N
 *   [tcp | udp | sctp] [src | dst] portrange N-M   th sport / dport N-M
 * plus the extras `iface NAME` (iifname or oifname) and `mark V/M`.  A term
 * with two directions becomes two alternatives (one rule each); at most
 * NT_PCAPF_NFT_MAX rules.  Anything else: no match at all (n = 0), i.e. the
 * recorder sets nftrace on every packet of the recorded namespaces and keeps
 * only the trace steps of packets the BPF filter kept; `why` says which term.
 * Superset, not equal: pcap's `port` skips IPv4 fragments after the first,
 * nft's `th` does not look at fragments at all (the owned chains see them
 * reassembled or not, and nftrace, once set, stays on the skb); the recorder
 * never relies on nft matching less.
 */
#ifndef NT_PCAPF_NFTMATCH_H
#define NT_PCAPF_NFTMATCH_H

#include <stddef.h>
#include "pcapfilt/extras.h"

#define NT_PCAPF_NFT_MAX 8
#define NT_PCAPF_NFT_LEN 320

struct nt_pcapf_nft {
	int n;                                       /* 0 = trace every packet */
	char match[NT_PCAPF_NFT_MAX][NT_PCAPF_NFT_LEN]; /* ORed rules */
	char why[160];                               /* n == 0 with a filter: why */
};

/* PCAP: the pcap text of --filter (nt_pcapf_split); X: its extras. */
void nt_pcapf_nft_match(const char *pcap, const struct nt_pcapf_extras *x, struct nt_pcapf_nft *out);

#endif
