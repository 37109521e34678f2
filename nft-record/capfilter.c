// SPDX-License-Identifier: GPL-2.0
/* capfilter.c - --filter: pcap-filter text + extras -> BPF filter slot,
 * struct nt_filter, nftrace matches (capfilter.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>

#include "nft-record/capfilter.h"
#include "nft-record/nftrace.h"
#include "pcapfilt/offline.h"
#include "pcapfilt/xlate.h"

int nt_capfilter_parse(const char *expr, struct nt_capfilter *o, char *err, size_t errlen)
{
	struct nt_pcapf_extras x;
	struct bpf_insn *blk = NULL;
	int ret;

	memset(o, 0, sizeof(*o));
	if (!expr || !*expr)
		return 0;
	ret = nt_pcapf_split(expr, o->pcap, sizeof(o->pcap), &x, err, errlen);
	if (ret)
		return ret;
	if (x.netns[0]) {
		memcpy(o->netns, x.netns, sizeof(o->netns));
		o->bpf.flags |= NT_FLT_NETNS; /* inode resolved by the recorder */
	}
	if (x.iface[0]) {
		memcpy(o->iface, x.iface, sizeof(o->iface));
		o->bpf.flags |= NT_FLT_IFINDEX; /* ifindex resolved by the recorder */
	}
	if (x.has_mark) {
		o->bpf.flags |= NT_FLT_MARK;
		o->bpf.mark_value = x.mark_value;
		o->bpf.mark_mask = x.mark_mask;
	}
	nt_pcapf_nft_match(o->pcap, &x, &o->nft);
	if (!o->pcap[0])
		return 0;
	ret = nt_pcapf_compile(o->pcap, NT_PCAPF_VIEW_L2, &o->prog, err, errlen);
	if (ret)
		goto fail;
	blk = malloc(NT_PCAPF_BUDGET * sizeof(*blk));
	if (!blk) {
		snprintf(err, errlen, "out of memory");
		ret = -ENOMEM;
		goto fail;
	}
	ret = nt_pcapf_xlate(&o->prog, blk, NT_PCAPF_BUDGET, &o->block_n, err, errlen);
	if (ret)
		goto fail;
	o->block = blk;
	o->bpf.flags |= NT_FLT_PCAP;
	return 0;
fail:
	free(blk);
	nt_capfilter_free(o);
	return ret;
}

void nt_capfilter_free(struct nt_capfilter *f)
{
	nt_cbpf_free(&f->prog);
	free(f->block);
	f->block = NULL;
	f->block_n = 0;
}

int nt_capfilter_patch(const struct nt_capfilter *f, struct bpf_object *obj, char *err, size_t errlen)
{
	struct bpf_program *p;
	struct bpf_insn *buf = NULL;
	size_t cap = 0;
	int total = 0;

	if (!f->block)
		return 0;
	bpf_object__for_each_program(p, obj) {
		size_t n = bpf_program__insn_cnt(p);
		int k;

		if (n > cap) {
			struct bpf_insn *nb = realloc(buf, n * sizeof(*nb));

			if (!nb) {
				free(buf);
				snprintf(err, errlen, "out of memory");
				return -ENOMEM;
			}
			buf = nb;
			cap = n;
		}
		memcpy(buf, bpf_program__insns(p), n * sizeof(*buf));
		k = nt_pcapf_patch(buf, n, f->block, f->block_n);
		if (k < 0 || (k > 0 && bpf_program__set_insns(p, buf, n))) {
			free(buf);
			snprintf(err, errlen, "cannot put the filter into program %s", bpf_program__name(p));
			return k < 0 ? k : -EINVAL;
		}
		total += k;
	}
	free(buf);
	return total;
}

int nt_capfilter_left_out(const struct nt_capfilter *f, const struct nt_trace_msg *m)
{
	struct nt_pcapf_meta pm;

	if ((f->bpf.flags & NT_FLT_MARK) && (m->mark & f->bpf.mark_mask) != f->bpf.mark_value)
		return 1;
	if ((f->bpf.flags & NT_FLT_NETNS) && f->bpf.netns && m->netns != f->bpf.netns)
		return 1;
	if ((f->bpf.flags & NT_FLT_IFINDEX) && f->bpf.ifindex && m->iif != f->bpf.ifindex &&
	    m->oif != f->bpf.ifindex)
		return 1;
	if (!(f->bpf.flags & NT_FLT_PCAP) || !(m->flags & NT_TRACE_HAS_PKT))
		return 0;
	memset(&pm, 0, sizeof(pm));
	pm.l3 = m->l3;
	pm.l4proto = m->l4proto;
	memcpy(pm.saddr, m->saddr, 16);
	memcpy(pm.daddr, m->daddr, 16);
	pm.sport = m->sport;
	pm.dport = m->dport;
	pm.ip_id = m->ip_id;
	pm.l4_extra = m->l4_extra;
	pm.no_tcp_flags = 1; /* trace messages do not carry them here */
	return nt_pcapf_offline_eval(&f->prog, &pm, NULL) == NT_PCAPF_NO;
}

void nt_capfilter_nft_say(const struct nt_capfilter *f, char *buf, size_t len)
{
	if (!f->pcap[0] && !f->nft.n)
		snprintf(buf, len, "every packet");
	else if (f->nft.n)
		snprintf(buf, len, "a superset of --filter (%d rule%s, e.g. '%s'); trace steps of packets "
			 "the BPF filter left out are dropped", f->nft.n, f->nft.n > 1 ? "s" : "", f->nft.match[0]);
	else
		snprintf(buf, len, "every packet (%s); trace steps of packets the BPF filter left out are "
			 "dropped", f->nft.why);
}
