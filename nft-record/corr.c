// SPDX-License-Identifier: GPL-2.0
/* corr.c - nftrace message -> NT_EV_NFT_RULE with the skb of its packet
 * (method: corr.h).  No allocation after nt_corr_new(). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/hash.h"
#include "nft-record/corr_int.h"

/* ---- runs ------------------------------------------------------------------------------- */

static void run_unref(struct nt_corr *c, uint32_t r)
{
	struct run *x = &c->runs[r];

	if (!r || --x->refs)
		return;
	x->state = R_FREE;
	x->pnext = c->free_run;
	c->free_run = r;
}

static void pend_unlink(struct nt_corr *c, uint32_t r)
{
	struct run *x = &c->runs[r];

	if (x->pprev)
		c->runs[x->pprev].pnext = x->pnext;
	else
		c->pend_head = x->pnext;
	if (x->pnext)
		c->runs[x->pnext].pprev = x->pprev;
	else
		c->pend_tail = x->pprev;
	x->pprev = x->pnext = 0;
}

static void pend_append(struct nt_corr *c, uint32_t r)
{
	struct run *x = &c->runs[r];

	x->pnext = 0;
	x->pprev = c->pend_tail;
	if (c->pend_tail)
		c->runs[c->pend_tail].pnext = r;
	else
		c->pend_head = r;
	c->pend_tail = r;
	x->refs++;
}

static struct lane *lane_of(struct nt_corr *c, uint16_t cpu)
{
	return &c->lanes[cpu == 0xffff ? NLANES - 1 : (cpu & 1023)];
}

static void lane_pop_to(struct nt_corr *c, struct lane *l, uint32_t n)
{
	while (l->n > n)
		run_unref(c, l->run[--l->n]);
}

static void lane_push(struct nt_corr *c, struct lane *l, uint32_t r)
{
	if (l->n == LANE_DEPTH) {
		/* deeper than any real nesting: the oldest never ended */
		run_unref(c, l->run[0]);
		memmove(l->run, l->run + 1, (LANE_DEPTH - 1) * sizeof(l->run[0]));
		l->n--;
	}
	l->run[l->n++] = r;
	c->runs[r].refs++;
}

static void run_match(struct nt_corr *c, uint32_t r, uint32_t i, int late)
{
	struct run *x = &c->runs[r];
	struct ent *e = &c->ents[i];
	struct hint *h;
	uint64_t hk = ((uint64_t)x->netns << 32 | x->trace_id) + 1;

	x->state = R_MATCHED;
	x->skb = e->skb;
	x->ent = i;
	x->ent_gen = e->gen;
	corr_ent_consume(e, x->chain);
	h = &c->hints[(x->trace_id ^ x->netns * 2654435761u) & ((1u << HINT_BITS) - 1)];
	h->key = hk;
	h->ent = i;
	h->gen = e->gen;
	if (late)
		c->st.runs_late++;
}

/* A message of a chain of one namespace is never about an skb that is in
 * another one (its device's namespace, where both are known). */
static int other_ns(const struct ent *e, const struct run *x)
{
	return e->netns && x->netns && e->netns != x->netns;
}

/* Keys that other packets may share (NAT-invariant, datagram, L3): a
 * candidate found by one must not have had a run of this chain already. */
static int weak_key(int k)
{
	return k != K_FULL;
}

/* Best incarnation for run R among those with key type K: alive at TS, or
 * (LATER) first seen within the lookahead after TS. */
