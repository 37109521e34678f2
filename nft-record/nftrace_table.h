/* SPDX-License-Identifier: GPL-2.0 */
/* nftrace_table.h - the text of the recorder's owned nft table(s) (nftrace.h
 * adds them) and the families they are added in. */
#ifndef NT_NFTRACE_TABLE_H
#define NT_NFTRACE_TABLE_H

#include <stddef.h>

#include "nft-record/capfilter.h"

/* Families of the owned tables (--nftrace-family): inet always traces the
 * ip / ip6 / inet chains; bridge adds the same table in the bridge family, as
 * nftables traces bridge-family rules only when a bridge-family chain set
 * nftrace.  0 = inet.  With LISTEN = 0 only the inet key table is added. */
#define NT_NFTRACE_INET 0x1u
#define NT_NFTRACE_BRIDGE 0x2u

/* "inet", "bridge", "inet,bridge" -> NT_NFTRACE_* mask; -EINVAL + err. */
int nt_nftrace_families_parse(const char *s, unsigned *mask, char *err, size_t errlen);

struct nt_nftrace_family {
	unsigned bit; /* NT_NFTRACE_* */
	const char *name;
};
extern const struct nt_nftrace_family nt_nftrace_families[];
extern const size_t nt_nftrace_nfamilies;

/*
 * The owned table(s) "table FAMILY TABLE { flags owner; chains }" for
 * `nft -f` into BUF (NUL-terminated): one per family of FAMILIES (0 = inet).
 * Base chains at priority -2147483648, named after their hook, with the rules
 * "<match> meta nftrace set 1 accept" (one per match of FLT's nft translation;
 * without: one rule, no match).  Without a match (every packet traced) only
 * at the entry hooks, prerouting and output: nf_trace stays on the skb
 * through the later hooks of the namespace (skb_scrub_packet clears it when
 * the packet crosses into another namespace or a tunnel, where prerouting or
 * output sets it again).  With one at every hook: a packet the match refuses
 * at its entry (before DNAT, no output interface yet) may match later.  The
 * accept ends only this chain's run: one trace message per run instead of the
 * rule's and the policy's.  LISTEN = 0 (verdicts from the BPF nftables probes,
 * no netlink listener): one inet table holding a regular chain that no packet
 * enters, "key { meta nftrace set 1 }", which only keeps the kernel's
 * nft_trace_enabled static key on.  0, or -ENOSPC when LEN is too small.
 */
int nt_nftrace_table(char *buf, size_t len, const char *table, const struct nt_capfilter *flt,
		     int listen, unsigned families);

#endif
