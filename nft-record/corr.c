// SPDX-License-Identifier: GPL-2.0
/* corr.c - nftrace message -> NT_EV_NFT_RULE with skb id (see corr.h). */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/hash.h"
#include "nft-record/corr.h"

#define SIG_BITS 15               /* buckets of the packet key index */
#define SIG_WAYS 4
#define TID_BITS 12               /* trace id states */
#define DEF_BITS 12               /* defined chain keys */
#define QUEUE_LEN 32768           /* pending trace messages, at most */
#define QUEUE_INIT 1024           /* initial ring size; doubles up to QUEUE_LEN when full */
#define MATCH_WINDOW_NS (2ull * 1000 * 1000 * 1000)

struct sig_ent {
	uint64_t key, skb, ts;
};

struct tid_ent {
	uint64_t key;   /* ns_index << 32 | trace id, + 1 (0 = empty) */
	uint64_t skb;
	uint64_t ts;
	uint8_t depth, hook, used;
	uint8_t out;    /* the run's packet was left out by the capture filter */
};

/*
 * A queued trace message: struct nt_trace_msg without its three name arrays
 * (3 x NT_NAME_LEN of 320 bytes), which are interned in names[] (a ruleset has
 * few distinct table / chain names): 32768 queued messages take 4 MB, not 10.
 */
#define MSG_HEAD offsetof(struct nt_trace_msg, table)
#define MSG_TAIL offsetof(struct nt_trace_msg, l3)
#define NAMES_MAX 1024            /* distinct names while messages are queued */
#define NAMES_HASH 2048           /* open addressing slots (name index + 1) */

struct qent {
	uint64_t rx_ns;
	uint16_t name[3];         /* table, chain, target: indexes in names[] */
	uint8_t head[MSG_HEAD];
	uint8_t tail[sizeof(struct nt_trace_msg) - MSG_TAIL];
};

struct nt_corr {
	struct nt_corr_opts o;
	struct sig_ent full[1u << SIG_BITS][SIG_WAYS];
	struct sig_ent nat[1u << SIG_BITS][SIG_WAYS];
	struct tid_ent tid[1u << TID_BITS];
	uint64_t defined[1u << DEF_BITS]; /* chain keys already emitted (direct mapped) */
	struct qent *q;           /* ring of qcap entries (a power of 2) */
	size_t qhead, qlen, qcap;
	char names[NAMES_MAX][NT_NAME_LEN];
	uint16_t names_hash[NAMES_HASH];
	size_t nnames;
	struct nt_corr_stats st;
	int debug;                /* NT_DEBUG_CORR set: one line per lookup on stderr */
};


uint64_t nt_chain_key(uint32_t netns, uint8_t family, const char *table, const char *chain)
{
	uint64_t h = NT_FNV_OFFSET;

	h = nt_fnv1a(h, &netns, 4);
	h = nt_fnv1a(h, &family, 1);
	h = nt_fnv1a(h, table, strlen(table) + 1);
	h = nt_fnv1a(h, chain, strlen(chain) + 1);
	return h ? h : 1;
}

struct pkt {
	uint8_t l3, l4proto;
	uint16_t sport, dport, ip_id;
	uint32_t l4_extra;
	const uint8_t *saddr, *daddr;
};

static uint64_t key_full(const struct pkt *p)
{
	uint64_t h = NT_FNV_OFFSET;
	size_t alen = p->l3 == NT_L3_IPV4 ? 4 : 16;

	h = nt_fnv1a(h, &p->l3, 1);
	h = nt_fnv1a(h, &p->l4proto, 1);
	h = nt_fnv1a(h, p->saddr, alen);
	h = nt_fnv1a(h, p->daddr, alen);
	h = nt_fnv1a(h, &p->sport, 2);
	h = nt_fnv1a(h, &p->dport, 2);
	h = nt_fnv1a(h, &p->ip_id, 2);
	h = nt_fnv1a(h, &p->l4_extra, 4);
	return h | 1;
}

/* 0 when the packet has no NAT-invariant identity */
static uint64_t key_nat(const struct pkt *p)
{
	uint64_t h = NT_FNV_OFFSET ^ 0x5a5a;

	h = nt_fnv1a(h, &p->l3, 1);
	h = nt_fnv1a(h, &p->l4proto, 1);
	if (p->l3 == NT_L3_IPV4) {
		if (!p->ip_id && !p->l4_extra)
			return 0;
		h = nt_fnv1a(h, &p->ip_id, 2);
	} else {
		if (!p->l4_extra)
			return 0;
		h = nt_fnv1a(h, p->saddr, 16);
	}
	h = nt_fnv1a(h, &p->l4_extra, 4);
	return h | 1;
}