static uint32_t pick(struct nt_corr *c, const struct run *x, int k, uint64_t ts, int later)
{
	uint64_t key = x->key[k], hk = ((uint64_t)x->netns << 32 | x->trace_id) + 1;
	const struct hint *h = &c->hints[(x->trace_id ^ x->netns * 2654435761u) &
					 ((1u << HINT_BITS) - 1)];
	uint32_t hint = h->key == hk && h->ent && c->ents[h->ent].gen == h->gen ? h->ent : 0;
	uint32_t best = 0;
	int bs = -1;
	uint64_t bfirst = 0, bdist = 0;

	if (!key)
		return 0;
	for (uint32_t i = c->kb[k][corr_kbucket(key)]; i; i = c->ents[i].knext[k]) {
		const struct ent *e = &c->ents[i];
		uint64_t dist;
		int s;

		if (e->key[k] != key || (e->t_end && e->t_end < ts) || other_ns(e, x))
			continue;
		if (later ? e->t_first <= ts || e->t_first > ts + c->lookahead : e->t_first > ts)
			continue;
		s = (e->cpu == x->cpu) << 2 | (i == hint) << 1 | !corr_ent_consumed(e, x->chain);
		if (weak_key(k) && !(s & 1))
			continue;
		dist = ts > e->t_last ? ts - e->t_last : e->t_last - ts;
		if (s > bs || (s == bs && ((s & 1) ? e->t_first < bfirst : dist < bdist))) {
			best = i;
			bs = s;
			bfirst = e->t_first;
			bdist = dist;
		}
	}
	return best;
}

/* The incarnation this trace id pointed to last, when it is alive and of the
 * same datagram (a reassembled datagram, the skb of its last fragment). */
static uint32_t hint_dgram(struct nt_corr *c, const struct run *x)
{
	uint64_t hk = ((uint64_t)x->netns << 32 | x->trace_id) + 1;
	const struct hint *h = &c->hints[(x->trace_id ^ x->netns * 2654435761u) &
					 ((1u << HINT_BITS) - 1)];
	const struct ent *e;

	if (h->key != hk || !h->ent)
		return 0;
	e = &c->ents[h->ent];
	if (!e->used || e->gen != h->gen || e->t_first > x->t_start ||
	    (e->t_end && e->t_end < x->t_start) || !corr_same_dgram(e->fid, x->fid))
		return 0;
	return h->ent;
}

/* Query order of a run's keys. */
static int run_keys(const struct run *x, int order[NKEY])
{
	int n = 0;

	if (x->qmode & Q_V6FRAG) {
		order[n++] = K_FULL;
	} else if (x->qmode & Q_NOL4) {
		order[n++] = K_L3;
	} else {
		order[n++] = K_FULL;
		order[n++] = K_NATA;
		order[n++] = K_NATB;
		order[n++] = K_DGRAM;
		if (x->l3 == NT_L3_IPV4)
			order[n++] = K_L3;
	}
	return n;
}

static void run_resolve(struct nt_corr *c, uint32_t r)
{
	struct run *x = &c->runs[r];
	int order[NKEY], n = run_keys(x, order);
	uint32_t i;

	for (int later = 0; later < 2; later++) {
		for (int j = 0; j < n; j++) {
			i = pick(c, x, order[j], x->t_start, later);
			if (i) {
				run_match(c, r, i, later);
				return;
			}
		}
		if (!later && (i = hint_dgram(c, x))) {
			run_match(c, r, i, 0);
			return;
		}
	}
	if (x->l3 != NT_L3_IPV4 && x->l3 != NT_L3_IPV6) {
		x->state = R_UNMATCHED;
		c->st.runs_unmatched++;
		return;
	}
	/* a locally generated packet is first seen after its output runs */
	x->state = R_PENDING;
	pend_append(c, r);
}

/* A META of incarnation I at TS: pending runs with its key end here. */
static uint64_t pend_check(struct nt_corr *c, uint32_t i, uint64_t ts)
{
	const struct ent *e = &c->ents[i];
	uint32_t r = c->pend_head;
	uint64_t first = UINT64_MAX;

	while (r) {
		struct run *x = &c->runs[r];
		uint32_t next = x->pnext;
		int order[NKEY], n = run_keys(x, order), hit = 0;

		if (x->t_start <= ts && ts <= x->t_start + c->lookahead && !other_ns(e, x))
			for (int j = 0; j < n && !hit; j++)
				hit = x->key[order[j]] && x->key[order[j]] == e->key[order[j]] &&
				      !(weak_key(order[j]) && corr_ent_consumed(e, x->chain));
		if (hit) {
			if (x->t_start < first)
				first = x->t_start;
			pend_unlink(c, r);
			run_match(c, r, i, 1);
			run_unref(c, r);
		}
		r = next;
	}
	return first;
}

