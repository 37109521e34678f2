// SPDX-License-Identifier: GPL-2.0
/* pcap.c - a log's captured packet bytes as pcapng (pcap.h). */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/tool.h"
#include "model/detail.h"
#include "model/pcap.h"

#define MAX_IFACES 4096           /* interface blocks; captures on more share "other" */
#define PATH_MAX_LEN 1500         /* the comment's path part */

struct nt_pcap_iface {
	uint64_t key;             /* netns << 32 | ifindex, UINT64_MAX: the shared one */
	uint32_t id;
};

/* ---- headers ---- */
/* Bytes of D (caplen N, the network header at OFF) up to the end of the
 * transport header; N when the capture ends before it. */
static uint32_t headers_len(const uint8_t *d, uint32_t n, uint32_t off)
{
	uint32_t o = off, l4 = 0;
	uint8_t proto;

	if (o + 1 > n)
		return n;
	if ((d[o] >> 4) == 4) {
		uint32_t ihl = (uint32_t)(d[o] & 15) * 4;

		if (o + 20 > n || ihl < 20)
			return n;
		proto = d[o + 9];
		if ((((uint32_t)d[o + 6] << 8 | d[o + 7]) & 0x1fff) != 0)
			return o + ihl < n ? o + ihl : n; /* not the first fragment */
		o += ihl;
	} else if ((d[o] >> 4) == 6) {
		int ext = 0;

		if (o + 40 > n)
			return n;
		proto = d[o + 6];
		o += 40;
		/* extension headers (hop-by-hop, routing, fragment, destination, AH) */
		while (ext++ < 8 && (proto == 0 || proto == 43 || proto == 44 || proto == 60 || proto == 51)) {
			uint32_t hl;

			if (o + 8 > n)
				return n;
			if (proto == 44) {
				if (((uint32_t)d[o + 2] << 8 | d[o + 3]) & 0xfff8)
					return o + 8; /* not the first fragment */
				hl = 8;
			} else if (proto == 51) {
				hl = ((uint32_t)d[o + 1] + 2) * 4;
			} else {
				hl = ((uint32_t)d[o + 1] + 1) * 8;
			}
			proto = d[o];
			o += hl;
		}
	} else {
		return n;
	}
	switch (proto) {
	case 6:
		if (o + 13 > n)
			return n;
		l4 = (uint32_t)(d[o + 12] >> 4) * 4;
		if (l4 < 20)
			l4 = 20;
		break;
	case 17: case 136: case 1: case 58: l4 = 8; break;
	case 132: l4 = 12; break;
	default: l4 = 0; break;
	}
	return o + l4 < n ? o + l4 : n;
}

/* ---- interfaces ---- */
static uint32_t iface_id(struct nt_pcap *c, const struct nt_model *m, uint32_t netns, uint32_t ifindex)
{
	uint64_t key = (uint64_t)netns << 32 | ifindex;
	char name[300], desc[300];
	const char *ifn;

	for (uint32_t i = c->nifs; i-- > 0;) /* newest first: recent interfaces repeat */
		if (c->ifs[i].key == key)
			return c->ifs[i].id;
	if (c->nifs >= MAX_IFACES) {
		/* past the bound: one shared interface */
		for (uint32_t i = 0; i < c->nifs; i++)
			if (c->ifs[i].key == UINT64_MAX)
				return c->ifs[i].id;
		key = UINT64_MAX;
		snprintf(name, sizeof(name), "other");
		snprintf(desc, sizeof(desc), "interfaces past the first %u", MAX_IFACES);
	} else {
		ifn = nt_model_ifname(m, netns, ifindex);
		if (ifn)
			snprintf(name, sizeof(name), "%s", ifn);
		else if (ifindex)
			snprintf(name, sizeof(name), "if%u", ifindex);
		else
			snprintf(name, sizeof(name), "none");
		snprintf(desc, sizeof(desc), "netns %u ifindex %u", netns, ifindex);
	}
	if (c->nifs == c->ifs_cap) {
		uint32_t cap = c->ifs_cap ? c->ifs_cap * 2 : 16;
		struct nt_pcap_iface *n = realloc(c->ifs, (cap + 1) * sizeof(*n)); /* + the shared one */

		if (!n)
			return 0; /* out of memory: the first interface */
		c->ifs = n;
		c->ifs_cap = cap;
	}
	c->ifs[c->nifs].key = key;
	c->ifs[c->nifs].id = nt_pcapng_idb(&c->pw, NT_PCAPNG_LINKTYPE_ETHERNET, 0, name, desc);
	return c->ifs[c->nifs++].id;
}

