// SPDX-License-Identifier: GPL-2.0
/* linger.c - packets that wait for a clone no probe saw (model_int.h: a
 * packet whose last skb was freed with NT_F_SHARED lingers LINGER_NS). */
#include <stdlib.h>

#include "model/model_int.h"

static void linger_done(struct nt_model *m, struct nt_packet *p)
{
	p->lingering = 0;
	model_pkt_complete(m, p, 0);
	model_pkt_release(m, p->slot);
}

/* P's last skb ended by a free with NT_F_SHARED at m->linger_ts: P waits for
 * a clone of it.  0: not possible (P completes now). */
int model_linger_start(struct nt_model *m, struct nt_packet *p)
{
	struct linger *l;

	if (!p->id)
		return 0;
	if (!m->linger && !(m->linger = calloc(LINGER_MAX, sizeof(*m->linger))))
		return 0;
	if (m->linger_n == LINGER_MAX) { /* full: the oldest completes early */
		l = &m->linger[m->linger_head];
		m->linger_head = (m->linger_head + 1) % LINGER_MAX;
		m->linger_n--;
		if (m->pool[l->slot].in_use && m->pool[l->slot].id == l->id && m->pool[l->slot].lingering)
			linger_done(m, &m->pool[l->slot]);
	}
	l = &m->linger[(m->linger_head + m->linger_n++) % LINGER_MAX];
	l->slot = p->slot;
	l->id = p->id;
	l->until = m->linger_ts + LINGER_NS;
	p->lingering = 1;
	return 1;
}

/* Complete the packets that lingered until before NOW (every one: NOW 0). */
void model_linger_expire(struct nt_model *m, uint64_t now)
{
	while (m->linger_n) {
		struct linger *l = &m->linger[m->linger_head];
		struct nt_packet *p = &m->pool[l->slot];

		if (now && l->until > now)
			break;
		m->linger_head = (m->linger_head + 1) % LINGER_MAX;
		m->linger_n--;
		if (p->in_use && p->id == l->id && p->lingering && !p->live_skbs)
			linger_done(m, p);
	}
}

/* The lingering packet that skb address SKB (freed) ended, or NULL. */
struct nt_packet *model_linger_find(struct nt_model *m, uint64_t skb, uint64_t ts)
{
	uint32_t *v = map_find(&m->freed_map, skb);
	const struct freed *f;
	struct nt_packet *p;

	if (!v || !m->freed)
		return NULL;
	f = &m->freed[*v];
	if (f->skb != skb || ts < f->ts || ts - f->ts > LINGER_NS || f->slot >= m->pool_len)
		return NULL;
	p = &m->pool[f->slot];
	return p->in_use && p->id == f->id && p->lingering ? p : NULL;
}