/* ---- output ----------------------------------------------------------------------------- */

static int emit_chaindef(struct nt_corr *c, uint64_t key, uint64_t ts, uint16_t cpu,
			 uint32_t netns, uint8_t family, const char *table, const char *chain)
{
	uint64_t *slot = &c->defined[(key >> 3) & ((1u << DEF_BITS) - 1)];
	struct nt_ev_nft_chaindef d;

	if (*slot == key)
		return 0;
	memset(&d, 0, sizeof(d));
	d.h.type = NT_EV_NFT_CHAINDEF;
	d.h.cpu = cpu;
	d.h.ts_ns = ts; /* = the record that needs it: keeps time order */
	d.chain_key = key;
	snprintf(d.table, sizeof(d.table), "%s", table);
	snprintf(d.chain, sizeof(d.chain), "%s", chain);
	d.family = family;
	d.netns = netns;
	d.hook = NT_HOOK_NONE;
	d.policy = 1;
	if (c->o.chain)
		c->o.chain(c->o.ctx, netns, family, table, chain, &d);
	*slot = key;
	return c->o.emit(c->o.ctx, &d, sizeof(d));
}

static int q_emit(struct nt_corr *c, const struct qmsg *q)
{
	const struct run *x = q->run ? &c->runs[q->run] : NULL;
	uint64_t skb = x && x->state == R_MATCHED ? x->skb : 0;
	struct nt_ev_nft_rule r;

	if (!skb && c->o.drop_unmatched) {
		/* with a capture filter: most likely a packet BPF left out */
		if (!c->o.left_out || (x && x->out))
			c->st.filtered++;
		else
			c->st.unmatched++;
		return 0;
	}
	memset(&r, 0, sizeof(r));
	r.h.type = NT_EV_NFT_RULE;
	r.h.flags = NT_F_SYNTH | (skb ? 0 : NT_F_UNCORRELATED);
	r.h.cpu = q->cpu;
	r.h.ts_ns = q->ts;
	r.h.skb = skb;
	r.chain_key = q->chain_key;
	r.rule_handle = q->rule_handle;
	r.target_key = q->target_key;
	r.verdict = q->verdict;
	r.trace_id = q->id;
	r.kind = q->kind;
	r.depth = q->depth;
	r.family = q->family;
	r.hook = q->hook;
	c->st.rules++;
	if (skb)
		c->st.correlated++;
	else
		c->st.uncorrelated++;
	return c->o.emit(c->o.ctx, &r, sizeof(r));
}

/* Write the held messages whose run is resolved, in order. */
static int drain(struct nt_corr *c)
{
	while (c->qlen) {
		struct qmsg *q = &c->q[c->qhead];
		int err;

		if (q->run && c->runs[q->run].state == R_PENDING)
			break;
		err = q_emit(c, q);
		run_unref(c, q->run);
		c->qhead = (c->qhead + 1) % QUEUE_LEN;
		c->qlen--;
		if (err)
			return err;
	}
	return 0;
}

/* Emit the deferred FREE of SKB, placed before FIRST (the first step of the
 * packet that reuses the address) when that is earlier.  0 or emit error. */
static int defer_emit(struct nt_corr *c, uint64_t skb, uint64_t first)
{
	for (int j = 0; j < NDEFER && c->ndefer; j++) {
		struct defer *d = &c->defer[j];

		if (!d->used || (skb && d->f.h.skb != skb))
			continue;
		if (first != UINT64_MAX && first && first - 1 < d->f.h.ts_ns)
			d->f.h.ts_ns = first - 1;
		d->used = 0;
		c->ndefer--;
		return c->o.emit(c->o.ctx, &d->f, sizeof(d->f));
	}
	return 0;
}