static void sig_put(struct sig_ent (*tab)[SIG_WAYS], uint64_t key, uint64_t skb, uint64_t ts)
{
	struct sig_ent *b = tab[(key >> 7) & ((1u << SIG_BITS) - 1)];
	int victim = 0;

	for (int i = 0; i < SIG_WAYS; i++) {
		if (b[i].key == key && b[i].skb == skb) {
			b[i].ts = ts;
			return;
		}
		if (b[i].ts < b[victim].ts)
			victim = i;
	}
	b[victim].key = key;
	b[victim].skb = skb;
	b[victim].ts = ts;
}

static uint64_t sig_get(struct sig_ent (*tab)[SIG_WAYS], uint64_t key, uint64_t ts)
{
	struct sig_ent *b = tab[(key >> 7) & ((1u << SIG_BITS) - 1)];
	uint64_t best = 0, bestd = MATCH_WINDOW_NS + 1;

	for (int i = 0; i < SIG_WAYS; i++) {
		uint64_t d;

		if (b[i].key != key || !b[i].skb)
			continue;
		d = b[i].ts > ts ? b[i].ts - ts : ts - b[i].ts;
		if (d < bestd) {
			bestd = d;
			best = b[i].skb;
		}
	}
	return best;
}

int nt_corr_new(const struct nt_corr_opts *o, struct nt_corr **out)
{
	struct nt_corr *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->o = *o;
	c->debug = getenv("NT_DEBUG_CORR") != NULL;
	/* grown on demand: a ring of QUEUE_LEN entries (10 MB) would have every
	 * page touched after one wrap, whatever the occupancy */
	c->qcap = QUEUE_INIT;
	c->q = calloc(c->qcap, sizeof(*c->q));
	if (!c->q) {
		free(c);
		return -ENOMEM;
	}
	*out = c;
	return 0;
}

void nt_corr_free(struct nt_corr *c)
{
	if (!c)
		return;
	free(c->q);
	free(c);
}

void nt_corr_meta(struct nt_corr *c, const struct nt_ev_meta *m)
{
	struct pkt p = { m->l3, m->l4proto, m->sport, m->dport, m->ip_id, m->l4_extra,
			 m->saddr, m->daddr };
	uint64_t k;

	if (m->l3 != NT_L3_IPV4 && m->l3 != NT_L3_IPV6)
		return;
	sig_put(c->full, key_full(&p), m->h.skb, m->h.ts_ns);
	if (c->debug)
		fprintf(stderr, "meta: %llx l3 %u p %u %u>%u ipid %u x %08x ts %llu\n",
			(unsigned long long)m->h.skb, p.l3, p.l4proto, p.sport, p.dport, p.ip_id,
			p.l4_extra, (unsigned long long)m->h.ts_ns);
	k = key_nat(&p);
	if (k)
		sig_put(c->nat, k, m->h.skb, m->h.ts_ns);
}

