/* SPDX-License-Identifier: GPL-2.0 */
/*
 * capfilter.h - the capture filter: the --filter expression of nft-record.
 *
 * Syntax: predicates joined by "and" (or "&&"); every predicate must hold.
 *   ip | ip6                       address family
 *   tcp | udp | icmp | icmp6 | proto NAME|NUMBER
 *   host ADDR[/LEN]  (alias: net)  source or destination in ADDR/LEN
 *   src ADDR[/LEN]   dst ADDR[/LEN]
 *   port N   sport N   dport N     TCP/UDP ports (port = either)
 *   iface NAME                     device of the skb (received on / sent by)
 *   netns NAME                     only packets of that named netns (ip netns)
 *   mark V[/MASK]                  (skb->mark & MASK) == V
 * Applied in BPF (struct nt_filter, when an skb is first seen) and translated
 * into the nft match of the recorder's nftrace rules.
 */
#ifndef NT_CAPFILTER_H
#define NT_CAPFILTER_H

#include <stddef.h>
#include "common/bpf_shared.h"

#define NT_CAPFILTER_MAX_RULES 8

struct nt_capfilter {
	struct nt_filter bpf;        /* in-kernel filter (ifindex/netns resolved later) */
	char iface[32];              /* "" when no iface predicate */
	char netns[64];              /* "" when no netns predicate */
	/* nft match expressions (each one ORed); n = 0 means "match everything" */
	char nft[NT_CAPFILTER_MAX_RULES][256];
	int n_nft;
};

/* Parse EXPR (NULL or "" = no filter).  0, or -EINVAL with one line in err. */
int nt_capfilter_parse(const char *expr, struct nt_capfilter *out, char *err, size_t errlen);

#endif