static int defer_put(struct nt_corr *c, const struct nt_ev_free *f)
{
	int err;

	for (int j = 0; j < NDEFER; j++)
		if (!c->defer[j].used) {
			c->defer[j].f = *f;
			c->defer[j].used = 1;
			c->ndefer++;
			return 0;
		}
	/* full (METAs lost): the oldest goes as it is */
	err = defer_emit(c, 0, UINT64_MAX);
	return err ? err : defer_put(c, f);
}

/* Give up on the oldest pending run (queue or run pool full). */
static void pend_expire_oldest(struct nt_corr *c)
{
	uint32_t r = c->pend_head;

	if (!r)
		return;
	pend_unlink(c, r);
	c->runs[r].state = R_UNMATCHED;
	c->st.runs_unmatched++;
	run_unref(c, r);
}

/* ---- API -------------------------------------------------------------------------------- */

int nt_corr_new(const struct nt_corr_opts *o, struct nt_corr **out)
{
	struct nt_corr *c = calloc(1, sizeof(*c));
	uint32_t n;

	if (!c)
		return -ENOMEM;
	c->o = *o;
	c->lookahead = o->lookahead_ns ? o->lookahead_ns : NT_CORR_LOOKAHEAD_NS;
	n = o->max_skbs ? o->max_skbs : DEF_MAX_SKBS;
	c->ents = calloc(n + 1, sizeof(*c->ents));
	c->runs = calloc(RUNS_MAX, sizeof(*c->runs));
	c->lanes = calloc(NLANES, sizeof(*c->lanes));
	c->q = malloc(QUEUE_LEN * sizeof(*c->q));
	if (!c->ents || !c->runs || !c->lanes || !c->q) {
		nt_corr_free(c);
		return -ENOMEM;
	}
	c->nents = n;
	for (uint32_t i = n; i >= 1; i--) {
		c->ents[i].lnext = c->free_ent;
		c->free_ent = i;
	}
	for (uint32_t r = RUNS_MAX - 1; r >= 1; r--) {
		c->runs[r].pnext = c->free_run;
		c->free_run = r;
	}
	c->debug = getenv("NT_DEBUG_CORR") != NULL;
	*out = c;
	return 0;
}

void nt_corr_free(struct nt_corr *c)
{
	if (!c)
		return;
	free(c->ents);
	free(c->runs);
	free(c->lanes);
	free(c->q);
	free(c);
}

