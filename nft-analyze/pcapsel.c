// SPDX-License-Identifier: GPL-2.0
/* pcapsel.c - nft-analyze --filter (pcapsel.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nft-analyze/pcapsel.h"
#include "pcapfilt/offline.h"

int nt_pcapsel_init(struct nt_pcapsel *s, const char *expr, char *err, size_t errlen)
{
	int ret;

	memset(s, 0, sizeof(*s));
	s->why = -2;
	snprintf(s->expr, sizeof(s->expr), "%s", expr);
	ret = nt_pcapf_split(expr, s->pcap, sizeof(s->pcap), &s->x, err, errlen);
	if (ret)
		return ret;
	if (s->pcap[0])
		ret = nt_pcapf_compile(s->pcap, NT_PCAPF_VIEW_L2, &s->prog, err, errlen);
	return ret;
}

void nt_pcapsel_free(struct nt_pcapsel *s)
{
	nt_cbpf_free(&s->prog);
	free(s->counted);
	s->counted = NULL;
}

/* First time packet ID is left out undecided? (exact: one bit per id) */
static int count_once(struct nt_pcapsel *s, uint64_t id)
{
	if (id >= s->counted_bits) {
		uint64_t nb = s->counted_bits ? s->counted_bits : 1 << 16;
		uint8_t *n;

		while (nb <= id)
			nb *= 2;
		n = realloc(s->counted, nb / 8);
		if (!n)
			return 1; /* out of memory: may count twice, never crashes */
		memset(n + s->counted_bits / 8, 0, (nb - s->counted_bits) / 8);
		s->counted = n;
		s->counted_bits = nb;
	}
	if (s->counted[id / 8] & (1u << (id % 8)))
		return 0;
	s->counted[id / 8] |= (uint8_t)(1u << (id % 8));
	return 1;
}

static int match(struct nt_pcapsel *s, const struct nt_model *m, const struct nt_packet *p);

/* The packet's first BYTES record as the Ethernet frame the recorder's
 * filter sees (behind a made-up Ethernet header when the bytes start at the
 * network header, as pcapfilt/abi.h's L3 view): its length, 0 = none. */
static unsigned int bytes_frame(const struct nt_packet *p, uint8_t *fr, uint32_t *wirelen)
{
	for (size_t off = 0, len; off + sizeof(struct nt_ev_hdr) <= p->ev_len; off += len) {
		const struct nt_ev_hdr *h = (const void *)(p->ev + off);
		const struct nt_ev_bytes *b = (const void *)h;
		unsigned int cap, no;

		len = nt_ev_len(h);
		if (!len || off + len > p->ev_len)
			return 0;
		if (h->type != NT_EV_BYTES)
			continue;
		cap = b->caplen, no = b->net_off;
		if (len < sizeof(*b) + cap || cap > NT_BYTES_MAX || no > cap || b->origlen < cap)
			return 0;
		if (b->link == NT_BYTES_MAC && (no == 14 || (no == 18 && b->data[12] == 0x81 && !b->data[13]))) {
			memcpy(fr, b->data, cap);
			*wirelen = b->origlen;
			return cap;
		}
		if (b->link == NT_BYTES_MAC ? no < 14 : no != 0)
			return 0; /* not an Ethernet MAC header: the network header on */
		memset(fr, 0, 12);
		fr[12] = (uint8_t)(b->ethertype >> 8);
		fr[13] = (uint8_t)b->ethertype;
		memcpy(fr + 14, b->data + no, cap - no);
		*wirelen = b->origlen - no + 14;
		return cap - no + 14;
	}
	return 0;
}

int nt_pcapsel_match(void *ctx, const struct nt_model *m, const struct nt_packet *p)
{
	struct nt_pcapsel *s = ctx;
	size_t slot = p->id % (sizeof(s->memo) / sizeof(s->memo[0]));
	int a;

	if (p->has_meta && s->memo[slot].id == p->id)
		return s->memo[slot].answer;
	a = match(s, m, p);
	if (p->has_meta) {
		s->memo[slot].id = p->id;
		s->memo[slot].answer = (uint8_t)a;
	}
	return a;
}

static int match(struct nt_pcapsel *s, const struct nt_model *m, const struct nt_packet *p)
{
	const struct nt_ev_meta *mm = &p->meta;
	struct nt_pcapf_meta pm;
	int why = -2;
	uint8_t frame[NT_PCAPF_SYN_MAX];
	uint32_t wirelen;
	unsigned int flen;

	if (!p->has_meta)
		return 0;
	if (s->x.has_mark && (mm->mark & s->x.mark_mask) != s->x.mark_value)
		return 0;
	if (s->x.netns[0]) {
		uint32_t inum = nt_model_netns_inum(m, s->x.netns);

		if (!inum)
			s->netns_unknown = 1;
		if (mm->netns != inum)
			return 0;
	}
	if (s->x.iface[0]) {
		const char *n = nt_model_ifname(m, mm->netns, mm->ifindex);

		if (!n || strcmp(n, s->x.iface))
			return 0;
	}
	if (!s->pcap[0])
		return 1;
	/* recorded bytes first: exact where the expression reads only them */
	if ((flen = bytes_frame(p, frame, &wirelen))) {
		enum nt_pcapf_answer a = nt_pcapf_offline_eval_frame(&s->prog, frame, flen, wirelen, NULL);

		if (a != NT_PCAPF_UNKNOWN)
			return a == NT_PCAPF_YES;
	}
	nt_pcapf_meta_from_ev(mm, s->w ? s->w->version : 2, &pm);
	switch (nt_pcapf_offline_eval(&s->prog, &pm, &why)) {
	case NT_PCAPF_YES:
		return 1;
	case NT_PCAPF_NO:
		return 0;
	default:
		if (count_once(s, p->id)) {
			if (!s->undecided) {
				s->why = why;
				snprintf(s->why_name, sizeof(s->why_name), "%s", nt_pcapf_field_name(&pm, why));
			}
			s->undecided++;
		}
		return 0;
	}
}

void nt_pcapsel_report(const struct nt_pcapsel *s)
{
	if (s->netns_unknown)
		fprintf(stderr, "nft-analyze: --filter: netns %s is not one of the log's namespaces "
			"(nft-record --netns): no packet matches it\n", s->x.netns);
	if (s->undecided)
		fprintf(stderr, "nft-analyze: --filter: %llu packet%s left out undecided: the expression "
			"reads the %s, which the log does not record (pcapfilt/offline.h)\n",
			(unsigned long long)s->undecided, s->undecided == 1 ? "" : "s", s->why_name);
}