/* ---- the comment ---- */
struct sb {
	char *s;
	size_t len, cap;
};

static void sb_add(struct sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_add(struct sb *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->len >= b->cap)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		b->len = b->len + (size_t)n < b->cap ? b->len + (size_t)n : b->cap - 1;
}

#define FOREACH_REC(p, h) \
	for (size_t _off = 0; _off + sizeof(struct nt_ev_hdr) <= (p)->ev_len && \
	     ((h) = (const void *)((p)->ev + _off)) && nt_ev_len(h); _off += nt_ev_len(h))

/* The part of a packet's comment that every one of its versions shares. */
static void packet_comment(struct sb *b, const struct nt_model *m, const struct nt_packet *p)
{
	const struct nt_ev_hdr *h;
	const char *last = NULL;
	char buf[300];
	size_t path0;
	int last_ct = -1, nct = 0;

	sb_add(b, " | verdict %s", nt_verdict_name(p->verdict));
	if (p->verdict_chain) {
		const char *text = p->verdict_rule ? nt_model_rule_text(m, p->verdict_chain, p->verdict_rule) : NULL;

		nt_fmt_chain(buf, sizeof(buf), m, p->verdict_chain);
		if (p->verdict_rule)
			sb_add(b, " by rule %s #%" PRIu64 "%s%s%s", buf, p->verdict_rule, text ? " \"" : "",
			       text ? text : "", text ? "\"" : "");
		else if (p->verdict_kind == NT_RULE_KIND_POLICY)
			sb_add(b, " by policy of %s", buf);
		else
			sb_add(b, " by chain %s", buf);
	}
	sb_add(b, " | fate %s", nt_fate_name(p->fate));
	if (p->dropped) {
		const char *rn = nt_model_drop_reason(m, p->drop_reason);

		sb_add(b, ": %s (reason %u) at ", rn ? rn : "?", p->drop_reason);
		if (p->drop_location)
			sb_add(b, "%s ", nt_model_symbolize(m, p->drop_location, buf, sizeof(buf)));
		sb_add(b, "(%s)", nt_model_func(m, p->drop_func)->name);
	} else if (p->fate_func != UINT32_MAX && p->fate != NT_FATE_UNKNOWN) {
		sb_add(b, " at %s", nt_model_func(m, p->fate_func)->name);
	}
	FOREACH_REC(p, h) {
		const struct nt_ev_ct *c = (const void *)h;

		if (h->type != NT_EV_CT || !(c->have & NT_CT_HAVE_STATE) || c->state == last_ct)
			continue;
		if (nct++ < 8)
			sb_add(b, "%s%s", nct == 1 ? " | ct " : " \xe2\x86\x92 ", nt_ct_state_name(c->state));
		last_ct = c->state;
	}
	sb_add(b, " | path");
	path0 = b->len;
	FOREACH_REC(p, h) {
		const char *name;

		if (h->type != NT_EV_FUNC && h->type != NT_EV_DROP && h->type != NT_EV_FREE)
			continue;
		name = nt_model_func(m, h->id)->name;
		if (last && !strcmp(last, name))
			continue;
		if (b->len - path0 > PATH_MAX_LEN) {
			sb_add(b, " ...");
			break;
		}
		sb_add(b, "%s%s", last ? " > " : " ", name);
		last = name;
	}
}

/* ---- packets ---- */
/* Every packet block is Ethernet (libpcap, so tcpdump, reads no file whose
 * interfaces have different link types): a capture from the MAC header as
 * it is, one from the network header behind a made-up Ethernet header
 * (addresses 0, EtherType = skb->protocol), which the comment names. */