int nt_corr_event(struct nt_corr *c, const void *rec, size_t len)
{
	const struct nt_ev_hdr *h = rec;
	uint32_t i;

	if (len < sizeof(*h) || !h->skb)
		return 0;
	/* the next record of an address whose inferred FREE waits: not the
	 * first sight of a packet with early steps, the FREE goes as it is */
	if (c->ndefer && h->type != NT_EV_META && !(h->type == NT_EV_FREE && (h->flags & NT_F_INFERRED))) {
		int e = defer_emit(c, h->skb, UINT64_MAX);

		if (e)
			return e;
	}
	switch (h->type) {
	case NT_EV_META: {
		const struct nt_ev_meta *m = rec;
		uint64_t key[NKEY], first;
		struct pkt p;
		int e;

		if (len < sizeof(*m))
			return 0;
		i = corr_ent_find(c, h->skb);
		if (!i || c->ents[i].t_end)
			i = corr_ent_new(c, h->skb, h->ts_ns, h->cpu);
		else
			corr_ent_touch(c, i, h->ts_ns, h->cpu);
		corr_meta_pkt(m, &p);
		corr_pkt_keys(&p, key);
		corr_keys_set(c, i, key);
		corr_pkt_fid(&p, c->ents[i].fid);
		c->ents[i].l3 = m->l3;
		if (m->netns)
			c->ents[i].netns = m->netns;
		if (c->debug)
			fprintf(stderr, "corr: meta %llx ts %llu cpu %u l3 %u p %u %u>%u ipid %u x %08x frag %x csum %04x\n",
				(unsigned long long)h->skb, (unsigned long long)h->ts_ns, h->cpu, m->l3,
				m->l4proto, m->sport, m->dport, m->ip_id, m->l4_extra, m->frag,
				m->l4_csum);
		first = c->pend_head && key[K_FULL] ? pend_check(c, i, h->ts_ns) : UINT64_MAX;
		if ((e = defer_emit(c, h->skb, first)))
			return e;
		if (first != UINT64_MAX)
			return drain(c);
		break;
	}
	case NT_EV_LINK: {
		const struct nt_ev_link *l = rec;
		uint32_t p;

		if (len < sizeof(*l))
			return 0;
		p = corr_ent_find(c, l->parent);
		i = corr_ent_new(c, h->skb, h->ts_ns, h->cpu);
		if (p && p != i) {
			corr_keys_set(c, i, c->ents[p].key);
			memcpy(c->ents[i].fid, c->ents[p].fid, sizeof(c->ents[i].fid));
			c->ents[i].l3 = c->ents[p].l3;
			c->ents[i].netns = c->ents[p].netns;
		}
		break;
	}
	case NT_EV_FREE:
		if ((h->flags & NT_F_INFERRED) && len == sizeof(struct nt_ev_free) &&
		    c->o.defer_inferred) {
			int e = defer_put(c, rec);

			if (e)
				return e;
		}
		/* fall through */
	case NT_EV_DROP:
		i = corr_ent_find(c, h->skb);
		if (i && !c->ents[i].t_end) {
			corr_ent_touch(c, i, h->ts_ns, h->cpu);
			c->ents[i].t_end = h->ts_ns;
		}
		break;
	case NT_EV_DEV:
		i = corr_ent_find(c, h->skb);
		if (i && !c->ents[i].t_end && len >= sizeof(struct nt_ev_dev) &&
		    ((const struct nt_ev_dev *)rec)->netns)
			c->ents[i].netns = ((const struct nt_ev_dev *)rec)->netns;
		/* fall through */
	case NT_EV_FUNC:
	case NT_EV_NFT_CHAIN:
	case NT_EV_NFT_RULE:
		i = corr_ent_find(c, h->skb);
		if (i && !c->ents[i].t_end)
			corr_ent_touch(c, i, h->ts_ns, h->cpu);
		break;
	default:
		break;
	}
	return 0;
}

static int is_own(const char *table)
{
	return !strncmp(table, OWN_PREFIX, sizeof(OWN_PREFIX) - 1);
}

static int chain_info(struct nt_corr *c, const struct nt_trace_msg *m, const char *chain,
		      struct nt_ev_nft_chaindef *d)
{
	memset(d, 0, sizeof(*d));
	d->hook = NT_HOOK_NONE;
	return c->o.chain ? c->o.chain(c->o.ctx, m->netns, m->family, m->table, chain, d) : -1;
}

/* Hook of the base chain a run starts in. */
static uint8_t run_hook(struct nt_corr *c, const struct nt_trace_msg *m, int own)
{
	static const char *const hooks[] = { "prerouting", "input", "forward", "output",
					     "postrouting" };
	struct nt_ev_nft_chaindef d;

	if (own) { /* the recorders' tables: one base chain per hook, named after it */
		for (size_t i = 0; i < sizeof(hooks) / sizeof(hooks[0]); i++)
			if (!strcmp(m->chain, hooks[i]))
				return (uint8_t)i;
		return NT_HOOK_NONE;
	}
	if (!chain_info(c, m, m->chain, &d) && d.base)
		return d.hook;
	return NT_HOOK_NONE;
}

