// SPDX-License-Identifier: GPL-2.0
/* select.c - analysis selection (select.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "model/select.h"
#include "model/output.h"

void nt_select_init(struct nt_select *f)
{
	memset(f, 0, sizeof(*f));
	f->port = f->sport = f->dport = -1;
	f->proto = -1;
	f->since = 0;
	f->until = -1;
}

int nt_select_set_verdict(struct nt_select *f, const char *s)
{
	static const struct { const char *n; int32_t v; } tab[] = {
		{ "accept", NT_V_ACCEPT }, { "drop", NT_V_DROP }, { "stolen", NT_V_STOLEN },
		{ "queue", NT_V_QUEUE }, { "repeat", NT_V_REPEAT }, { "stop", NT_V_STOP },
		{ "none", NT_V_NONE },
	};

	for (unsigned i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (!strcasecmp(s, tab[i].n)) {
			f->has_verdict = 1;
			f->verdict = tab[i].v;
			return 0;
		}
	return -EINVAL;
}

int nt_select_set_fate(struct nt_select *f, const char *s)
{
	static const int fates[] = { NT_FATE_DELIVERED, NT_FATE_DROPPED, NT_FATE_FORWARDED,
				     NT_FATE_CONSUMED, NT_FATE_UNKNOWN };

	for (unsigned i = 0; i < sizeof(fates) / sizeof(fates[0]); i++)
		if (!strcasecmp(s, nt_fate_name(fates[i]))) {
			f->has_fate = 1;
			f->fate = fates[i];
			return 0;
		}
	return -EINVAL;
}

int nt_select_set_addr(uint8_t *addr, uint8_t *l3, const char *s)
{
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, s, addr) == 1) {
		*l3 = NT_L3_IPV4;
		return 0;
	}
	if (inet_pton(AF_INET6, s, addr) == 1) {
		*l3 = NT_L3_IPV6;
		return 0;
	}
	return -EINVAL;
}

int nt_select_set_proto(struct nt_select *f, const char *s)
{
	static const struct { const char *n; int p; } tab[] = {
		{ "tcp", 6 }, { "udp", 17 }, { "icmp", 1 }, { "icmpv6", 58 }, { "icmp6", 58 },
		{ "ipv6-icmp", 58 }, { "sctp", 132 }, { "gre", 47 }, { "udplite", 136 }, { "esp", 50 },
		{ "ah", 51 }, { "igmp", 2 },
	};
	char *end;
	long v;

	for (unsigned i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (!strcasecmp(s, tab[i].n)) {
			f->proto = tab[i].p;
			return 0;
		}
	v = strtol(s, &end, 10);
	if (*s && !*end && v >= 0 && v <= 255) {
		f->proto = (int)v;
		return 0;
	}
	return -EINVAL;
}

int nt_select_packet_level(const struct nt_select *f)
{
	return f->packet || f->has_verdict || f->has_fate || f->func || f->has_host || f->has_src || f->has_dst ||
	       f->port >= 0 || f->sport >= 0 || f->dport >= 0 || f->proto >= 0 || f->pred;
}

static int addr_eq(const uint8_t *a, uint8_t al3, const uint8_t *pkt, uint8_t pl3)
{
	if (al3 != pl3)
		return 0;
	return !memcmp(a, pkt, al3 == NT_L3_IPV4 ? 4 : 16);
}

static int meta_match(const struct nt_select *f, const struct nt_ev_meta *mm)
{
	int icmp;

	if (f->proto >= 0 && mm->l4proto != f->proto)
		return 0;
	if (f->has_host && !addr_eq(f->host, f->host_l3, mm->saddr, mm->l3) &&
	    !addr_eq(f->host, f->host_l3, mm->daddr, mm->l3))
		return 0;
	if (f->has_src && !addr_eq(f->src, f->src_l3, mm->saddr, mm->l3))
		return 0;
	if (f->has_dst && !addr_eq(f->dst, f->dst_l3, mm->daddr, mm->l3))
		return 0;
	icmp = mm->l4proto == 1 || mm->l4proto == 58;
	if ((f->port >= 0 || f->sport >= 0 || f->dport >= 0) && icmp)
		return 0;
	if (f->port >= 0 && mm->sport != f->port && mm->dport != f->port)
		return 0;
	if (f->sport >= 0 && mm->sport != f->sport)
		return 0;
	if (f->dport >= 0 && mm->dport != f->dport)
		return 0;
	return 1;
}

int nt_select_match_packet(const struct nt_select *f, const struct nt_model *m,
			   const struct nt_packet *p)
{
	(void)m;
	if (f->packet && p->id != f->packet)
		return 0;
	if (f->has_verdict && p->verdict != f->verdict)
		return 0;
	if (f->has_fate && p->fate != f->fate)
		return 0;
	if (f->pred && !f->pred(f->pred_ctx, m, p))
		return 0;
	if (!f->has_host && !f->has_src && !f->has_dst && f->port < 0 && f->sport < 0 &&
	    f->dport < 0 && f->proto < 0)
		return 1;
	if (!p->has_meta)
		return 0;
	/* before or after NAT: a client's packet matches its address on both sides */
	return meta_match(f, &p->meta) || meta_match(f, &p->last_meta);
}

int nt_select_record_func(const struct nt_select *f, const struct nt_model *m,
			  const struct nt_ev_hdr *h)
{
	const char *name, *colon;

	if (h->type != NT_EV_FUNC && h->type != NT_EV_DROP && h->type != NT_EV_FREE)
		return 0;
	name = nt_model_func(m, h->id)->name;
	if (!strcmp(name, f->func))
		return 1;
	/* a tracepoint "cat:name" is also found by its name alone */
	colon = strchr(name, ':');
	return colon && !strchr(f->func, ':') && !strcmp(colon + 1, f->func);
}

int nt_select_packet_has_func(const struct nt_select *f, const struct nt_model *m,
			      const struct nt_packet *p)
{
	size_t off = 0;

	if (!f->func)
		return 1;
	while (off + sizeof(struct nt_ev_hdr) <= p->ev_len) {
		const struct nt_ev_hdr *h = (const void *)(p->ev + off);

		if (nt_select_record_func(f, m, h))
			return 1;
		off += nt_ev_len(h);
	}
	return 0;
}

void nt_select_set_start(struct nt_select *f, uint64_t start_ns)
{
	f->window = f->since > 0 || f->until >= 0;
	f->since_ns = start_ns + (uint64_t)(f->since * 1e9);
	f->until_ns = f->until >= 0 ? start_ns + (uint64_t)(f->until * 1e9) : UINT64_MAX;
}
