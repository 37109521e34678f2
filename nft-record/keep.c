// SPDX-License-Identifier: GPL-2.0
/*
 * keep.c - tail-based keep in user space (keep.h).
 *
 * Why this structure: the packet model (model/) already knows which skb
 * belongs to which packet (clones, copies, reallocations, heads), when a
 * packet ends, its verdict, drop and time per layer — the same definitions the
 * analyzer applies to the log afterwards, so "kept" means exactly what
 * `nft-analyze journeys --verdict drop` would select.  The model runs without
 * its own record storage; this file holds, per open packet, its records in one
 * byte buffer (each record after an 8-byte length prefix, so records stay
 * 8-byte aligned, oldest first) capped at
 * pkt_bytes: appending past the cap drops the oldest records (counted as cut),
 * except the first META, which is kept aside so a cut journey still names its
 * flow.  Packet ids -> buffers: an open addressing table (ids are unique and
 * never 0).  A decision needs the packet's end (model callback); the record
 * that ends it is appended first, decisions are applied after the model
 * returned.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <cjson/cJSON.h>

#include "common/nftables.h"
#include "common/records.h"
#include "formats/ntlog.h"
#include "model/model.h"
#include "nft-record/keep.h"

#define DEF_PKT_BYTES (16u << 10)
#define DEF_TOTAL_BYTES (64u << 20)
#define DEF_MAX_OPEN 65536u
#define PFX 8u /* length prefix of a buffered record (keeps records 8-byte aligned) */

struct kpkt {
	uint64_t id;             /* model packet id, 0 = free slot */
	uint64_t skb;
	uint8_t *buf;
	uint32_t head, len, cap; /* records in buf[head, len) */
	uint64_t cut;
	uint64_t kcut;           /* cut before it reached the engine (COUNT NT_CNT_KEEP_JCUT in:
				  * the kernel's buffer) */
	uint8_t meta[sizeof(struct nt_ev_meta)];
	uint8_t has_meta, meta_in_buf, func_hit, rule_hit;
	uint8_t decided;         /* ended: apply_done() writes or drops it */
};

#define JPEND 32 /* NT_CNT_KEEP_JCUT counts waiting for their packet's next record */

struct done { /* packets ended during one nt_model_event() call */
	uint64_t id;
	int keep;
};

struct nt_keep {
	struct nt_keep_opts o;
	struct nt_model *m;
	struct kpkt *slots;      /* max_open */
	uint32_t *tab;           /* id -> slot + 1, open addressing, 2 * max_open */
	uint32_t tab_mask;
	uint32_t *free_slots, nfree;
	struct done *done;       /* grows: nt_model_finish() ends every open packet */
	size_t ndone, done_cap;
	uint32_t func_ids[NT_KEEP_MAX_PRED * 4];
	int nfunc_ids, funcs_resolved;
	int socket_layer;
	struct nt_keep_stats st;
	struct { uint64_t skb, n; } jpend[JPEND];
	uint32_t njpend, jnext;
	int err;
};

/* ---- parsing ---- */
int nt_keep_parse_duration(const char *s, uint64_t *ns)
{
	static const struct { const char *u; double f; } units[] = {
		{ "ns", 1 }, { "us", 1e3 }, { "µs", 1e3 }, { "ms", 1e6 }, { "s", 1e9 },
	};
	char *end;
	double v = strtod(s, &end);

	if (end == s || !(v >= 0) || v > 1e6 * 1e9)
		return -EINVAL;
	for (unsigned i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcmp(end, units[i].u)) {
			*ns = (uint64_t)(v * units[i].f + 0.5);
			return 0;
		}
	return -EINVAL;
}