static void write_version(struct nt_pcap *c, const struct nt_model *m, const struct nt_packet *p,
			  const struct nt_ev_bytes *b, uint32_t vi, uint32_t vn, const char *common)
{
	uint8_t frame[14 + NT_BYTES_MAX];
	const uint8_t *d = b->data;
	uint32_t n = b->caplen, orig = b->origlen, hdr = 0;
	uint16_t et = b->ethertype;
	char comment[NT_PCAPNG_COMMENT_MAX + 1];

	if (b->link == NT_BYTES_MAC && (b->net_off == 14 || b->net_off == 18 || b->net_off == 22)) {
		memcpy(frame, d, n); /* Ethernet, no, one or two VLAN tags */
	} else {
		if (b->link == NT_BYTES_MAC) {
			/* a MAC header that is not Ethernet: from the network header on */
			if (!b->net_off || b->net_off >= n) {
				c->skipped++;
				return;
			}
			d += b->net_off;
			n -= b->net_off;
			orig = orig > b->net_off ? orig - b->net_off : n;
		}
		if (!et && n)
			et = (d[0] >> 4) == 4 ? 0x0800 : (d[0] >> 4) == 6 ? 0x86dd : 0;
		if (!et) {
			c->skipped++; /* no EtherType to put in front of it */
			return;
		}
		memset(frame, 0, 12);
		frame[12] = (uint8_t)(et >> 8);
		frame[13] = (uint8_t)et;
		memcpy(frame + 14, d, n);
		hdr = 14;
		orig += 14;
	}
	n += hdr;
	if (c->headers_only) {
		uint32_t k = headers_len(frame, n, b->link == NT_BYTES_MAC && !hdr ? b->net_off : 14);

		c->cut += k < n;
		n = k;
	}
	snprintf(comment, sizeof(comment), "nft-tracer packet %" PRIu64 " version %u/%u (%s at %s%s)%s",
		 p->id, vi, vn, nt_bytes_why(b->why), nt_model_func(m, b->h.id)->name,
		 hdr ? ", from the network header: Ethernet header made up" : "", common);
	nt_pcapng_epb(&c->pw, iface_id(c, m, b->netns, b->ifindex), c->wall_off + b->h.ts_ns, frame, n,
		      orig, comment);
	c->versions++;
}

void nt_pcap_start(struct nt_pcap *c, const struct nt_model *m)
{
	char os[300], app[300];
	const char *k = nt_model_header_str(m, "kernel"), *host = nt_model_header_str(m, "hostname");

	if (c->started)
		return;
	c->started = 1;
	snprintf(os, sizeof(os), "Linux %s", k ? k : "?");
	snprintf(app, sizeof(app), "nft-analyze %s pcap (nft-tracer log of %s)", NT_VERSION, host ? host : "?");
	nt_pcapng_shb(&c->pw, nt_model_header_str(m, "machine"), os, app);
	c->have_clock = nt_model_wall_offset(m, &c->wall_off);
}

int nt_pcap_packet(struct nt_pcap *c, const struct nt_model *m, const struct nt_packet *p)
{
	const struct nt_ev_hdr *h;
	uint32_t vn = 0, vi = 0;
	char common[NT_PCAPNG_COMMENT_MAX + 1];
	struct sb sb = { common, 0, sizeof(common) };

	FOREACH_REC(p, h)
		vn += h->type == NT_EV_BYTES;
	if (!vn)
		return 0;
	nt_pcap_start(c, m);
	common[0] = 0;
	packet_comment(&sb, m, p);
	FOREACH_REC(p, h)
		if (h->type == NT_EV_BYTES)
			write_version(c, m, p, (const void *)h, ++vi, vn, common);
	c->packets++;
	return (int)vn;
}

void nt_pcap_init(struct nt_pcap *c, FILE *f, int headers_only)
{
	memset(c, 0, sizeof(*c));
	c->headers_only = headers_only;
	nt_pcapng_init(&c->pw, f);
}

void nt_pcap_free(struct nt_pcap *c)
{
	free(c->ifs);
	c->ifs = NULL;
}

