// SPDX-License-Identifier: GPL-2.0
/* model.c - metadata tables and packet following (see model.h). */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "common/hash.h"
#include "model/model.h"
#include "formats/ntlog.h"

#define MAX_FUNC_ID (1u << 20)       /* FUNCS entries with larger ids are ignored */
#define FUNC_DENSE_MIN 4096           /* ids below max(this, 2 x FUNCS entries): direct table */
#define MAX_UNKNOWN_FUNCS 4096        /* record ids missing from FUNCS named "func#N"; more: "func#?" */
#define MAX_DROP_REASON 4096
#define NT_NFPROTO_INET 1

/* ---- open addressing u64 -> u32 map, linear probing, backward-shift delete ---- */
struct u64map {
	uint64_t *keys;   /* 0 = empty (key 0 is never stored) */
	uint32_t *vals;
	uint32_t mask, count;
};

static inline uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	return x;
}

static int map_init(struct u64map *mp, uint32_t cap)
{
	mp->keys = calloc(cap, sizeof(*mp->keys));
	mp->vals = calloc(cap, sizeof(*mp->vals));
	mp->mask = cap - 1;
	mp->count = 0;
	return mp->keys && mp->vals ? 0 : -ENOMEM;
}

static void map_free(struct u64map *mp)
{
	free(mp->keys);
	free(mp->vals);
	memset(mp, 0, sizeof(*mp));
}

static inline uint32_t *map_find(const struct u64map *mp, uint64_t key)
{
	uint32_t i = (uint32_t)mix64(key) & mp->mask;

	if (!key) /* 0 marks empty slots: never a key */
		return NULL;
	for (;;) {
		if (mp->keys[i] == key)
			return &mp->vals[i];
		if (!mp->keys[i])
			return NULL;
		i = (i + 1) & mp->mask;
	}
}

static int map_put(struct u64map *mp, uint64_t key, uint32_t val);

static int map_grow(struct u64map *mp)
{
	struct u64map n;
	int err = map_init(&n, (mp->mask + 1) * 2);

	if (err) {
		map_free(&n);
		return err;
	}
	for (uint32_t i = 0; i <= mp->mask; i++)
		if (mp->keys[i])
			map_put(&n, mp->keys[i], mp->vals[i]);
	map_free(mp);
	*mp = n;
	return 0;
}

static int map_put(struct u64map *mp, uint64_t key, uint32_t val)
{
	uint32_t i;

	if (!key)
		return 0;
	if ((mp->count + 1) * 2 > mp->mask + 1 && map_grow(mp))
		return -ENOMEM;
	i = (uint32_t)mix64(key) & mp->mask;
	while (mp->keys[i] && mp->keys[i] != key)
		i = (i + 1) & mp->mask;
	if (!mp->keys[i])
		mp->count++;
	mp->keys[i] = key;
	mp->vals[i] = val;
	return 0;
}

static void map_del(struct u64map *mp, uint64_t key)
{
	uint32_t i = (uint32_t)mix64(key) & mp->mask, j;

	if (!key)
		return;
	while (mp->keys[i] != key) {
		if (!mp->keys[i])
			return;
		i = (i + 1) & mp->mask;
	}
	mp->count--;
	/* backward shift */
	j = i;
	for (;;) {
		uint32_t home;

		j = (j + 1) & mp->mask;
		if (!mp->keys[j])
			break;
		home = (uint32_t)mix64(mp->keys[j]) & mp->mask;
		/* move j to i if home is not cyclically in (i, j] */
		if ((j > i && (home <= i || home > j)) || (j < i && (home <= i && home > j))) {
			mp->keys[i] = mp->keys[j];
			mp->vals[i] = mp->vals[j];
			i = j;
		}
	}
	mp->keys[i] = 0;
}

/* ---- string arena ---- */
struct arena_chunk {
	struct arena_chunk *next;
	size_t used, cap;
	char data[];
};

static const char *arena_strdup(struct arena_chunk **a, const char *s)
{
	size_t n = strlen(s) + 1;
	struct arena_chunk *c = *a;

	if (!c || c->cap - c->used < n) {
		size_t cap = n > 65536 ? n : 65536;

		c = malloc(sizeof(*c) + cap);
		if (!c)
			return "?";
		c->next = *a;
		c->used = 0;
		c->cap = cap;
		*a = c;
	}
	memcpy(c->data + c->used, s, n);
	c->used += n;
	return c->data + c->used - n;
}