static int parse_verdict(const char *s, int32_t *v)
{
	static const struct { const char *n; int32_t v; } tab[] = {
		{ "accept", NT_V_ACCEPT }, { "drop", NT_V_DROP }, { "stolen", NT_V_STOLEN },
		{ "queue", NT_V_QUEUE }, { "repeat", NT_V_REPEAT }, { "stop", NT_V_STOP },
		{ "none", NT_V_NONE },
	};

	for (unsigned i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (!strcasecmp(s, tab[i].n)) {
			*v = tab[i].v;
			return 0;
		}
	return -EINVAL;
}

/* [NETNS:]FAMILY/TABLE/CHAIN/HANDLE */
static int parse_rule(struct nt_keep_pred *p, const char *s)
{
	char buf[300], *colon, *f[4], *save = NULL, *end;
	int n = 0, fam;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s", s);
	colon = strchr(buf, ':');
	if (colon && colon < strchr(buf, '/')) {
		*colon = 0;
		if (!buf[0] || strlen(buf) >= sizeof(p->netns_name))
			return -EINVAL;
		snprintf(p->netns_name, sizeof(p->netns_name), "%s", buf);
		memmove(buf, colon + 1, strlen(colon + 1) + 1);
	}
	for (char *t = strtok_r(buf, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
		if (n == 4)
			return -EINVAL;
		f[n++] = t;
	}
	if (n != 4 || strlen(f[1]) >= sizeof(p->table) || strlen(f[2]) >= sizeof(p->chain))
		return -EINVAL;
	fam = nt_nfproto_parse(f[0]);
	if (fam < 0)
		return -EINVAL;
	p->family = (uint8_t)fam;
	snprintf(p->table, sizeof(p->table), "%s", f[1]);
	snprintf(p->chain, sizeof(p->chain), "%s", f[2]);
	p->handle = strtoull(f[3], &end, 10);
	return *end || !p->handle ? -EINVAL : 0;
}

int nt_keep_parse(struct nt_keep_expr *e, const char *expr, char *err, size_t errlen)
{
	char buf[512], *save = NULL;

	memset(e, 0, sizeof(*e));
	if (!expr || !*expr || strlen(expr) >= sizeof(buf)) {
		snprintf(err, errlen, "--keep: expected drop, verdict=V, rule=[NETNS:]FAMILY/TABLE/CHAIN/HANDLE, "
			 "slow=DURATION or func=NAME (comma separated), got '%s'", expr ? expr : "");
		return -EINVAL;
	}
	snprintf(e->text, sizeof(e->text), "%s", expr);
	snprintf(buf, sizeof(buf), "%s", expr);
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		struct nt_keep_pred *p = &e->p[e->n];
		char *v = strchr(t, '=');
		const char *why = NULL;

		while (*t == ' ')
			t++;
		if (e->n == NT_KEEP_MAX_PRED) {
			snprintf(err, errlen, "--keep: at most %d predicates", NT_KEEP_MAX_PRED);
			return -EINVAL;
		}
		memset(p, 0, sizeof(*p));
		if (v)
			*v++ = 0;
		if (!strcmp(t, "drop") && !v) {
			p->kind = NT_KEEP_DROP;
		} else if (!strcmp(t, "verdict") && v) {
			p->kind = NT_KEEP_VERDICT;
			if (parse_verdict(v, &p->verdict))
				why = "expected a verdict: accept, drop, stolen, queue, repeat, stop or none";
		} else if (!strcmp(t, "rule") && v) {
			p->kind = NT_KEEP_RULE;
			if (parse_rule(p, v))
				why = "expected [NETNS:]FAMILY/TABLE/CHAIN/HANDLE, e.g. inet/filter/input/7";
		} else if (!strcmp(t, "slow") && v) {
			p->kind = NT_KEEP_SLOW;
			if (nt_keep_parse_duration(v, &p->slow_ns) || !p->slow_ns)
				why = "expected a duration like 500us, 10ms or 1s";
		} else if (!strcmp(t, "func") && v) {
			p->kind = NT_KEEP_FUNC;
			if (!*v || strlen(v) >= sizeof(p->func))
				why = "expected a function or tracepoint name";
			else
				snprintf(p->func, sizeof(p->func), "%s", v);
		} else {
			snprintf(err, errlen, "--keep: unknown predicate '%s%s%s' (drop, verdict=V, "
				 "rule=[NETNS:]FAMILY/TABLE/CHAIN/HANDLE, slow=DURATION, func=NAME)",
				 t, v ? "=" : "", v ? v : "");
			return -EINVAL;
		}
		if (why) {
			snprintf(err, errlen, "--keep: '%s=%s': %s", t, v, why);
			return -EINVAL;
		}
		e->n++;
	}
	if (!e->n) {
		snprintf(err, errlen, "--keep: no predicate in '%s'", expr);
		return -EINVAL;
	}
	return 0;
}

/* ---- packet buffers ---- */
static uint32_t hash_id(uint64_t id)
{
	id ^= id >> 33;
	id *= 0xff51afd7ed558ccdull;
	return (uint32_t)(id ^ (id >> 33));
}

static struct kpkt *find(struct nt_keep *k, uint64_t id, uint32_t *pos)
{
	for (uint32_t i = hash_id(id) & k->tab_mask;; i = (i + 1) & k->tab_mask) {
		if (!k->tab[i]) {
			if (pos)
				*pos = i;
			return NULL;
		}
		if (k->slots[k->tab[i] - 1].id == id) {
			if (pos)
				*pos = i;
			return &k->slots[k->tab[i] - 1];
		}
	}
}

static void tab_del(struct nt_keep *k, uint32_t i)
{
	/* backward-shift deletion */
	uint32_t j = i;

	k->tab[i] = 0;
	for (;;) {
		uint32_t h;

		j = (j + 1) & k->tab_mask;
		if (!k->tab[j])
			return;
		h = hash_id(k->slots[k->tab[j] - 1].id) & k->tab_mask;
		if ((j > i && (h <= i || h > j)) || (j < i && (h <= i && h > j))) {
			k->tab[i] = k->tab[j];
			k->tab[j] = 0;
			i = j;
		}
	}
}

/* A packet's key for its whole life in the model, also before it has an id
 * (records before its first IP META, nft steps the model held for its skb):
 * its pool slot and the slot's life, never 0. */
static uint64_t pkey(const struct nt_packet *p)
{
	return (uint64_t)(p->gen + 1) << 32 | p->slot;
}

static struct kpkt *get(struct nt_keep *k, const struct nt_packet *p)
{
	uint32_t pos;
	struct kpkt *b = find(k, pkey(p), &pos);

	if (b || !k->nfree)
		return b;
	b = &k->slots[k->free_slots[--k->nfree]];
	memset(b, 0, sizeof(*b));
	b->id = pkey(p);
	b->skb = p->skb;
	k->tab[pos] = (uint32_t)(b - k->slots) + 1;
	k->st.open++;
	return b;
}

static void release(struct nt_keep *k, struct kpkt *b)
{
	uint32_t pos;

	if (find(k, b->id, &pos))
		tab_del(k, pos);
	k->st.bytes -= b->cap;
	k->st.open--;
	free(b->buf);
	b->buf = NULL;
	b->id = 0;
	k->free_slots[k->nfree++] = (uint32_t)(b - k->slots);
}

/* Drop the oldest record of B (cut). */
static void cut_oldest(struct kpkt *b)
{
	uint16_t l;

	memcpy(&l, b->buf + b->head, 2);
	if (b->meta_in_buf && ((const struct nt_ev_hdr *)(b->buf + b->head + PFX))->type == NT_EV_META &&
	    !memcmp(b->buf + b->head + PFX, b->meta, sizeof(b->meta)))
		b->meta_in_buf = 0; /* the first META leaves the buffer: kept aside */
	b->head += PFX + ((l + 7u) & ~7u);
	b->cut++;
}

static void append(struct nt_keep *k, struct kpkt *b, const void *rec, size_t len)
{
	size_t need = PFX + ((len + 7) & ~(size_t)7);

	if (((const struct nt_ev_hdr *)rec)->type == NT_EV_META && !b->has_meta) {
		memcpy(b->meta, rec, sizeof(b->meta));
		b->has_meta = b->meta_in_buf = 1;
	}
	if (need > k->o.pkt_bytes) {
		b->cut++;
		return;
	}
	while (b->len - b->head + need > k->o.pkt_bytes)
		cut_oldest(b);
	if (b->head && b->len + need > b->cap) { /* compact */
		memmove(b->buf, b->buf + b->head, b->len - b->head);
		b->len -= b->head;
		b->head = 0;
	}
	if (b->len + need > b->cap) {
		uint32_t cap = b->cap ? b->cap * 2 : 512;
		uint8_t *n;

		while (cap < b->len + need)
			cap *= 2;
		if (cap > k->o.pkt_bytes)
			cap = (uint32_t)k->o.pkt_bytes;
		if (k->st.bytes - b->cap + cap > k->o.total_bytes || !(n = realloc(b->buf, cap))) {
			b->cut++; /* the whole budget is taken: this record is cut */
			return;
		}
		k->st.bytes += cap - b->cap;
		b->buf = n;
		b->cap = cap;
	}
	uint16_t l = (uint16_t)len;
	memset(b->buf + b->len, 0, PFX);
	memcpy(b->buf + b->len, &l, 2);
	memcpy(b->buf + b->len + PFX, rec, len);
	b->len += (uint32_t)need;
}

/* ---- decisions ---- */
static void resolve_funcs(struct nt_keep *k)
{
	k->funcs_resolved = 1;
	k->socket_layer = -1;
	for (int l = 0; l < nt_model_layer_count(k->m); l++)
		if (!strcmp(nt_model_layer_name(k->m, l), "Socket"))
			k->socket_layer = l;
	for (int i = 0; i < k->o.expr->n; i++) {
		const struct nt_keep_pred *p = &k->o.expr->p[i];

		if (p->kind != NT_KEEP_FUNC)
			continue;
		for (uint32_t s = 0; s < nt_model_func_count(k->m); s++) {
			const struct nt_func_info *f = nt_model_func_at(k->m, s);

			if (!strcmp(f->name, p->func) && k->nfunc_ids < (int)(sizeof(k->func_ids) / sizeof(k->func_ids[0])))
				k->func_ids[k->nfunc_ids++] = f->id;
		}
	}
}

static int rule_matches(struct nt_keep *k, const struct nt_ev_nft_rule *r)
{
	const struct nt_ev_nft_chaindef *c = nt_model_chain(k->m, r->chain_key);

	for (int i = 0; c && i < k->o.expr->n; i++) {
		const struct nt_keep_pred *p = &k->o.expr->p[i];

		if (p->kind == NT_KEEP_RULE && p->handle == r->rule_handle && p->family == c->family &&
		    (!p->netns || p->netns == c->netns) && !strcmp(p->table, c->table) &&
		    !strcmp(p->chain, c->chain))
			return 1;
	}
	return 0;
}

static void note_record(struct nt_keep *k, struct kpkt *b, const struct nt_ev_hdr *h)
{
	if (h->type == NT_EV_FUNC || h->type == NT_EV_DROP || h->type == NT_EV_FREE) {
		for (int i = 0; i < k->nfunc_ids; i++)
			if (k->func_ids[i] == h->id)
				b->func_hit = 1;
	} else if (h->type == NT_EV_NFT_RULE && rule_matches(k, (const struct nt_ev_nft_rule *)h)) {
		b->rule_hit = 1;
	}
}

static int decide(struct nt_keep *k, const struct nt_packet *p, const struct kpkt *b)
{
	uint64_t dur = p->last_ts - p->first_ts;

	if (k->socket_layer >= 0 && (p->layer_seen >> k->socket_layer & 1))
		dur -= p->layer_ns[k->socket_layer] < dur ? p->layer_ns[k->socket_layer] : dur;
	for (int i = 0; i < k->o.expr->n; i++) {
		const struct nt_keep_pred *q = &k->o.expr->p[i];

		switch (q->kind) {
		case NT_KEEP_DROP:
			if (p->dropped || p->verdict == NT_V_DROP)
				return 1;
			break;
		case NT_KEEP_VERDICT:
			if (p->verdict == q->verdict)
				return 1;
			break;
		case NT_KEEP_SLOW:
			if (dur > q->slow_ns)
				return 1;
			break;
		case NT_KEEP_RULE:
			if (b && b->rule_hit)
				return 1;
			break;
		case NT_KEEP_FUNC:
			if (b && b->func_hit)
				return 1;
			break;
		}
	}
	return 0;
}

static void on_packet(void *ctx, const struct nt_packet *p)
{
	struct nt_keep *k = ctx;
	struct kpkt *b;

	if (k->ndone == k->done_cap) {
		size_t cap = k->done_cap ? k->done_cap * 2 : 64;
		struct done *d = realloc(k->done, cap * sizeof(*d));

		if (!d) { /* decided without its records: counted, not written */
			k->st.seen++;
			k->st.discarded++;
			k->err = k->err ? k->err : -ENOMEM;
			return;
		}
		k->done = d;
		k->done_cap = cap;
	}
	b = find(k, pkey(p), NULL);
	if (b)
		b->decided = 1;
	k->done[k->ndone].id = pkey(p);
	k->done[k->ndone].keep = decide(k, p, b);
	k->ndone++;
}

/* A COUNT NT_CNT_KEEP_JCUT (the records of skb SKB's packet cut before
 * they reached the engine) waits for that packet's next record (a full
 * table loses its oldest: that journey then says fewer). */
static void jcut_add(struct nt_keep *k, uint64_t skb, uint64_t n)
{
	uint32_t i = k->njpend < JPEND ? k->njpend++ : k->jnext++ % JPEND;

	k->jpend[i].skb = skb;
	k->jpend[i].n = n;
}

static void jcut_take(struct nt_keep *k, struct kpkt *b, uint64_t skb)
{
	for (uint32_t i = 0; i < k->njpend; i++)
		if (k->jpend[i].skb == skb) {
			b->kcut += k->jpend[i].n;
			k->jpend[i] = k->jpend[--k->njpend];
			return;
		}
}

/* The model applied record REC to packet P (nt_model_opts.on_record). */
static void on_record(void *ctx, const struct nt_packet *p, const void *rec, size_t len)
{
	struct nt_keep *k = ctx;
	struct kpkt *b;

	if (!rec) { /* released: no journey (not written), or decided */
		if ((b = find(k, pkey(p), NULL)) && !b->decided)
			release(k, b);
		return;
	}
	b = get(k, p);
	if (b) {
		append(k, b, rec, len);
		note_record(k, b, rec);
		if (k->njpend)
			jcut_take(k, b, ((const struct nt_ev_hdr *)rec)->skb);
	}
}

static int emit(struct nt_keep *k, const void *rec, size_t len)
{
	int e = k->o.write(k->o.ctx, rec, len);

	if (e && !k->err)
		k->err = e;
	return e;
}

static void flush(struct nt_keep *k, struct kpkt *b, int keep)
{
	k->st.seen++;
	k->st.cut += b->cut;
	if (!keep) {
		k->st.discarded++;
		release(k, b);
		return;
	}
	k->st.kept++;
	if (b->cut || b->kcut) {
		const struct nt_ev_hdr *first = b->len > b->head ? (const void *)(b->buf + b->head + PFX) : NULL;
		struct nt_ev_count c = { .h = { .type = NT_EV_COUNT, .cpu = 0xffff, .skb = b->skb,
						.ts_ns = first ? first->ts_ns : 0 },
					 .value = k->st.cut, .counter = NT_CNT_KEEP_CUT };

		if (b->cut) /* cumulative (the engine's cuts) */
			emit(k, &c, sizeof(c));
		c.value = b->cut + b->kcut; /* this journey's, wherever cut */
		c.counter = NT_CNT_KEEP_JCUT;
		emit(k, &c, sizeof(c));
		if (b->cut && b->has_meta && !b->meta_in_buf)
			emit(k, b->meta, sizeof(b->meta));
	}
	for (uint32_t o = b->head; o < b->len;) {
		uint16_t l;

		memcpy(&l, b->buf + o, 2);
		emit(k, b->buf + o + PFX, l);
		o += PFX + ((l + 7u) & ~7u);
	}
	release(k, b);
}

static void apply_done(struct nt_keep *k)
{
	for (size_t i = 0; i < k->ndone; i++) {
		struct kpkt *b = find(k, k->done[i].id, NULL);

		if (b) {
			flush(k, b, k->done[i].keep);
		} else { /* no buffer (none was free): decided, nothing to write */
			k->st.seen++;
			if (k->done[i].keep)
				k->st.kept++;
			else
				k->st.discarded++;
		}
	}
	k->ndone = 0;
}

/* ---- API ---- */
struct nt_keep *nt_keep_new(const struct nt_keep_opts *o)
{
	struct nt_keep *k = calloc(1, sizeof(*k));
	uint32_t tabsz = 1;

	if (!k)
		return NULL;
	k->o = *o;
	if (!k->o.pkt_bytes)
		k->o.pkt_bytes = DEF_PKT_BYTES;
	if (k->o.pkt_bytes > 65535)
		k->o.pkt_bytes = 65535;
	if (!k->o.total_bytes)
		k->o.total_bytes = DEF_TOTAL_BYTES;
	if (!k->o.max_open)
		k->o.max_open = DEF_MAX_OPEN;
	while (tabsz < 2 * k->o.max_open)
		tabsz <<= 1;
	k->tab_mask = tabsz - 1;
	k->slots = calloc(k->o.max_open, sizeof(*k->slots));
	k->tab = calloc(tabsz, sizeof(*k->tab));
	k->free_slots = calloc(k->o.max_open, sizeof(*k->free_slots));
	k->m = nt_model_new(&(struct nt_model_opts){ .sz = sizeof(struct nt_model_opts),
						     .on_packet = on_packet, .ctx = k,
						     .idle_ns = o->idle_ns, .on_record = on_record });
	if (!k->slots || !k->tab || !k->free_slots || !k->m) {
		nt_keep_free(k);
		return NULL;
	}
	for (uint32_t i = 0; i < k->o.max_open; i++)
		k->free_slots[k->nfree++] = k->o.max_open - 1 - i;
	return k;
}

void nt_keep_free(struct nt_keep *k)
{
	if (!k)
		return;
	for (uint32_t i = 0; k->slots && i < k->o.max_open; i++)
		free(k->slots[i].buf);
	free(k->slots);
	free(k->tab);
	free(k->free_slots);
	free(k->done);
	nt_model_free(k->m);
	free(k);
}

void nt_keep_meta(struct nt_keep *k, uint16_t type, const char *json, size_t len)
{
	nt_model_meta(k->m, type, json, len);
	if (type == NTL_B_FUNCS)
		k->funcs_resolved = 0;
}

int nt_keep_record(struct nt_keep *k, const void *rec, size_t len)
{
	const struct nt_ev_hdr *h = rec;

	if (len < sizeof(*h))
		return 0;
	if (!k->funcs_resolved)
		resolve_funcs(k);
	if (h->type == NT_EV_COUNT && len >= sizeof(struct nt_ev_count) &&
	    ((const struct nt_ev_count *)rec)->counter == NT_CNT_KEEP_JCUT) {
		/* the recorder's kernel-side buffer cut this packet: its journey says so */
		jcut_add(k, h->skb, ((const struct nt_ev_count *)rec)->value);
		return k->err;
	}
	/* a packet's records reach its buffer through on_record, as the model
	 * applies them: also those it held until it knew their packet */
	nt_model_event(k->m, rec, len);
	if (h->type == NT_EV_NFT_CHAINDEF || h->type == NT_EV_LOSS || h->type == NT_EV_COUNT)
		emit(k, rec, len); /* metadata and counters: at once */
	apply_done(k);
	return k->err;
}

int nt_keep_finish(struct nt_keep *k)
{
	nt_model_finish(k->m); /* every open packet ends (incomplete) */
	apply_done(k);
	return k->err;
}

const struct nt_keep_stats *nt_keep_stats(const struct nt_keep *k)
{
	return &k->st;
}

/* bpf/keep.bpf.h NT_KEEP_NRULES, NT_KEEP_NFUNCS */
#define KK_NRULES 8
#define KK_NFUNCS 8

const char *nt_keep_kernel_why_not(const struct nt_keep_expr *e, const struct nt_keep_kfacts *f,
				   char *buf, size_t len)
{
	int nrules = 0, nfuncs = 0;

	if (!f->keep_kernel)
		return "the kernel-side keep is off: --keep-kernel";
	if (!f->functions)
		return "tracepoint mode: nft steps come from netlink";
	/* the kernel would decide without the nft steps, which reach user
	 * space by netlink, and hand over journeys without them */
	if (!f->nft_btf)
		return "nf_tables has no BTF on this kernel: nft steps come from netlink";
	if (f->nft_failed) {
		snprintf(buf, len, "the nftables probes failed: %s; nft steps come from netlink", f->nft_failed);
		return buf;
	}
	if (f->bytes_ct_stack)
		return "with --capture-bytes, --conntrack or --stack";
	if (f->env_user)
		return "NT_KEEP_USER is set";
	for (int i = 0; i < e->n; i++) {
		const struct nt_keep_pred *p = &e->p[i];

		if (p->kind == NT_KEEP_VERDICT && (p->verdict < 0 || p->verdict > 5))
			return "verdict=none";
		if (p->kind == NT_KEEP_RULE && ++nrules > KK_NRULES)
			return "more than 8 rule= predicates";
		if (p->kind == NT_KEEP_FUNC) {
			if (!f->traced || !f->traced(f->ctx, p->func))
				return "func= names a function not traced by a probe";
			if (++nfuncs > KK_NFUNCS)
				return "more than 8 func= predicates";
		}
	}
	return NULL;
}
