// SPDX-License-Identifier: GPL-2.0
/* pcapfilt/compile.c - pcap-filter expression -> classic BPF with libpcap. */
#include <errno.h>
#include <pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcapfilt/compile.h"

_Static_assert(sizeof(struct nt_cbpf_insn) == sizeof(struct bpf_insn), "classic insn layout");

/* Linux socket-filter metadata loads (linux/filter.h SKF_AD_OFF = -0x1000):
 * libpcap emits them for `inbound`, `outbound`, `ifindex` ... */
#define NT_SKF_AD_OFF 0xfffff000u

/* One line: libpcap's messages are single lines, but the expression is the
 * user's and may hold anything. */
static void put_err(char *err, size_t errlen, const char *expr, const char *fmt, const char *what)
{
	char e[160];
	size_t i, n = 0;

	if (!err || !errlen)
		return;
	for (i = 0; expr[i] && n + 4 < sizeof(e); i++) {
		unsigned char c = expr[i];

		e[n++] = (c < 0x20 || c == 0x7f) ? '?' : c;
	}
	if (expr[i])
		e[n++] = '.', e[n++] = '.', e[n++] = '.';
	e[n] = 0;
	snprintf(err, errlen, fmt, e, what);
	for (char *p = err; *p; p++) /* libpcap's message quotes the user's words too */
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
		else if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
}

static int refuse_unsupported(const struct nt_cbpf *p, const char *expr, char *err, size_t errlen)
{
	for (unsigned int i = 0; i < p->len; i++) {
		const struct nt_cbpf_insn *in = &p->insns[i];
		unsigned int cls = BPF_CLASS(in->code);

		if (in->code == (BPF_JMP | BPF_JA) && (int32_t)in->k < 0) {
			put_err(err, errlen, expr,
				"--filter '%s': %s",
				"libpcap compiles 'protochain' to a loop (a backward jump), which the "
				"probes cannot run; use 'ip proto N' / 'ip6 proto N' (no extension headers)");
			return -ENOTSUP;
		}
		if ((cls == BPF_LD || cls == BPF_LDX) &&
		    (BPF_MODE(in->code) == BPF_ABS) && in->k >= NT_SKF_AD_OFF) {
			put_err(err, errlen, expr, "--filter '%s': %s",
				"reads Linux packet-socket metadata (inbound, outbound, ifindex ...), "
				"which the probes do not have; use the 'iface NAME' extra instead");
			return -ENOTSUP;
		}
	}
	return 0;
}

int nt_pcapf_compile(const char *expr, int view, struct nt_cbpf *out, char *err, size_t errlen)
{
	struct bpf_program bp = { 0 };
	pcap_t *ph;
	int dlt = view == NT_PCAPF_VIEW_L3 ? DLT_RAW : DLT_EN10MB;
	int ret;

	memset(out, 0, sizeof(*out));
	if (!expr)
		expr = "";
	ph = pcap_open_dead(dlt, NT_PCAPF_SNAPLEN);
	if (!ph) {
		put_err(err, errlen, expr, "--filter '%s': %s", "libpcap: pcap_open_dead failed");
		return -ENOMEM;
	}
	if (pcap_compile(ph, &bp, expr, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		put_err(err, errlen, expr, "--filter '%s': %s", pcap_geterr(ph));
		pcap_close(ph);
		/* The caller compiles the Ethernet view first: a failure there is a
		 * bad expression, a failure of the raw-IP view a link-layer one. */
		return view == NT_PCAPF_VIEW_L3 ? -ENOTSUP : -EINVAL;
	}
	pcap_close(ph);
	if (bp.bf_len == 0 || bp.bf_len > NT_PCAPF_CBPF_MAX) {
		char what[96];

		snprintf(what, sizeof(what), "libpcap produced %u classic BPF instructions (limit %d)",
			 bp.bf_len, NT_PCAPF_CBPF_MAX);
		put_err(err, errlen, expr, "--filter '%s': %s", what);
		pcap_freecode(&bp);
		return -E2BIG;
	}
	out->insns = malloc(bp.bf_len * sizeof(*out->insns));
	if (!out->insns) {
		pcap_freecode(&bp);
		put_err(err, errlen, expr, "--filter '%s': %s", "out of memory");
		return -ENOMEM;
	}
	memcpy(out->insns, bp.bf_insns, bp.bf_len * sizeof(*out->insns));
	out->len = bp.bf_len;
	pcap_freecode(&bp);
	ret = refuse_unsupported(out, expr, err, errlen);
	if (ret)
		nt_cbpf_free(out);
	return ret;
}

void nt_cbpf_free(struct nt_cbpf *p)
{
	free(p->insns);
	p->insns = NULL;
	p->len = 0;
}

unsigned int nt_pcapf_run_libpcap(const struct nt_cbpf *p, const uint8_t *pkt, unsigned int caplen,
				  unsigned int wirelen)
{
	struct bpf_program bp = { .bf_len = p->len, .bf_insns = (struct bpf_insn *)p->insns };
	struct pcap_pkthdr h = { .caplen = caplen, .len = wirelen };

	return pcap_offline_filter(&bp, &h, pkt) ;
}

const char *nt_pcapf_insn_text(const struct nt_cbpf *p, unsigned int i, char *buf, size_t len)
{
	snprintf(buf, len, "%s", i < p->len ? bpf_image((struct bpf_insn *)&p->insns[i], (int)i) : "?");
	return buf;
}