struct nt_model {
	struct nt_model_opts o;
	struct nt_model_totals t;
	struct arena_chunk *arena;
	/* functions: infos by slot (nt_func_info.slot); id -> slot + 1 through a
	 * direct table for ids < dense_max (sized by the FUNCS block), a hash
	 * for larger ids, so a hostile id costs one entry, not a table up to it */
	struct nt_func_info *funcs;
	uint32_t nfuncs, funcs_cap;
	uint32_t *by_id;
	uint32_t nby_id, dense_max;
	struct u64map func_sparse;   /* id + 1 -> slot */
	uint32_t nunknown;           /* "func#N" entries made for record ids */
	int32_t unknown_slot;        /* the shared "func#?" entry, -1 until needed */
	const char *layers[NT_MODEL_MAX_LAYERS];
	int nlayers;
	/* chains */
	struct nt_ev_nft_chaindef *chains;
	uint32_t nchains, chains_cap;
	struct u64map chain_map;     /* key -> index + 1 */
	/* ruleset: hash(netns,family,table,chain,handle) and hash(table,chain,handle) */
	const char **rule_texts;
	uint32_t nrules, rules_cap;
	struct u64map rule_exact, rule_loose;
	/* interfaces, drop reasons */
	struct u64map ifmap;         /* netns << 32 | ifindex -> string index */
	const char **strs;
	uint32_t nstrs, strs_cap;
	const char *reasons[MAX_DROP_REASON];
	cJSON *header;
	/* packets */
	struct nt_packet *pool;
	uint32_t pool_len, pool_cap;
	uint32_t *free_slots;
	uint32_t nfree;
	struct u64map skb_map;       /* skb -> slot */
	struct u64map trace_map;     /* trace_id -> slot */
	int64_t pending_release;     /* slot completed by the previous record, -1 none */
	int64_t cur;                 /* slot of the last record's packet, -1 none */
	uint64_t idle_ns;
	uint64_t next_sweep;         /* record time of the next expiry sweep */
	struct u64map loss_map;      /* (source, cpu, id) -> index in loss */
	uint64_t *loss;              /* last cumulative count per loss_map key */
	uint32_t nloss, loss_cap;
};