static int emit_chaindef(struct nt_corr *c, uint64_t key, uint64_t ts, uint32_t netns,
			 uint8_t family, const char *table, const char *chain)
{
	uint64_t *slot = &c->defined[(key >> 3) & ((1u << DEF_BITS) - 1)];
	struct nt_ev_nft_chaindef d;

	if (*slot == key)
		return 0;
	memset(&d, 0, sizeof(d));
	d.h.type = NT_EV_NFT_CHAINDEF;
	d.h.cpu = 0xffff;
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

static struct tid_ent *tid_slot(struct nt_corr *c, const struct nt_trace_msg *m)
{
	uint64_t key = ((uint64_t)m->ns_index << 32 | m->id) + 1;
	struct tid_ent *t = &c->tid[(m->id ^ (m->id >> TID_BITS) ^ m->ns_index) & ((1u << TID_BITS) - 1)];

	if (t->key != key) {
		memset(t, 0, sizeof(*t));
		t->key = key;
		t->hook = NT_HOOK_NONE;
	}
	return t;
}

static int resolve(struct nt_corr *c, const struct nt_trace_msg *m)
{
	struct tid_ent *t = tid_slot(c, m);
	struct nt_ev_nft_rule r;
	struct nt_ev_nft_chaindef probe;
	/* the recorder's own table, and those of other recorders running at the
	 * same time (tracing infrastructure, not the user's ruleset: the
	 * ruleset snapshot leaves them out too) */
	int own = (c->o.own_table && !strcmp(m->table, c->o.own_table)) ||
		  !strncmp(m->table, NT_TRACE_TABLE_PREFIX, sizeof(NT_TRACE_TABLE_PREFIX) - 1);
	int kind = m->type;
	int err;

	c->st.msgs++;
	if (m->flags & NT_TRACE_HAS_PKT) {
		struct pkt p = { m->l3, m->l4proto, m->sport, m->dport, m->ip_id, m->l4_extra,
				 m->saddr, m->daddr };
		uint64_t skb = sig_get(c->full, key_full(&p), m->ts_ns);
		uint64_t k;

		if (!skb && (k = key_nat(&p)))
			skb = sig_get(c->nat, k, m->ts_ns);
		if (c->debug)
			fprintf(stderr, "corr: %s/%s id %08x l3 %u p %u %u>%u ipid %u x %08x ts %llu -> %llx\n",
				m->table, m->chain, m->id, p.l3, p.l4proto, p.sport, p.dport, p.ip_id,
				p.l4_extra, (unsigned long long)m->ts_ns, (unsigned long long)skb);
		/* a new chain run: base chain, depth 0 */
		if (skb || !t->used || t->ts + MATCH_WINDOW_NS < m->ts_ns) {
			t->skb = skb;
			t->out = !skb && c->o.left_out && c->o.left_out(c->o.left_out_ctx, m);
		}
		t->depth = 0;
		memset(&probe, 0, sizeof(probe));
		probe.hook = NT_HOOK_NONE;
		if (!own && c->o.chain &&
		    !c->o.chain(c->o.ctx, m->netns, m->family, m->table, m->chain, &probe) && probe.base)
			t->hook = probe.hook;
		t->used = 1;
	}
	t->ts = m->ts_ns;
	if (own) {
		c->st.own++;
		return 0;
	}
	if (!t->skb && c->o.left_out) { /* a capture filter: only kept packets' steps */
		if (t->out)
			c->st.filtered++;
		else
			c->st.unmatched++;
		return 0;
	}
	/*
	 * A RULE message without a rule handle is the kernel's "end of the chain
	 * reached" (the rule blob's last-rule marker).  In a regular chain it is
	 * the implicit return (recorded as kind return); in a base chain the
	 * policy message that follows says everything (not recorded).  nft
	 * monitor trace prints neither.
	 */
	if (m->type == NT_RULE_KIND_RULE && !m->rule_handle) {
		memset(&probe, 0, sizeof(probe));
		if (c->o.chain && !c->o.chain(c->o.ctx, m->netns, m->family, m->table, m->chain, &probe) &&
		    probe.base)
			return 0;
		kind = NT_RULE_KIND_RETURN;
	}
	memset(&r, 0, sizeof(r));
	r.h.type = NT_EV_NFT_RULE;
	r.h.flags = NT_F_SYNTH | (t->skb ? 0 : NT_F_UNCORRELATED);
	r.h.cpu = 0xffff;
	r.h.ts_ns = m->ts_ns;
	r.h.skb = t->skb;
	r.chain_key = nt_chain_key(m->netns, m->family, m->table, m->chain);
	r.rule_handle = m->rule_handle;
	r.verdict = m->verdict;
	r.trace_id = m->id;
	r.kind = kind;
	r.depth = t->depth;
	r.family = m->family;
	r.hook = t->hook;
	err = emit_chaindef(c, r.chain_key, m->ts_ns, m->netns, m->family, m->table, m->chain);
	if (err)
		return err;
	if (m->target[0]) {
		r.target_key = nt_chain_key(m->netns, m->family, m->table, m->target);
		err = emit_chaindef(c, r.target_key, m->ts_ns, m->netns, m->family, m->table, m->target);
		if (err)
			return err;
	}
	if (t->skb)
		c->st.correlated++;
	else
		c->st.uncorrelated++;
	c->st.rules++;
	/* jump stack depth for the next message of this run */
	if (kind == NT_RULE_KIND_RULE && m->verdict == NT_V_JUMP)
		t->depth++;
	else if ((kind == NT_RULE_KIND_RETURN ||
		  (kind == NT_RULE_KIND_RULE && m->verdict == NT_V_RETURN)) && t->depth)
		t->depth--;
	return c->o.emit(c->o.ctx, &r, sizeof(r));
}

/* Double the ring (entries stay in order, from index 0).  0 or -ENOMEM. */
static int queue_grow(struct nt_corr *c)
{
	size_t cap = c->qcap * 2;
	struct qent *q = malloc(cap * sizeof(*q));

	if (!q)
		return -ENOMEM;
	for (size_t i = 0; i < c->qlen; i++)
		q[i] = c->q[(c->qhead + i) & (c->qcap - 1)];
	free(c->q);
	c->q = q;
	c->qcap = cap;
	c->qhead = 0;
	return 0;
}

/* Index of NAME in c->names (added when new); -1 when the table is full. */
static int name_intern(struct nt_corr *c, const char *name)
{
	size_t len = strnlen(name, NT_NAME_LEN);
	uint64_t h = nt_fnv1a(NT_FNV_OFFSET, name, len);

	for (size_t i = 0; i < NAMES_HASH; i++) {
		uint16_t *slot = &c->names_hash[(h + i) & (NAMES_HASH - 1)];

		if (!*slot) {
			if (c->nnames == NAMES_MAX)
				return -1;
			memset(c->names[c->nnames], 0, NT_NAME_LEN);
			memcpy(c->names[c->nnames], name, len);
			*slot = (uint16_t)++c->nnames;
			return *slot - 1;
		}
		if (!strncmp(c->names[*slot - 1], name, NT_NAME_LEN))
			return *slot - 1;
	}
	return -1;
}

static int names_intern(struct nt_corr *c, const struct nt_trace_msg *m, uint16_t idx[3])
{
	const char *n[3] = { m->table, m->chain, m->target };

	for (int i = 0; i < 3; i++) {
		int k = name_intern(c, n[i]);

		if (k < 0)
			return -1;
		idx[i] = (uint16_t)k;
	}
	return 0;
}

static void qent_msg(const struct nt_corr *c, const struct qent *e, struct nt_trace_msg *m)
{
	memcpy(m, e->head, MSG_HEAD);
	memcpy((uint8_t *)m + MSG_TAIL, e->tail, sizeof(e->tail));
	memcpy(m->table, c->names[e->name[0]], NT_NAME_LEN);
	memcpy(m->chain, c->names[e->name[1]], NT_NAME_LEN);
	memcpy(m->target, c->names[e->name[2]], NT_NAME_LEN);
}

void nt_corr_push(struct nt_corr *c, const struct nt_trace_msg *m)
{
	struct timespec ts;
	struct qent *e;
	uint16_t idx[3];

	if (c->qlen == c->qcap && (c->qcap >= QUEUE_LEN || queue_grow(c))) {
		c->st.queue_full++;
		nt_corr_flush(c, 0, 0, 1); /* resolve oldest now rather than drop */
	}
	if (names_intern(c, m, idx)) {
		/* more distinct names than NAMES_MAX while queued: resolve the
		 * queue now, then the names can start over */
		c->st.queue_full++;
		nt_corr_flush(c, 0, 0, 1);
		c->nnames = 0;
		memset(c->names_hash, 0, sizeof(c->names_hash));
		if (names_intern(c, m, idx))
			return; /* cannot happen: 3 names fit an empty table */
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	e = &c->q[(c->qhead + c->qlen) & (c->qcap - 1)];
	e->rx_ns = (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
	memcpy(e->name, idx, sizeof(idx));
	memcpy(e->head, m, MSG_HEAD);
	memcpy(e->tail, (const uint8_t *)m + MSG_TAIL, sizeof(e->tail));
	c->qlen++;
}

int nt_corr_flush(struct nt_corr *c, uint64_t now_ns, uint64_t delay_ns, int all)
{
	int n = 0, err;

	while (c->qlen) {
		struct qent *e = &c->q[c->qhead];
		struct nt_trace_msg m;

		if (!all && e->rx_ns + delay_ns > now_ns)
			break;
		qent_msg(c, e, &m);
		err = resolve(c, &m);
		c->qhead = (c->qhead + 1) & (c->qcap - 1);
		c->qlen--;
		if (err)
			return err;
		n++;
	}
	return n;
}

void nt_corr_forget_chains(struct nt_corr *c)
{
	memset(c->defined, 0, sizeof(c->defined));
}

void nt_corr_get_stats(const struct nt_corr *c, struct nt_corr_stats *s)
{
	*s = c->st;
}