static uint32_t run_new(struct nt_corr *c, const struct nt_trace_msg *m, int own)
{
	struct run *x;
	struct pkt p;
	uint64_t ck;
	uint32_t r;

	if (!c->free_run) {
		c->st.queue_full++;
		pend_expire_oldest(c);
		drain(c);
		if (!c->free_run)
			return 0;
	}
	r = c->free_run;
	x = &c->runs[r];
	c->free_run = x->pnext;
	memset(x, 0, sizeof(*x));
	x->t_start = m->ts_ns;
	x->cpu = m->cpu;
	x->netns = m->netns;
	x->trace_id = m->id;
	x->own = own;
	x->hook = run_hook(c, m, own);
	ck = nt_chain_key(m->netns, m->family, m->table, m->chain);
	x->chain = (uint32_t)(ck ^ ck >> 32) | 1;
	x->l3 = m->l3;
	if (m->flags & NT_TRACE_V6FRAG)
		x->qmode |= Q_V6FRAG;
	else if (m->flags & NT_TRACE_NO_L4)
		x->qmode |= Q_NOL4;
	corr_msg_pkt(m, &p);
	corr_pkt_keys(&p, x->key);
	corr_pkt_fid(&p, x->fid);
	if (c->o.left_out && (m->flags & NT_TRACE_HAS_PKT))
		x->out = !!c->o.left_out(c->o.left_out_ctx, m);
	return r;
}

static int terminal(const struct nt_trace_msg *m)
{
	if (m->type == NT_RULE_KIND_POLICY)
		return 1;
	return m->type == NT_RULE_KIND_RULE && m->verdict >= 0; /* accept, drop, stolen, queue ... */
}

int nt_corr_msg(struct nt_corr *c, const struct nt_trace_msg *m)
{
	struct lane *l = lane_of(c, m->cpu);
	int own = is_own(m->table), kind = m->type;
	uint32_t r = 0;
	struct run *x;
	struct qmsg *q;
	int err;

	c->st.msgs++;
	if (m->flags & NT_TRACE_FIRST) {
		/* a new chain run; an open run of the same packet on this CPU
		 * ended without a terminal message we saw */
		for (uint32_t j = l->n; j-- > 0;) {
			const struct run *o = &c->runs[l->run[j]];

			if (o->netns == m->netns && o->trace_id == m->id) {
				lane_pop_to(c, l, j);
				break;
			}
		}
		r = run_new(c, m, own);
		if (r) {
			c->st.runs++;
			lane_push(c, l, r);
			run_resolve(c, r);
			if (c->debug)
				fprintf(stderr, "corr: run %s/%s id %08x ts %llu cpu %u l3 %u p %u %u>%u ipid %u x %08x frag %x csum %04x -> %s %llx\n",
					m->table, m->chain, m->id, (unsigned long long)m->ts_ns, m->cpu,
					m->l3, m->l4proto, m->sport, m->dport, m->ip_id, m->l4_extra,
					m->frag, m->l4_csum,
					c->runs[r].state == R_MATCHED ? "skb" :
					c->runs[r].state == R_PENDING ? "pending" : "none",
					(unsigned long long)c->runs[r].skb);
		}
	} else {
		for (uint32_t j = l->n; j-- > 0;) {
			const struct run *o = &c->runs[l->run[j]];

			if (o->netns == m->netns && o->trace_id == m->id) {
				r = l->run[j];
				break;
			}
		}
		if (!r)
			c->st.orphans++;
	}
	x = r ? &c->runs[r] : NULL;
	if (own) {
		c->st.own++;
		goto done;
	}
	/*
	 * A RULE message without a rule handle is the kernel's "end of the
	 * chain reached" (the rule blob's last-rule marker).  In a regular chain
	 * it is the implicit return (recorded as kind return); in a base chain
	 * the policy message that follows says everything (not recorded).  nft
	 * monitor trace prints neither.
	 */
	if (m->type == NT_RULE_KIND_RULE && !m->rule_handle) {
		struct nt_ev_nft_chaindef d;

		if (!chain_info(c, m, m->chain, &d) && d.base)
			goto done;
		kind = NT_RULE_KIND_RETURN;
	}
	if (c->qlen == QUEUE_LEN) {
		c->st.queue_full++;
		pend_expire_oldest(c);
		if ((err = drain(c)))
			return err;
		while (c->qlen == QUEUE_LEN) {
			pend_expire_oldest(c);
			if ((err = drain(c)))
				return err;
		}
	}
	q = &c->q[(c->qhead + c->qlen) % QUEUE_LEN];
	memset(q, 0, sizeof(*q));
	q->ts = m->ts_ns;
	q->cpu = m->cpu;
	q->chain_key = nt_chain_key(m->netns, m->family, m->table, m->chain);
	q->rule_handle = m->rule_handle;
	q->verdict = m->verdict;
	q->id = m->id;
	q->kind = (uint8_t)kind;
	q->family = (uint8_t)m->family;
	q->depth = x ? x->depth : 0;
	q->hook = x ? x->hook : NT_HOOK_NONE;
	q->run = r;
	if (r)
		x->refs++;
	err = emit_chaindef(c, q->chain_key, m->ts_ns, m->cpu, m->netns, m->family, m->table,
			    m->chain);
	if (!err && m->target[0]) {
		q->target_key = nt_chain_key(m->netns, m->family, m->table, m->target);
		err = emit_chaindef(c, q->target_key, m->ts_ns, m->cpu, m->netns, m->family,
				    m->table, m->target);
	}
	c->qlen++;
	if (err)
		return err;
done:
	if (x) {
		/* jump stack depth for the next message of this run */
		if (kind == NT_RULE_KIND_RULE && m->verdict == NT_V_JUMP)
			x->depth++;
		else if ((kind == NT_RULE_KIND_RETURN ||
			  (kind == NT_RULE_KIND_RULE && m->verdict == NT_V_RETURN)) && x->depth)
			x->depth--;
		if (terminal(m)) {
			for (uint32_t j = l->n; j-- > 0;)
				if (l->run[j] == r) {
					lane_pop_to(c, l, j);
					break;
				}
		}
	}
	return drain(c);
}