static int strs_add(struct nt_model *m, const char *s, uint32_t *idx)
{
	if (m->nstrs == m->strs_cap) {
		uint32_t cap = m->strs_cap ? m->strs_cap * 2 : 64;
		const char **n = realloc(m->strs, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		m->strs = n;
		m->strs_cap = cap;
	}
	m->strs[m->nstrs] = arena_strdup(&m->arena, s);
	*idx = m->nstrs++;
	return 0;
}

struct nt_model *nt_model_new(const struct nt_model_opts *opts)
{
	struct nt_model *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	if (opts)
		memcpy(&m->o, opts, opts->sz < sizeof(m->o) ? opts->sz : sizeof(m->o));
	m->pending_release = -1;
	m->cur = -1;
	m->unknown_slot = -1;
	m->dense_max = FUNC_DENSE_MIN;
	m->idle_ns = m->o.sz >= offsetof(struct nt_model_opts, idle_ns) + sizeof(uint64_t) && m->o.idle_ns ?
		     m->o.idle_ns : NT_MODEL_IDLE_NS;
	if (map_init(&m->loss_map, 64) || map_init(&m->chain_map, 256) || map_init(&m->rule_exact, 256) ||
	    map_init(&m->rule_loose, 256) || map_init(&m->ifmap, 64) ||
	    map_init(&m->skb_map, 4096) || map_init(&m->trace_map, 1024) ||
	    map_init(&m->func_sparse, 64)) {
		nt_model_free(m);
		return NULL;
	}
	return m;
}

void nt_model_free(struct nt_model *m)
{
	if (!m)
		return;
	for (uint32_t i = 0; i < m->pool_len; i++)
		free(m->pool[i].ev);
	free(m->pool);
	free(m->free_slots);
	free(m->funcs);
	free(m->by_id);
	map_free(&m->func_sparse);
	free(m->chains);
	free(m->rule_texts);
	free(m->strs);
	free(m->loss);
	map_free(&m->loss_map);
	map_free(&m->chain_map);
	map_free(&m->rule_exact);
	map_free(&m->rule_loose);
	map_free(&m->ifmap);
	map_free(&m->skb_map);
	map_free(&m->trace_map);
	cJSON_Delete(m->header);
	while (m->arena) {
		struct arena_chunk *n = m->arena->next;

		free(m->arena);
		m->arena = n;
	}
	free(m);
}

/* ---- metadata ---- */
/* Index of layer NAME, added when new.  The last of the NT_MODEL_MAX_LAYERS
 * places is kept for "Other", which takes the functions of every further
 * layer (a FUNCS block may name any number of layers). */
static int layer_intern(struct nt_model *m, const char *name)
{
	int other = !strcmp(name, "Other");

	for (int i = 0; i < m->nlayers; i++)
		if (!strcmp(m->layers[i], name))
			return i;
	if (m->nlayers >= NT_MODEL_MAX_LAYERS - 1 && !other)
		return layer_intern(m, "Other"); /* found, or added in the last place */
	if (m->nlayers >= NT_MODEL_MAX_LAYERS)
		return NT_MODEL_MAX_LAYERS - 1; /* not reached: "Other" is among them */
	m->layers[m->nlayers] = arena_strdup(&m->arena, name);
	return m->nlayers++;
}

/* Slot of function ID, -1 when it has none. */
static inline int64_t func_slot(const struct nt_model *m, uint32_t id)
{
	const uint32_t *v;

	if (id < m->nby_id)
		return (int64_t)m->by_id[id] - 1;
	if (id < m->dense_max)
		return -1;
	v = map_find(&m->func_sparse, (uint64_t)id + 1);
	return v ? (int64_t)*v : -1;
}

/* A new entry NAME (layer "Other", not placed yet) for ID; returns its slot or -1. */
static int64_t func_add(struct nt_model *m, uint32_t id, const char *name)
{
	struct nt_func_info *fi;

	if (m->nfuncs == m->funcs_cap) {
		uint32_t cap = m->funcs_cap ? m->funcs_cap * 2 : 256;
		struct nt_func_info *f = realloc(m->funcs, cap * sizeof(*f));

		if (!f)
			return -1;
		m->funcs = f;
		m->funcs_cap = cap;
	}
	if (id != UINT32_MAX) {
		if (id < m->dense_max) {
			if (id >= m->nby_id) {
				uint32_t n = m->nby_id ? m->nby_id : 256, *t;

				while (n <= id)
					n *= 2;
				if (n > m->dense_max)
					n = m->dense_max;
				t = realloc(m->by_id, n * sizeof(*t));
				if (!t)
					return -1;
				memset(t + m->nby_id, 0, (n - m->nby_id) * sizeof(*t));
				m->by_id = t;
				m->nby_id = n;
			}
			m->by_id[id] = m->nfuncs + 1;
		} else if (map_put(&m->func_sparse, (uint64_t)id + 1, m->nfuncs)) {
			return -1;
		}
	}
	fi = &m->funcs[m->nfuncs];
	fi->name = arena_strdup(&m->arena, name);
	fi->layer_name = "Other";
	fi->layer = -1;
	fi->priority = 3;
	fi->kind = NT_KIND_SKB;
	fi->id = id;
	fi->slot = m->nfuncs;
	return m->nfuncs++;
}

/* Entry of a record's function ID, made ("func#N") when FUNCS lacks it; past
 * MAX_UNKNOWN_FUNCS such ids, one shared "func#?" entry.  -1: out of memory. */
static int64_t func_of_record(struct nt_model *m, uint32_t id)
{
	int64_t slot = func_slot(m, id);
	char buf[32];

	if (slot >= 0)
		return slot;
	if (m->nunknown < MAX_UNKNOWN_FUNCS && id != UINT32_MAX) { /* UINT32_MAX: the bucket's id */
		snprintf(buf, sizeof(buf), "func#%u", id);
		slot = func_add(m, id, buf);
		m->nunknown += slot >= 0;
		return slot;
	}
	if (m->unknown_slot < 0)
		m->unknown_slot = (int32_t)func_add(m, UINT32_MAX, "func#?");
	return m->unknown_slot;
}

/* Layer of a record's function ID (made by func_of_record() when unknown:
 * layer "Other", as for every function without one). */
static int func_layer_of_record(struct nt_model *m, uint32_t id)
{
	int64_t slot = func_of_record(m, id);

	if (slot < 0)
		return layer_intern(m, "Other");
	if (m->funcs[slot].layer < 0)
		m->funcs[slot].layer = layer_intern(m, "Other");
	return m->funcs[slot].layer;
}

static const char *jstr(const cJSON *o, const char *k, const char *def)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) && v->valuestring ? v->valuestring : def;
}

static double jnum(const cJSON *o, const char *k, double def)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsNumber(v) ? v->valuedouble : def;
}

/* Non-negative integer field <= max; 0 when absent, negative or out of range
 * (casting a double outside the target type is undefined behaviour). */
static uint64_t jnum_u(const cJSON *o, const char *k, uint64_t max)
{
	double v = jnum(o, k, 0);

	if (!(v >= 0) || v >= 18446744073709551616.0 || v > (double)max)
		return 0;
	return (uint64_t)v;
}

static int kind_parse(const char *s)
{
	static const char *names[] = { "skb", "skb_pp", "skb_via", "nft_hook", "tracepoint" };

	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i]))
			return (int)i;
	return NT_KIND_SKB;
}

static int meta_funcs(struct nt_model *m, const cJSON *root)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "functions"), *f;
	int pos = 0, n;

	if (!cJSON_IsArray(arr))
		return -EINVAL;
	/* the direct id table covers up to twice the entries of the block */
	n = cJSON_GetArraySize(arr);
	if (m->nby_id == 0 && m->func_sparse.count == 0 && (uint64_t)n * 2 > m->dense_max)
		m->dense_max = (uint64_t)n * 2 < MAX_FUNC_ID ? (uint32_t)n * 2 : MAX_FUNC_ID;
	cJSON_ArrayForEach(f, arr) {
		double idd = jnum(f, "id", pos), pr;
		uint32_t id;
		int64_t slot;
		struct nt_func_info *fi;
		char buf[32];

		pos++;
		if (idd < 0 || idd >= MAX_FUNC_ID)
			continue;
		id = (uint32_t)idd;
		slot = func_slot(m, id);
		if (slot < 0) {
			snprintf(buf, sizeof(buf), "func#%u", id);
			slot = func_add(m, id, buf);
			if (slot < 0)
				return -ENOMEM;
		}
		fi = &m->funcs[slot];
		fi->name = arena_strdup(&m->arena, jstr(f, "name", fi->name));
		fi->layer_name = arena_strdup(&m->arena, jstr(f, "layer", "Other"));
		fi->layer = layer_intern(m, fi->layer_name);
		fi->layer_name = m->layers[fi->layer];
		pr = jnum(f, "priority", 3);
		fi->priority = pr >= 0 && pr <= 3 ? (int)pr : 3;
		fi->kind = kind_parse(jstr(f, "kind", "skb"));
	}
	return 0;
}

