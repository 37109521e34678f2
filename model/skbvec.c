// SPDX-License-Identifier: GPL-2.0
/* skbvec.c - the skb states of each open packet (model_int.h), so that a
 * packet joining another (a fragment joining its datagram's journey) moves
 * its skbs without a pass over the whole skb map: with 300 k open packets,
 * 20 k fragments that each brought a clone took over a minute (issue #16).
 *
 * A packet's vector holds the index of every skb state attached to it since
 * its vector was last compacted; entries whose state has left (freed, moved,
 * reused for another address) are skipped by checking the state's packet and
 * generation.  When full it is compacted first, so it holds at most about
 * twice the packet's live skbs; past SKV_MAX live entries the packet is
 * marked "over" and a move falls back to one pass over the map (a log needs
 * SKV_MAX records per such pass: linear in the log's size). */
#include <stdlib.h>

#include "model/model_int.h"

#define SKV_MAX 1024u

/* State I is live (in the skb map: a free entry's .pkt links the free
 * list) and attached to P's life. */
static int belongs(struct nt_model *m, const struct nt_packet *p, uint32_t i)
{
	const uint32_t *v;

	if (i >= m->nsk || m->sk[i].pkt != p->slot || m->sk[i].pkt_gen != p->gen)
		return 0;
	v = map_find(&m->skb_map, m->sk[i].skb);
	return v && *v == i;
}

void skv_add(struct nt_model *m, struct nt_packet *p, uint32_t idx)
{
	if (p->skv_over)
		return;
	if (p->nskv == p->skv_cap) {
		uint32_t k = 0, cap;
		uint32_t *n;

		for (uint32_t i = 0; i < p->nskv; i++) /* compact: live entries only, once each */
			if (belongs(m, p, p->skv[i]) && p->skv[i] != idx)
				p->skv[k++] = p->skv[i];
		p->nskv = k;
		if (k >= SKV_MAX) {
			p->skv_over = 1;
			return;
		}
		if (k > p->skv_cap / 2 || !p->skv_cap) {
			cap = p->skv_cap ? p->skv_cap * 2 : 4;
			n = realloc(p->skv, cap * sizeof(*n));
			if (!n) {
				m->oom = 1;
				return;
			}
			p->skv = n;
			p->skv_cap = cap;
		}
	}
	p->skv[p->nskv++] = idx;
}

/* Every live skb state of Q now names P (Q is released by the caller). */
void skv_move(struct nt_model *m, struct nt_packet *p, struct nt_packet *q)
{
	if (q->skv_over) {
		for (uint32_t j = 0; j <= m->skb_map.mask; j++) {
			uint32_t i = m->skb_map.vals[j];

			if (m->skb_map.keys[j] && belongs(m, q, i)) {
				m->sk[i].pkt = p->slot;
				m->sk[i].pkt_gen = p->gen;
				skv_add(m, p, i);
			}
		}
	} else {
		for (uint32_t k = 0; k < q->nskv; k++) {
			uint32_t i = q->skv[k];

			if (belongs(m, q, i)) {
				m->sk[i].pkt = p->slot;
				m->sk[i].pkt_gen = p->gen;
				skv_add(m, p, i);
			}
		}
	}
	q->nskv = 0;
	q->skv_over = 0;
}
