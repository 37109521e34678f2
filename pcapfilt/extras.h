/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pcapfilt/extras.h - the --filter language of nft-record and nft-analyze:
 * a pcap-filter(7) expression plus our own predicates that pcap cannot
 * express, joined to it with `and` at the top level:
 *
 *   netns NAME         packets of that named network namespace (ip netns)
 *   iface NAME         packets on that device (received on / sent by)
 *   mark VALUE[/MASK]  (skb->mark & MASK) == VALUE
 *
 * e.g. `host 10.0.0.1 and (tcp port 80 or udp) and netns web`.  In pcap
 * `and` and `or` have the same precedence and group from the left, so an
 * extra is a top-level conjunct when the operator before it and every
 * operator after it (outside parentheses) is `and`: `tcp or udp and netns
 * web` is `(tcp or udp) and netns web`; `netns web and tcp or udp` is refused.
 *
 * The private forms of the old --filter language are refused with their pcap
 * equivalent: `sport N` -> `src port N`, `dport N` -> `dst port N`,
 * `proto tcp` -> `tcp`, `host A/LEN` -> `net A/LEN`, `dev NAME` -> `iface NAME`.
 * (`port N` is pcap's: TCP, UDP and SCTP ports; it no longer matches ICMP ids.)
 */
#ifndef NT_PCAPF_EXTRAS_H
#define NT_PCAPF_EXTRAS_H

#include <stddef.h>
#include <stdint.h>

struct nt_pcapf_extras {
	char netns[64];      /* "" = none */
	char iface[16];      /* "" = none */
	int has_mark;
	uint32_t mark_value; /* already masked */
	uint32_t mark_mask;
};

/* Split EXPR (NULL = "") into the pcap part (PCAP, "" = none) and the extras.
 * 0, or -EINVAL / -E2BIG with one line in ERR that names the problem and what
 * to write instead. */
int nt_pcapf_split(const char *expr, char *pcap, size_t pcaplen, struct nt_pcapf_extras *x, char *err,
		   size_t errlen);

#endif
