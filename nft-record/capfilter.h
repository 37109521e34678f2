/* SPDX-License-Identifier: GPL-2.0 */
/*
 * capfilter.h - the capture filter: the --filter expression of nft-record.
 *
 * Syntax: a pcap-filter(7) expression, as tcpdump takes it, plus our extras
 * joined to it with `and` at the top level (pcapfilt/extras.h):
 *   netns NAME, iface NAME, mark VALUE[/MASK]
 * e.g. 'host 10.0.0.1 and (tcp port 80 or udp) and netns web'.
 *
 * Where it applies:
 *   - in BPF, where a packet is first seen and where its headers change
 *     (bpf/core.bpf.h nt_track): the extras in struct nt_filter (read-only
 *     data), the pcap part as eBPF translated by pcapfilt/ and patched into
 *     every program's filter slot before the object is loaded
 *     (nt_capfilter_patch);
 *   - in the nftrace rules: a superset nft match when the pcap part is a
 *     simple conjunction (pcapfilt/nftmatch.h), else every packet; the trace
 *     steps of packets the BPF filter left out are dropped (nt_capfilter_left_out,
 *     used by nft-record/corr.c), never written as uncorrelated.
 * Errors: one line naming the expression: libpcap's message, the old private
 * forms with their pcap equivalent, the instruction limit of the filter slot.
 */
#ifndef NT_CAPFILTER_H
#define NT_CAPFILTER_H

#include <stddef.h>
#include <stdint.h>
#include <linux/bpf.h>
#include "common/bpf_shared.h"
#include "pcapfilt/compile.h"
#include "pcapfilt/extras.h"
#include "pcapfilt/nftmatch.h"

#define NT_CAPFILTER_PCAP_MAX 4096

struct bpf_object;
struct nt_trace_msg;

struct nt_capfilter {
	struct nt_filter bpf;        /* in-kernel: extras (ifindex / netns resolved later), NT_FLT_PCAP */
	char pcap[NT_CAPFILTER_PCAP_MAX]; /* the pcap-filter part, "" = none */
	char iface[16];              /* "" when no iface extra */
	char netns[64];              /* "" when no netns extra */
	struct nt_cbpf prog;         /* the pcap part compiled for DLT_EN10MB */
	struct bpf_insn *block;      /* ... translated for the probes' filter slot */
	size_t block_n;
	struct nt_pcapf_nft nft;     /* nftrace matches (nft.n = 0: every packet) */
};

/* Parse, compile and translate EXPR (NULL or "" = no filter) into OUT (free
 * with nt_capfilter_free).  0, or -EINVAL / -ENOTSUP / -E2BIG / -ENOMEM with
 * one line in ERR. */
int nt_capfilter_parse(const char *expr, struct nt_capfilter *out, char *err, size_t errlen);
void nt_capfilter_free(struct nt_capfilter *f);

/* Put the translated filter into the filter slot of every program of OBJ
 * (before bpf_object__load).  Number of slots patched (0 without a pcap
 * part), or a negative errno with ERR. */
int nt_capfilter_patch(const struct nt_capfilter *f, struct bpf_object *obj, char *err, size_t errlen);

/* Is the packet whose headers an nftrace message carries certainly one the
 * filter leaves out?  (Its headers, mark and interfaces; undecidable = no.) */
int nt_capfilter_left_out(const struct nt_capfilter *f, const struct nt_trace_msg *m);

/* One line for the user: what the nftrace rules match. */
void nt_capfilter_nft_say(const struct nt_capfilter *f, char *buf, size_t len);

#endif