static uint64_t rule_key(int exact, uint32_t netns, uint8_t family, const char *table,
			 const char *chain, uint64_t handle)
{
	uint64_t h = NT_FNV_OFFSET;

	if (exact) {
		h = nt_fnv1a(h, &netns, sizeof(netns));
		h = nt_fnv1a(h, &family, 1);
	}
	h = nt_fnv1a(h, table, strlen(table) + 1);
	h = nt_fnv1a(h, chain, strlen(chain) + 1);
	h = nt_fnv1a(h, &handle, sizeof(handle));
	return h ? h : 1;
}

static int meta_ruleset(struct nt_model *m, const cJSON *root)
{
	const cJSON *tables = cJSON_GetObjectItemCaseSensitive(root, "tables"), *t, *c, *r;

	if (!cJSON_IsArray(tables))
		return -EINVAL;
	cJSON_ArrayForEach(t, tables) {
		uint32_t netns = (uint32_t)jnum_u(t, "netns", UINT32_MAX);
		int fp = nt_nfproto_parse(jstr(t, "family", ""));
		uint8_t fam = fp < 0 ? 0 : (uint8_t)fp;
		char tname[NT_NAME_LEN];
		const cJSON *chains = cJSON_GetObjectItemCaseSensitive(t, "chains");

		snprintf(tname, sizeof(tname), "%s", jstr(t, "name", ""));
		cJSON_ArrayForEach(c, chains) {
			char cname[NT_NAME_LEN];
			const cJSON *rules = cJSON_GetObjectItemCaseSensitive(c, "rules");

			snprintf(cname, sizeof(cname), "%s", jstr(c, "name", ""));
			cJSON_ArrayForEach(r, rules) {
				uint64_t handle = jnum_u(r, "handle", UINT64_MAX);
				const char *text = jstr(r, "text", NULL);
				uint32_t idx;

				if (!text)
					continue;
				if (m->nrules == m->rules_cap) {
					uint32_t cap = m->rules_cap ? m->rules_cap * 2 : 64;
					const char **n = realloc(m->rule_texts, cap * sizeof(*n));

					if (!n)
						return -ENOMEM;
					m->rule_texts = n;
					m->rules_cap = cap;
				}
				idx = m->nrules++;
				m->rule_texts[idx] = arena_strdup(&m->arena, text);
				if (map_put(&m->rule_exact, rule_key(1, netns, fam, tname, cname, handle), idx) ||
				    map_put(&m->rule_loose, rule_key(0, 0, 0, tname, cname, handle), idx))
					return -ENOMEM;
			}
		}
	}
	return 0;
}

static int meta_ifaces(struct nt_model *m, const cJSON *root)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "interfaces"), *i;

	if (!cJSON_IsArray(arr))
		return -EINVAL;
	cJSON_ArrayForEach(i, arr) {
		uint64_t key = jnum_u(i, "netns", UINT32_MAX) << 32 | jnum_u(i, "ifindex", UINT32_MAX);
		uint32_t idx;

		if (!key || strs_add(m, jstr(i, "name", "?"), &idx) || map_put(&m->ifmap, key, idx))
			continue;
	}
	return 0;
}

static int meta_reasons(struct nt_model *m, const cJSON *root)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "reasons"), *i;

	if (!cJSON_IsArray(arr))
		return -EINVAL;
	cJSON_ArrayForEach(i, arr) {
		double v = jnum(i, "value", -1);

		if (v >= 0 && v < MAX_DROP_REASON)
			m->reasons[(int)v] = arena_strdup(&m->arena, jstr(i, "name", "?"));
	}
	return 0;
}

int nt_model_meta(struct nt_model *m, uint16_t type, const char *json, size_t len)
{
	cJSON *root = cJSON_ParseWithLength(json, len);
	int err = 0;

	if (!root || !cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return -EINVAL;
	}
	switch (type) {
	case NTL_B_HEADER:
		cJSON_Delete(m->header);
		m->header = root;
		return 0;
	case NTL_B_FUNCS: err = meta_funcs(m, root); break;
	case NTL_B_RULESET: err = meta_ruleset(m, root); break;
	case NTL_B_IFACES: err = meta_ifaces(m, root); break;
	case NTL_B_DROP_REASONS: err = meta_reasons(m, root); break;
	default: break;
	}
	cJSON_Delete(root);
	return err;
}

