/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pcapfilt/compile.h - a pcap-filter(7) expression to classic BPF, with
 * libpcap (pcap_open_dead + pcap_compile, optimizer on).  The only file of
 * pcapfilt/ that includes <pcap.h>: libpcap's struct bpf_insn (classic) and
 * <linux/bpf.h>'s (extended) cannot meet in one translation unit.
 *
 * The recorder and the analyzer compile for NT_PCAPF_VIEW_L2, DLT_EN10MB
 * (byte 0 is the Ethernet destination MAC), and present every packet as an
 * Ethernet frame (pcapfilt/xlate.h, offline.h).  NT_PCAPF_VIEW_L3 compiles
 * for DLT_RAW (byte 0 is the IPv4 / IPv6 header); an expression that needs a
 * link layer (`ether host`, `vlan`, `arp`) then fails with -ENOTSUP and
 * libpcap's reason.  An expression that libpcap cannot compile for Ethernet
 * is invalid (-EINVAL, the message is libpcap's).
 *
 * Refused although libpcap compiles them (-ENOTSUP, message names the
 * construct): programs with a backward jump (`ip protochain`, `ip6
 * protochain`: a loop), and loads of Linux socket metadata (SKF_AD_*, e.g.
 * `inbound`, `outbound`): the probes have no socket to ask.
 */
#ifndef NT_PCAPF_COMPILE_H
#define NT_PCAPF_COMPILE_H

#include <stddef.h>
#include <stdint.h>
#include "pcapfilt/abi.h"

/* Same layout as libpcap's and the kernel's classic struct bpf_insn. */
struct nt_cbpf_insn {
	uint16_t code;
	uint8_t jt;
	uint8_t jf;
	uint32_t k;
};

struct nt_cbpf {
	struct nt_cbpf_insn *insns;
	unsigned int len;
};

/* Classic-only opcode parts (not in <linux/bpf.h>; values of linux/filter.h) */
#define NT_CBPF_RVAL(code) ((code) & 0x18)
#define NT_CBPF_RET_A 0x10
#define NT_CBPF_MISCOP(code) ((code) & 0xf8)
#define NT_CBPF_TAX 0x00
#define NT_CBPF_TXA 0x80

/* Classic BPF programs of more instructions are refused (libpcap itself
 * accepts millions); the eBPF budget (NT_PCAPF_SLOTS) is the tighter limit. */
#define NT_PCAPF_CBPF_MAX 4096

/* snapshot length given to pcap_compile: the value of `ret` on a match */
#define NT_PCAPF_SNAPLEN 262144

/* Compile EXPR for VIEW (NT_PCAPF_VIEW_L2 or _L3) into OUT (free with
 * nt_cbpf_free).  0; -EINVAL: not a valid expression; -ENOTSUP: valid but
 * not for this view, or a construct we refuse; -ENOMEM.  ERR gets one line
 * (no trailing newline) that names the expression. */
int nt_pcapf_compile(const char *expr, int view, struct nt_cbpf *out, char *err, size_t errlen);

void nt_cbpf_free(struct nt_cbpf *p);

/* libpcap's own interpreter (pcap_offline_filter semantics): the oracle. */
unsigned int nt_pcapf_run_libpcap(const struct nt_cbpf *p, const uint8_t *pkt, unsigned int caplen,
				  unsigned int wirelen);

/* libpcap's text of one instruction (bpf_image), for diagnostics. */
const char *nt_pcapf_insn_text(const struct nt_cbpf *p, unsigned int i, char *buf, size_t len);

#endif
