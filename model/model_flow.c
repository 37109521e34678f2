// SPDX-License-Identifier: GPL-2.0
/* model_flow.c - flows (a packet's 5-tuple and its replies, NAT-translated
 * keys) and the keys that group an IP datagram's fragments. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "common/hash.h"
#include "common/sat.h"
#include "formats/ntlog.h"
#include "model/model_int.h"
#include "model/model_ops.h"

/* ---- flows: a packet's flow, replies tied to it ---- */
uint64_t md_tuple_key(const struct nt_ev_meta *mm, int reverse)
{
	int v6 = mm->l3 == NT_L3_IPV6;
	const uint8_t *a = reverse ? mm->daddr : mm->saddr, *b = reverse ? mm->saddr : mm->daddr;
	uint64_t pa = reverse ? mm->dport : mm->sport, pb = reverse ? mm->sport : mm->dport, h;

	if (mm->l4proto == 1 || mm->l4proto == 58) { /* echo: id both ways */
		unsigned t = mm->sport >> 8;

		if (!(t == 0 || t == 8 || t == 128 || t == 129))
			return 0;
		pa = pb = mm->dport;
	}
	h = mix64(md_addr_fold(a, v6) * 31 + md_addr_fold(b, v6));
	h = mix64(h ^ (pa << 40 | pb << 24 | (uint64_t)mm->l4proto << 8 | mm->l3));
	return h ? h : 1;
}

void md_flow_key_add(struct nt_model *m, uint32_t fi, uint64_t key, int dir)
{
	struct flow *f = &m->flows[fi];

	if (!key || map_find(&m->flow_map, key) || f->nkeys == FLOW_KEYS)
		return;
	if (!map_put(&m->flow_map, key, fi << 1 | (dir & 1)))
		f->keys[f->nkeys++] = key;
}

void md_flow_free(struct nt_model *m, uint32_t fi)
{
	struct flow *f = &m->flows[fi];

	for (uint32_t i = 0; i < f->nkeys; i++) {
		uint32_t *v = map_find(&m->flow_map, f->keys[i]);

		if (v && *v >> 1 == fi)
			map_del(&m->flow_map, f->keys[i]);
	}
	f->first_id = 0;
	f->nkeys = 0;
	f->next_free = m->flow_free;
	m->flow_free = fi + 1;
}

/* The packet's flow from its first META: the flow whose tuple (or a
 * translation of it) it has, or whose reverse it has; else a new flow. */
void md_flow_join(struct nt_model *m, struct nt_packet *p, uint64_t ts)
{
	uint64_t k = md_tuple_key(&p->meta, 0), rk = md_tuple_key(&p->meta, 1);
	uint32_t *v = k ? map_find(&m->flow_map, k) : NULL, fi;

	p->flow_packet = p->id;
	if (!k)
		return;
	if (v) {
		fi = *v >> 1;
		p->reply = *v & 1;
	} else if ((v = map_find(&m->flow_map, rk))) {
		fi = *v >> 1;
		p->reply = !(*v & 1);
	} else {
		if (m->flow_free) {
			fi = m->flow_free - 1;
			m->flow_free = m->flows[fi].next_free;
		} else {
			if (m->nflows == m->flows_cap) {
				uint32_t cap = m->flows_cap ? m->flows_cap * 2 : 256;
				struct flow *n;

				if (cap > (1u << 30))
					return;
				n = realloc(m->flows, cap * sizeof(*n));
				if (!n)
					return;
				m->flows = n;
				m->flows_cap = cap;
			}
			fi = m->nflows++;
		}
		memset(&m->flows[fi], 0, sizeof(m->flows[fi]));
		m->flows[fi].first_id = p->id;
		md_flow_key_add(m, fi, k, 0);
	}
	p->flow_packet = m->flows[fi].first_id;
	m->flows[fi].last_ts = ts;
}

/* A translated tuple of packet P (NAT): replies to it belong to its flow. */
void md_flow_translated(struct nt_model *m, struct nt_packet *p, const struct nt_ev_meta *mm,
			   uint64_t ts)
{
	uint64_t k0 = md_tuple_key(&p->meta, 0), k = md_tuple_key(mm, 0);
	uint32_t *v = k0 ? map_find(&m->flow_map, k0) : NULL;

	if (!v || !k)
		return;
	md_flow_key_add(m, *v >> 1, k, p->reply);
	m->flows[*v >> 1].last_ts = ts;
}

/* ---- fragments: one datagram, one packet ---- */
/* Keys of a META's fragment group: protocol + fragment id + the source, and
 * the same with the destination (NAT changes only one of them).  IPv4
 * datagrams that are not fragments register theirs too (their fragments
 * carry the same id); IPv6 ones have no id before fragmentation. */
int md_frag_keys(const struct nt_ev_meta *mm, uint64_t k[2])
{
	uint32_t id = mm->frag_id;
	int v6 = mm->l3 == NT_L3_IPV6;

	if (mm->l3 == NT_L3_IPV4 && !id)
		id = mm->ip_id;
	if (!id || !md_is_ip(mm) || (v6 && !md_is_frag(mm)))
		return 0;
	for (int d = 0; d < 2; d++) {
		uint64_t h = mix64(md_addr_fold(d ? mm->daddr : mm->saddr, v6) ^
				   ((uint64_t)id << 24 | (uint64_t)mm->l4proto << 16 | mm->l3 << 8 | (d ? 'D' : 'S')));

		k[d] = h ? h : 1;
	}
	return 2;
}

void md_frag_register(struct nt_model *m, struct nt_packet *p, const struct nt_ev_meta *mm)
{
	uint64_t k[2];
	int n = md_frag_keys(mm, k);

	for (int i = 0; i < n; i++) {
		uint32_t *v = map_find(&m->frag_map, k[i]);
		int known = 0;

		if (v && *v == p->slot)
			continue;
		for (uint32_t j = 0; j < p->nfkeys; j++)
			known |= p->fkeys[j] == k[i];
		if (p->nfkeys == sizeof(p->fkeys) / sizeof(p->fkeys[0]) && !known)
			continue;
		if (!map_put(&m->frag_map, k[i], p->slot) && !known)
			p->fkeys[p->nfkeys++] = k[i];
	}
}

/* The open journey of a fragment's datagram, NULL if none. */
struct nt_packet *md_frag_group(struct nt_model *m, const struct nt_ev_meta *mm)
{
	uint64_t k[2];
	int n = md_is_frag(mm) ? md_frag_keys(mm, k) : 0;

	for (int i = 0; i < n; i++) {
		uint32_t *v = map_find(&m->frag_map, k[i]);

		if (v && m->pool[*v].in_use && m->pool[*v].id)
			return &m->pool[*v];
	}
	return NULL;
}