/* ---- packets ---- */
static struct nt_packet *pkt_new(struct nt_model *m, uint64_t skb, uint64_t ts)
{
	struct nt_packet *p;
	uint32_t slot;

	if (m->nfree) {
		slot = m->free_slots[--m->nfree];
	} else {
		if (m->pool_len == m->pool_cap) {
			uint32_t cap = m->pool_cap ? m->pool_cap * 2 : 256;
			struct nt_packet *n = realloc(m->pool, cap * sizeof(*n));
			uint32_t *f = realloc(m->free_slots, cap * sizeof(*f));

			if (n)
				m->pool = n;
			if (f)
				m->free_slots = f;
			if (!n || !f)
				return NULL;
			m->pool_cap = cap;
		}
		slot = m->pool_len++;
		m->pool[slot].ev = NULL;
		m->pool[slot].ev_cap = 0;
	}
	p = &m->pool[slot];
	{
		uint8_t *ev = p->ev;
		size_t cap = p->ev_cap;

		memset(p, 0, sizeof(*p));
		p->ev = ev;
		p->ev_cap = cap;
	}
	p->slot = slot;
	p->id = ++m->t.packets;
	p->skb = skb;
	p->first_ts = p->last_ts = ts;
	p->verdict = NT_V_NONE;
	p->last_layer = -1;
	m->t.open++;
	if (m->t.open > m->t.max_open)
		m->t.max_open = m->t.open;
	if (skb) {
		if (map_put(&m->skb_map, skb, slot)) {
			m->t.open--;
			m->t.packets--;
			m->free_slots[m->nfree++] = slot;
			return NULL;
		}
		p->live_skbs = 1;
	}
	return p;
}

static void pkt_release(struct nt_model *m, uint32_t slot)
{
	struct nt_packet *p = &m->pool[slot];

	for (uint32_t i = 0; i < p->n_trace_ids; i++) {
		uint32_t *v = map_find(&m->trace_map, p->trace_ids[i]);

		if (v && *v == slot)
			map_del(&m->trace_map, p->trace_ids[i]);
	}
	p->id = 0;
	p->ev_len = 0;
	m->free_slots[m->nfree++] = slot;
}

static void pkt_complete(struct nt_model *m, struct nt_packet *p, int incomplete)
{
	p->incomplete = incomplete;
	m->t.open--;
	if (incomplete)
		m->t.incomplete++;
	else
		m->t.completed++;
	if (m->o.on_packet)
		m->o.on_packet(m->o.ctx, p);
}

/* Unmap SKB from its packet; complete the packet when it was the last skb. */
static void skb_gone(struct nt_model *m, struct nt_packet *p, uint64_t skb)
{
	uint32_t *v = map_find(&m->skb_map, skb);

	if (v && *v == p->slot) {
		map_del(&m->skb_map, skb);
		if (p->live_skbs)
			p->live_skbs--;
	}
	if (!p->live_skbs) {
		pkt_complete(m, p, 0);
		m->pending_release = p->slot;
	}
}

static struct nt_packet *pkt_of_skb(struct nt_model *m, uint64_t skb, uint64_t ts, int create)
{
	uint32_t *v = map_find(&m->skb_map, skb);

	if (v) {
		struct nt_packet *p = &m->pool[*v];

		/* idle too long and this is its only skb: its free was missed */
		if (!(ts > p->last_ts && ts - p->last_ts > m->idle_ns && p->live_skbs == 1 &&
		      (int64_t)p->slot != m->pending_release))
			return p;
		map_del(&m->skb_map, skb);
		p->expired = 1;
		m->t.expired++;
		pkt_complete(m, p, 1);
		pkt_release(m, p->slot);
	}
	return create ? pkt_new(m, skb, ts) : NULL;
}

static inline int terminal(int32_t v)
{
	return v >= NT_V_DROP && v <= NT_V_STOP;
}

static void set_verdict(struct nt_packet *p, int32_t v, uint64_t chain, uint64_t rule, int kind)
{
	if (p->verdict == NT_V_DROP && v != NT_V_DROP)
		return;
	p->verdict = v;
	p->verdict_chain = chain;
	p->verdict_rule = rule;
	p->verdict_kind = kind;
}

static void trace_remember(struct nt_model *m, struct nt_packet *p, uint32_t tid)
{
	for (uint32_t i = 0; i < p->n_trace_ids; i++)
		if (p->trace_ids[i] == tid)
			return;
	if (p->n_trace_ids == NT_MODEL_MAX_TRACE_IDS) {
		uint32_t *v = map_find(&m->trace_map, p->trace_ids[0]);

		if (v && *v == p->slot)
			map_del(&m->trace_map, p->trace_ids[0]);
		memmove(p->trace_ids, p->trace_ids + 1, sizeof(uint32_t) * (NT_MODEL_MAX_TRACE_IDS - 1));
		p->n_trace_ids--;
	}
	p->trace_ids[p->n_trace_ids++] = tid;
	map_put(&m->trace_map, tid, p->slot);
}