int nt_corr_advance(struct nt_corr *c, uint64_t progress_ns)
{
	int err;

	if (progress_ns > c->progress)
		c->progress = progress_ns;
	/* a deferred FREE whose META never came (filtered out, lost) */
	for (int j = 0; j < NDEFER && c->ndefer; j++)
		if (c->defer[j].used && c->defer[j].f.h.ts_ns + c->lookahead < c->progress &&
		    (err = defer_emit(c, c->defer[j].f.h.skb, UINT64_MAX)))
			return err;
	while (c->pend_head && c->runs[c->pend_head].t_start + c->lookahead < c->progress)
		pend_expire_oldest(c);
	/* ended incarnations no message can name any more */
	while (c->lru_head) {
		const struct ent *e = &c->ents[c->lru_head];

		if (e->t_last + PURGE_NS >= c->progress)
			break;
		corr_ent_release(c, c->lru_head);
	}
	return drain(c);
}

int nt_corr_finish(struct nt_corr *c)
{
	int err;

	while (c->pend_head)
		pend_expire_oldest(c);
	while (c->ndefer)
		if ((err = defer_emit(c, 0, UINT64_MAX)))
			return err;
	return drain(c);
}

uint64_t nt_corr_hold(const struct nt_corr *c)
{
	uint64_t t = c->qlen ? c->q[c->qhead].ts : UINT64_MAX;

	for (int j = 0; j < NDEFER && c->ndefer; j++)
		if (c->defer[j].used && c->defer[j].f.h.ts_ns < t)
			t = c->defer[j].f.h.ts_ns;
	return t;
}

void nt_corr_forget_chains(struct nt_corr *c)
{
	memset(c->defined, 0, sizeof(c->defined));
}

void nt_corr_get_stats(const struct nt_corr *c, struct nt_corr_stats *s)
{
	*s = c->st;
}
