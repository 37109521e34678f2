// SPDX-License-Identifier: GPL-2.0
/* ctconn.c - conntrack state of each connection across its packets (model.h
 * nt_model_ct_history): a packet's CT records say new / established ...; the
 * connection they belong to (the nf_conn address, or the conntrack id of a
 * trace message) keeps the states in the order its packets showed them, with
 * the packet that first showed each.  Bounded: at most --max-ct-conns
 * connections (common/limits.h ct_conns; CT records of more are not followed,
 * counted in the limit), HIST states each. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/detail.h"
#include "model/model_int.h"

#define HIST 6

struct ctconn {
	uint8_t n, state[HIST];
	uint64_t pkt[HIST];
};

struct nt_ctconns {
	struct ctconn *v;
	uint32_t n, cap;
	struct u64map map;           /* key -> index */
};

static uint64_t ct_key(const struct nt_ev_ct *c)
{
	if (c->have & NT_CT_HAVE_ADDR)
		return c->ct_addr;
	if (c->have & NT_CT_HAVE_ID)
		return (uint64_t)c->ct_id | 1ull << 63;
	return 0;
}

void ctconn_free(struct nt_model *m)
{
	if (!m->ctc)
		return;
	free(m->ctc->v);
	map_free(&m->ctc->map);
	free(m->ctc);
	m->ctc = NULL;
}

void ctconn_note(struct nt_model *m, const struct nt_packet *p, const struct nt_ev_ct *c)
{
	uint64_t key = ct_key(c);
	struct ctconn *e;
	uint32_t *v;

	if (!key || !(c->have & NT_CT_HAVE_STATE) || c->state == NT_CT_STATE_NONE)
		return;
	if (!m->ctc) {
		m->ctc = calloc(1, sizeof(*m->ctc));
		if (!m->ctc || map_init(&m->ctc->map, 256)) {
			free(m->ctc);
			m->ctc = NULL;
			m->oom = 1; /* exit 1, never a partial result (issue #16) */
			return;
		}
	}
	v = map_find(&m->ctc->map, key);
	if (!v) {
		uint64_t max = m->lim.max[NT_LIM_CT_CONNS];

		if (m->ctc->n >= max) {
			m->t.ct_untracked++; /* past the bound: counted */
			nt_limit_hit(&m->lim, NT_LIM_CT_CONNS, 1);
			return;
		}
		if (m->ctc->n == m->ctc->cap) {
			uint32_t cap = m->ctc->cap ? m->ctc->cap * 2 : 256;
			struct ctconn *n;

			if (cap > max)
				cap = (uint32_t)max;
			if (m->ctc->cap >= 1u << 31 || !(n = realloc(m->ctc->v, (size_t)cap * sizeof(*n)))) {
				m->oom = 1;
				return;
			}
			m->ctc->v = n;
			m->ctc->cap = cap;
		}
		if (map_put(&m->ctc->map, key, m->ctc->n)) {
			m->oom = 1;
			return;
		}
		v = map_find(&m->ctc->map, key);
		memset(&m->ctc->v[m->ctc->n++], 0, sizeof(struct ctconn));
	}
	e = &m->ctc->v[*v];
	/* a new connection in the same nf_conn (freed and reused): start over */
	if (c->state == NT_CT_STATE_NEW && e->n && e->state[e->n - 1] != NT_CT_STATE_NEW)
		e->n = 0;
	if (e->n && e->state[e->n - 1] == c->state)
		return;
	if (e->n == HIST) {
		memmove(e->state + 1, e->state + 2, HIST - 2);
		memmove(e->pkt + 1, e->pkt + 2, (HIST - 2) * sizeof(e->pkt[0]));
		e->n--;
	}
	e->state[e->n] = c->state;
	e->pkt[e->n++] = p ? p->id : 0;
}

int nt_model_ct_history(const struct nt_model *m, const struct nt_ev_ct *c, uint8_t *states,
			uint64_t *packets, int max)
{
	const uint32_t *v;
	const struct ctconn *e;
	int n;

	if (!m->ctc || !(v = map_find(&m->ctc->map, ct_key(c))))
		return 0;
	e = &m->ctc->v[*v];
	n = e->n < max ? e->n : max;
	memcpy(states, e->state, (size_t)n);
	memcpy(packets, e->pkt, (size_t)n * sizeof(*packets));
	return n;
}