static void keep(struct nt_packet *p, const void *rec, size_t len)
{
	if (p->ev_len + len > p->ev_cap) {
		size_t cap = p->ev_cap ? p->ev_cap * 2 : 1024;
		uint8_t *n;

		while (cap < p->ev_len + len)
			cap *= 2;
		n = realloc(p->ev, cap);
		if (!n)
			return;
		p->ev = n;
		p->ev_cap = cap;
	}
	memcpy(p->ev + p->ev_len, rec, len);
	p->ev_len += len;
}

/* NT_EV_LOSS counts are cumulative per (source, cpu, id): ringbuf per CPU,
 * netlink per network namespace (hdr.id, cpu 0xffff).  The total is the sum
 * over keys of the largest count seen. */
static void loss_update(struct nt_model *m, const struct nt_ev_loss *l)
{
	uint32_t src = l->source;
	uint64_t key = ((uint64_t)src << 56 | (uint64_t)l->h.cpu << 32 | l->h.id) + 1, *tot;
	uint32_t *v;

	if (src < NT_LOSS_RINGBUF || src > NT_LOSS_USER)
		return;
	tot = src == NT_LOSS_RINGBUF ? &m->t.lost_ringbuf :
	      src == NT_LOSS_NETLINK ? &m->t.lost_netlink : &m->t.lost_user;
	v = map_find(&m->loss_map, key);
	if (!v) {
		if (m->nloss == m->loss_cap) {
			uint32_t cap = m->loss_cap ? m->loss_cap * 2 : 64;
			uint64_t *n;

			if (cap > (1u << 20))
				return;
			n = realloc(m->loss, cap * sizeof(*n));
			if (!n)
				return;
			m->loss = n;
			m->loss_cap = cap;
		}
		if (map_put(&m->loss_map, key, m->nloss))
			return;
		m->loss[m->nloss] = 0;
		v = map_find(&m->loss_map, key);
		m->nloss++;
	}
	if (l->count > m->loss[*v]) {
		*tot += l->count - m->loss[*v];
		m->loss[*v] = l->count;
	}
}

static void chain_define(struct nt_model *m, const struct nt_ev_nft_chaindef *d)
{
	uint32_t *v = map_find(&m->chain_map, d->chain_key);
	struct nt_ev_nft_chaindef *c;

	if (!d->chain_key)
		return;
	if (v) {
		c = &m->chains[*v];
	} else {
		if (m->nchains == m->chains_cap) {
			uint32_t cap = m->chains_cap ? m->chains_cap * 2 : 64;
			struct nt_ev_nft_chaindef *n = realloc(m->chains, cap * sizeof(*n));

			if (!n)
				return;
			m->chains = n;
			m->chains_cap = cap;
		}
		if (map_put(&m->chain_map, d->chain_key, m->nchains))
			return;
		c = &m->chains[m->nchains++];
	}
	*c = *d;
	c->table[NT_NAME_LEN - 1] = 0;
	c->chain[NT_NAME_LEN - 1] = 0;
}

static int cmp_slot_id(const void *a, const void *b, void *ctx);

/* Complete packets idle for more than idle_ns before NOW as expired. */
static void sweep(struct nt_model *m, uint64_t now)
{
	uint32_t n = 0, *exp;

	if (!m->t.open)
		return;
	exp = malloc(m->pool_len * sizeof(*exp));
	if (!exp)
		return;
	for (uint32_t i = 0; i < m->pool_len; i++) {
		struct nt_packet *p = &m->pool[i];

		if (p->id && (int64_t)i != m->pending_release && now > p->last_ts &&
		    now - p->last_ts > m->idle_ns) {
			p->expired = 1;
			exp[n++] = i;
		}
	}
	if (n) {
		/* drop every skb of the expired packets from the map */
		for (uint32_t j = 0; j <= m->skb_map.mask; j++) {
			uint64_t key = m->skb_map.keys[j];

			if (key && m->pool[m->skb_map.vals[j]].expired) {
				map_del(&m->skb_map, key);
				j--; /* backward shift may have moved another entry here */
			}
		}
		qsort_r(exp, n, sizeof(*exp), cmp_slot_id, m->pool);
		for (uint32_t i = 0; i < n; i++) {
			struct nt_packet *p = &m->pool[exp[i]];

			m->t.expired++;
			pkt_complete(m, p, 1);
			pkt_release(m, p->slot);
		}
	}
	free(exp);
}

const struct nt_packet *nt_model_event(struct nt_model *m, const void *rec, size_t len)
{
	const struct nt_ev_hdr *h = rec;
	struct nt_packet *p = NULL;
	uint64_t ts;

	if (m->pending_release >= 0) {
		pkt_release(m, (uint32_t)m->pending_release);
		m->pending_release = -1;
	}
	m->cur = -1;
	if (len < sizeof(*h) || nt_ev_size(h->type) != len) {
		m->t.bad_records++;
		return NULL;
	}
	ts = h->ts_ns;
	m->t.events++;
	m->t.by_type[h->type]++;
	if (ts) {
		if (!m->t.first_ts || ts < m->t.first_ts)
			m->t.first_ts = ts;
		if (ts > m->t.last_ts)
			m->t.last_ts = ts;
		if (m->idle_ns != UINT64_MAX && ts >= m->next_sweep) {
			if (m->next_sweep)
				sweep(m, ts);
			m->next_sweep = ts + (m->idle_ns / 4 ? m->idle_ns / 4 : 1);
		}
	}
	switch (h->type) {
	case NT_EV_NFT_CHAINDEF:
		chain_define(m, rec);
		return NULL;
	case NT_EV_LOSS:
		loss_update(m, rec);
		return NULL;
	case NT_EV_LINK: {
		const struct nt_ev_link *l = rec;
		uint32_t *v;

		if (!h->skb || !l->parent) {
			m->t.uncorrelated++;
			return NULL;
		}
		p = pkt_of_skb(m, l->parent, ts, 1);
		if (!p)
			return NULL;
		v = map_find(&m->skb_map, h->skb);
		if (v && *v != p->slot) {
			/* the child had its own packet: it leaves it */
			struct nt_packet *q = &m->pool[*v];

			map_del(&m->skb_map, h->skb);
			if (q->live_skbs && !--q->live_skbs) {
				pkt_complete(m, q, 0);
				pkt_release(m, q->slot);
			}
			v = NULL;
		}
		if (!v && !map_put(&m->skb_map, h->skb, p->slot))
			p->live_skbs++;
		if (l->kind == NT_LINK_REALLOC && l->parent != h->skb) {
			uint32_t *pv = map_find(&m->skb_map, l->parent);

			if (pv && *pv == p->slot) {
				map_del(&m->skb_map, l->parent);
				p->live_skbs--;
			}
		} else {
			p->n_branches++;
		}
		break;
	}
	case NT_EV_NFT_CHAIN:
	case NT_EV_NFT_RULE: {
		uint32_t tid = h->type == NT_EV_NFT_CHAIN ? ((const struct nt_ev_nft_chain *)rec)->trace_id
							   : ((const struct nt_ev_nft_rule *)rec)->trace_id;

		if (h->skb) {
			p = pkt_of_skb(m, h->skb, ts, 1);
			if (p && tid)
				trace_remember(m, p, tid);
		} else if (tid) {
			uint32_t *v = map_find(&m->trace_map, tid);

			if (v)
				p = &m->pool[*v];
		}
		if (!p) {
			m->t.uncorrelated++;
			return NULL;
		}
		break;
	}
	default:
		if (!h->skb) {
			m->t.uncorrelated++;
			return NULL;
		}
		p = pkt_of_skb(m, h->skb, ts, 1);
		if (!p)
			return NULL;
		break;
	}

	/* time in layer: from a FUNC record of layer L to the packet's next record.
	 * An inferred FREE (NT_F_INFERRED: the free was not seen, the recorder
	 * noticed the address reused) carries the time of the reuse, not of the
	 * free: it neither ends a layer interval nor extends the packet. */
	if (h->type == NT_EV_FREE && (h->flags & NT_F_INFERRED)) {
		p->last_layer = -1;
	} else {
		if (p->last_layer >= 0 && ts >= p->last_func_ts)
			p->layer_ns[p->last_layer] += ts - p->last_func_ts;
		p->last_layer = -1;
		if (ts > p->last_ts)
			p->last_ts = ts;
	}
	p->n_events++;
	if (ts && (ts < p->first_ts || !p->first_ts))
		p->first_ts = ts;
	if (m->o.keep_events)
		keep(p, rec, len);
	m->cur = p->slot;

	switch (h->type) {
	case NT_EV_FUNC: {
		int layer = func_layer_of_record(m, h->id);

		p->n_funcs++;
		p->layer_seen |= 1u << layer;
		p->last_layer = layer;
		p->last_func_ts = ts;
		break;
	}
	case NT_EV_META:
		if (!p->has_meta) {
			p->meta = *(const struct nt_ev_meta *)rec;
			p->has_meta = 1;
		}
		break;
	case NT_EV_NFT_CHAIN: {
		const struct nt_ev_nft_chain *c = rec;

		if (c->phase == NT_CHAIN_ENTER)
			p->n_chains++;
		else if (c->depth == 0 && terminal(c->verdict) &&
			 !(p->verdict == c->verdict && p->verdict_chain && p->verdict_kind))
			/* a chain exit does not take the attribution from the rule /
			 * policy record that gave the same verdict */
			set_verdict(p, c->verdict, c->chain_key, 0, 0);
		break;
	}
	case NT_EV_NFT_RULE: {
		const struct nt_ev_nft_rule *r = rec;

		p->n_rules++;
		if (terminal(r->verdict))
			set_verdict(p, r->verdict, r->chain_key, r->kind == NT_RULE_KIND_RULE ? r->rule_handle : 0,
				    r->kind);
		break;
	}
	case NT_EV_DROP: {
		const struct nt_ev_drop *d = rec;

		func_layer_of_record(m, h->id);
		p->dropped = 1;
		p->drop_reason = d->reason;
		p->drop_func = h->id;
		p->drop_location = d->location;
		if (p->verdict != NT_V_DROP)
			set_verdict(p, NT_V_DROP, 0, 0, 0);
		skb_gone(m, p, h->skb);
		break;
	}
	case NT_EV_FREE:
		func_layer_of_record(m, h->id);
		skb_gone(m, p, h->skb);
		break;
	default:
		break;
	}
	return p;
}

static int cmp_slot_id(const void *a, const void *b, void *ctx)
{
	const struct nt_packet *pool = ctx;
	uint64_t x = pool[*(const uint32_t *)a].id, y = pool[*(const uint32_t *)b].id;

	return x < y ? -1 : x > y;
}

void nt_model_finish(struct nt_model *m)
{
	uint32_t *open, n = 0;

	if (m->pending_release >= 0) {
		pkt_release(m, (uint32_t)m->pending_release);
		m->pending_release = -1;
	}
	m->cur = -1;
	open = malloc((m->pool_len ? m->pool_len : 1) * sizeof(*open));
	if (!open)
		return;
	for (uint32_t i = 0; i < m->pool_len; i++) {
		if (m->pool[i].id)
			open[n++] = i;
	}
	qsort_r(open, n, sizeof(*open), cmp_slot_id, m->pool);
	for (uint32_t i = 0; i < n; i++) {
		struct nt_packet *p = &m->pool[open[i]];

		pkt_complete(m, p, 1);
		pkt_release(m, p->slot);
	}
	free(open);
	map_free(&m->skb_map);
	map_init(&m->skb_map, 4096);
}

/* ---- lookups ---- */
const struct nt_model_totals *nt_model_totals(const struct nt_model *m)
{
	return &m->t;
}

const struct nt_func_info *nt_model_func(const struct nt_model *m, uint32_t id)
{
	static const struct nt_func_info unknown = { "func#?", "Other", 0, 3, 0, UINT32_MAX, UINT32_MAX };
	int64_t slot = func_slot(m, id);

	if (slot < 0) /* the records' ids past the named ones: the shared entry (layer Other) */
		slot = m->unknown_slot;
	return slot >= 0 ? &m->funcs[slot] : &unknown;
}

const struct nt_func_info *nt_model_func_at(const struct nt_model *m, uint32_t slot)
{
	return slot < m->nfuncs ? &m->funcs[slot] : nt_model_func(m, UINT32_MAX);
}

uint32_t nt_model_func_slot(const struct nt_model *m, uint32_t id)
{
	int64_t slot = func_slot(m, id);

	return slot >= 0 ? (uint32_t)slot : UINT32_MAX;
}

uint32_t nt_model_func_count(const struct nt_model *m)
{
	return m->nfuncs;
}

int nt_model_layer_count(const struct nt_model *m)
{
	return m->nlayers;
}

const char *nt_model_layer_name(const struct nt_model *m, int layer)
{
	return layer >= 0 && layer < m->nlayers ? m->layers[layer] : "Other";
}

const struct nt_ev_nft_chaindef *nt_model_chain(const struct nt_model *m, uint64_t key)
{
	const uint32_t *v = key ? map_find(&m->chain_map, key) : NULL;

	return v ? &m->chains[*v] : NULL;
}

const char *nt_model_rule_text(const struct nt_model *m, uint64_t chain_key, uint64_t handle)
{
	const struct nt_ev_nft_chaindef *c = nt_model_chain(m, chain_key);
	const uint32_t *v;

	if (!c || !handle)
		return NULL;
	v = map_find(&m->rule_exact, rule_key(1, c->netns, c->family, c->table, c->chain, handle));
	if (!v)
		v = map_find(&m->rule_loose, rule_key(0, 0, 0, c->table, c->chain, handle));
	return v ? m->rule_texts[*v] : NULL;
}

const char *nt_model_drop_reason(const struct nt_model *m, uint32_t reason)
{
	return reason < MAX_DROP_REASON ? m->reasons[reason] : NULL;
}

const char *nt_model_ifname(const struct nt_model *m, uint32_t netns, uint32_t ifindex)
{
	const uint32_t *v = map_find(&m->ifmap, (uint64_t)netns << 32 | ifindex);

	return v ? m->strs[*v] : NULL;
}

const char *nt_model_header_str(const struct nt_model *m, const char *field)
{
	return m->header ? jstr(m->header, field, NULL) : NULL;
}

const struct nt_packet *nt_model_current(const struct nt_model *m)
{
	return m->cur >= 0 ? &m->pool[m->cur] : NULL;
}
