// SPDX-License-Identifier: GPL-2.0
/* model_meta.c - the model's metadata tables: FUNCS, RULESET, IFACES,
 * DROP_REASONS, HEADER blocks, and the lookups over them (see model.h). */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "common/hash.h"
#include "common/layers.h"
#include "common/sat.h"
#include "formats/ntlog.h"
#include "model/model_int.h"

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
	m->layers[m->nlayers] = model_strdup(m, &m->arena, name);
	return m->nlayers++;
}

int model_layer_intern(struct nt_model *m, const char *name)
{
	return layer_intern(m, name);
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

		if (!f) {
			m->oom = 1;
			return -1;
		}
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
				if (!t) {
					m->oom = 1;
					return -1;
				}
				memset(t + m->nby_id, 0, (n - m->nby_id) * sizeof(*t));
				m->by_id = t;
				m->nby_id = n;
			}
			m->by_id[id] = m->nfuncs + 1;
		} else if (map_put(&m->func_sparse, (uint64_t)id + 1, m->nfuncs)) {
			m->oom = 1;
			return -1;
		}
	}
	fi = &m->funcs[m->nfuncs];
	fi->name = model_strdup(m, &m->arena, name);
	fi->layer_name = "Other";
	fi->layer = -1;
	fi->priority = 3;
	fi->kind = NT_KIND_SKB;
	fi->role = NT_FROLE_NONE;
	fi->id = id;
	fi->slot = m->nfuncs;
	return m->nfuncs++;
}

/* Entry of a record's function ID, made ("func#N") when FUNCS lacks it; past
 * MAX_UNKNOWN_FUNCS such ids, one shared "func#?" entry.  -1: out of memory. */
int64_t func_of_record(struct nt_model *m, uint32_t id)
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
int func_layer_of_record(struct nt_model *m, uint32_t id)
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

/* Roles of functions for logs whose FUNCS block has no "role" (format
 * version 1, recorders before it): the recorder's own table (common/layers.c
 * nt_func_role), by name ("subsystem:event" for a tracepoint). */
static int role_of_name(const char *name)
{
	return nt_func_role(name, name && strchr(name, ':') != NULL);
}

static int role_parse(const char *s, const char *name)
{
	static const char *names[] = { "", "alloc", "free", "drop", "deliver", "xmit" };

	if (!s)
		return role_of_name(name);
	for (unsigned i = 1; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i]))
			return (int)i;
	return NT_FROLE_NONE;
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
		fi->name = model_strdup(m, &m->arena, jstr(f, "name", fi->name));
		fi->layer_name = model_strdup(m, &m->arena, jstr(f, "layer", "Other"));
		fi->layer = layer_intern(m, fi->layer_name);
		fi->layer_name = m->layers[fi->layer];
		pr = jnum(f, "priority", 3);
		fi->priority = pr >= 0 && pr <= 3 ? (int)pr : 3;
		fi->kind = kind_parse(jstr(f, "kind", "skb"));
		fi->role = role_parse(jstr(f, "role", NULL), fi->name);
		if (!strcmp(fi->name, "kfree_skbmem")) {
			m->skbmem_traced = 1;
			m->skbmem_id = id;
		}
	}
	return 0;
}

/* HEADER options.netns: [{"name", "inum"}] -> names of namespaces */
static void meta_header_netns(struct nt_model *m, const cJSON *root)
{
	const cJSON *o = cJSON_GetObjectItemCaseSensitive(root, "options"), *arr, *e;

	arr = o ? cJSON_GetObjectItemCaseSensitive(o, "netns") : NULL;
	cJSON_ArrayForEach(e, arr) {
		uint64_t inum = jnum_u(e, "inum", UINT32_MAX);
		const char *name = jstr(e, "name", NULL);
		uint32_t idx;

		if (!inum || !name || strs_add(m, name, &idx) || map_put(&m->nsmap, inum, idx))
			continue;
	}
}

static int cmp_ksym(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* KSYMS: {"symbols": [{"addr": "0x...", "name", "module"}]}, the union of
 * every block, kept sorted by address. */
static int meta_ksyms(struct nt_model *m, const cJSON *root)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "symbols"), *e;
	uint32_t n0 = m->nksyms;

	if (!cJSON_IsArray(arr))
		return -EINVAL;
	cJSON_ArrayForEach(e, arr) {
		const char *a = jstr(e, "addr", NULL), *name = jstr(e, "name", NULL), *mod;
		char *end;
		unsigned long long addr;
		char buf[256];

		if (!a || !name)
			continue;
		addr = strtoull(a, &end, 16);
		if (*end || !addr)
			continue;
		if (m->nksyms == m->ksyms_cap) {
			uint32_t cap = m->ksyms_cap ? m->ksyms_cap * 2 : 64;
			struct ksym *k;

			if (cap > (1u << 22))
				break;
			k = realloc(m->ksyms, cap * sizeof(*k));
			if (!k)
				return -ENOMEM;
			m->ksyms = k;
			m->ksyms_cap = cap;
		}
		mod = jstr(e, "module", "");
		if (*mod)
			snprintf(buf, sizeof(buf), "%s [%s]", name, mod);
		else
			snprintf(buf, sizeof(buf), "%s", name);
		m->ksyms[m->nksyms].addr = addr;
		{
			/* the function's length as the recorder knew it (KSYMS "size") */
			const cJSON *z = cJSON_GetObjectItemCaseSensitive(e, "size");

			m->ksyms[m->nksyms].size = cJSON_IsNumber(z) && z->valuedouble > 0 && z->valuedouble < 1e9 ?
						   (uint64_t)z->valuedouble : 0;
		}
		m->ksyms[m->nksyms].name = model_strdup(m, &m->arena, buf);
		m->nksyms++;
	}
	if (m->nksyms != n0)
		qsort(m->ksyms, m->nksyms, sizeof(*m->ksyms), cmp_ksym);
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

/* "mono_ns" of a RULESET block (valid from; a decimal string, or a number in
 * hand-made logs): 0 when absent (older logs: valid from the start). */
static uint64_t rs_mono_ns(const cJSON *root)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "mono_ns");
	char *end;
	unsigned long long n;

	if (cJSON_IsString(v) && v->valuestring) {
		errno = 0;
		n = strtoull(v->valuestring, &end, 10);
		return *v->valuestring && !*end && !errno ? (uint64_t)n : 0;
	}
	return jnum_u(root, "mono_ns", UINT64_MAX);
}

/* A version of a rule's text (a RULESET block where it is new or changed). */
static int rs_add(struct nt_model *m, uint64_t ke, uint64_t kl, const char *text, uint64_t from)
{
	const uint32_t *v = map_find(&m->rule_exact, ke);
	size_t len = strlen(text) + 1;
	uint32_t idx;

	if (v && !strcmp(m->rule_texts[*v], text))
		return 0; /* unchanged: the version in force goes on */
	if (nt_sat_add(m->rs_bytes, len) > m->lim.max[NT_LIM_STRINGS]) {
		nt_limit_hit(&m->lim, NT_LIM_STRINGS, 1); /* bounded: later versions unknown */
		return 0;
	}
	if (m->nrules == m->rules_cap) {
		uint32_t cap = m->rules_cap ? m->rules_cap * 2 : 64;
		const char **n = realloc(m->rule_texts, cap * sizeof(*n));
		uint64_t *f;
		uint32_t *p;

		if (n)
			m->rule_texts = n;
		f = n ? realloc(m->rule_from, cap * sizeof(*f)) : NULL;
		if (f)
			m->rule_from = f;
		p = f ? realloc(m->rule_prev, cap * sizeof(*p)) : NULL;
		if (!p) {
			m->oom = 1;
			return -ENOMEM;
		}
		m->rule_prev = p;
		m->rules_cap = cap;
	}
	idx = m->nrules++;
	m->rule_gen++;
	m->rule_texts[idx] = model_strdup(m, &m->rs_arena, text);
	m->rule_from[idx] = from;
	m->rule_prev[idx] = v ? *v : UINT32_MAX;
	m->rs_bytes += len;
	if (map_put(&m->rule_exact, ke, idx) || map_put(&m->rule_loose, kl, idx)) {
		m->oom = 1;
		return -ENOMEM;
	}
	return 0;
}

/*
 * A RULESET block (the start's, or a re-snapshot after rules or chains
 * changed, "mono_ns" = valid from) adds the rules that are new or whose text
 * changed as versions of their (netns, family, table, chain, handle); a rule's
 * versions are chained newest first, so each nft step gets the text of the
 * snapshot in force at its time (nt_model_rule_text_at).  Unchanged rules
 * cost nothing; the texts kept are bounded by the strings limit.
 */
static int meta_ruleset(struct nt_model *m, const cJSON *root)
{
	const cJSON *tables = cJSON_GetObjectItemCaseSensitive(root, "tables"), *t, *c, *r;
	uint64_t from = rs_mono_ns(root);

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

				if (text && rs_add(m, rule_key(1, netns, fam, tname, cname, handle),
						   rule_key(0, 0, 0, tname, cname, handle), text, from))
					return -ENOMEM;
			}
		}
	}
	return 0;
}

/* An IFACES block replaces the previous one (a re-snapshot). */
static int meta_ifaces(struct nt_model *m, const cJSON *root)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "interfaces"), *i;

	if (!cJSON_IsArray(arr))
		return -EINVAL;
	arena_free(&m->if_arena);
	m->nifn = 0;
	map_free(&m->ifmap);
	if (map_init(&m->ifmap, 64)) {
		m->oom = 1;
		return -ENOMEM;
	}
	cJSON_ArrayForEach(i, arr) {
		uint64_t key = jnum_u(i, "netns", UINT32_MAX) << 32 | jnum_u(i, "ifindex", UINT32_MAX);

		if (!key)
			continue;
		if (m->nifn == m->ifn_cap) {
			uint32_t cap = m->ifn_cap ? m->ifn_cap * 2 : 64;
			const char **n = realloc(m->ifn, cap * sizeof(*n));

			if (!n) {
				m->oom = 1;
				return -ENOMEM;
			}
			m->ifn = n;
			m->ifn_cap = cap;
		}
		m->ifn[m->nifn] = model_strdup(m, &m->if_arena, jstr(i, "name", "?"));
		if (map_put(&m->ifmap, key, m->nifn++))
			m->oom = 1;
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
			m->reasons[(int)v] = model_strdup(m, &m->arena, jstr(i, "name", "?"));
	}
	return 0;
}

/* Limits of the metadata (common/limits.h): at most meta_blocks blocks of a
 * type are read (the others are counted and skipped); the blocks the model
 * keeps (HEADER, KSYMS, FUNCS, RULESET, IFACES, DROP_REASONS: the kept strings cost
 * at most their JSON's size) may hold at most the strings limit together,
 * counted before parsing, so a block past it is not even parsed.  HEADER,
 * RULESET and IFACES replace the previous block of their type.  STACKS
 * blocks count as blocks (stacks.c bounds their entries); other types
 * (CLOCK, unknown) are not used by the model: not parsed. */
/* A fast hash of a metadata block (8 bytes at a time): an unchanged
 * re-snapshot is recognised without parsing it again. */
static uint64_t block_hash(const char *p, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ n, v;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		memcpy(&v, p + i, 8);
		h = (h ^ v) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	for (; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 0x100000001b3ull;
	return h ^ (h >> 29);
}

int nt_model_meta(struct nt_model *m, uint16_t type, const char *json, size_t len)
{
	unsigned k = type < NT_META_KINDS ? type : NT_META_KINDS - 1;
	int replaces = type == NTL_B_HEADER || type == NTL_B_RULESET || type == NTL_B_IFACES;
	uint64_t total;
	cJSON *root;
	int err = 0;

	if (type != NTL_B_HEADER && type != NTL_B_FUNCS && type != NTL_B_RULESET &&
	    type != NTL_B_IFACES && type != NTL_B_DROP_REASONS && type != NTL_B_KSYMS &&
	    type != NTL_B_STACKS)
		return 0;
	if (m->meta_blocks[k] >= m->lim.max[NT_LIM_META_BLOCKS]) {
		nt_limit_hit(&m->lim, NT_LIM_META_BLOCKS, 1);
		return 0;
	}
	m->meta_blocks[k]++;
	if (type == NTL_B_STACKS) /* binary (formats/stacks.h), bounded by stacks.c */
		return stacks_meta(m, json, len);
	if (replaces) { /* the same snapshot again (a periodic re-snapshot, or a flood): nothing to do */
		uint64_t h = block_hash(json, len);

		if (m->meta_len[k] == len && m->meta_hash[k] == h && m->meta_blocks[k] > 1)
			return 0;
		m->meta_len[k] = len;
		m->meta_hash[k] = h;
	}
	total = nt_sat_add(m->meta_bytes_total - (replaces ? m->meta_bytes[k] : 0), len);
	if (total > m->lim.max[NT_LIM_STRINGS]) {
		nt_limit_hit(&m->lim, NT_LIM_STRINGS, 1);
		return 0;
	}
	root = cJSON_ParseWithLength(json, len);
	if (!root || !cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return -EINVAL;
	}
	m->meta_bytes_total = total;
	m->meta_bytes[k] = replaces ? len : m->meta_bytes[k] + len;
	switch (type) {
	case NTL_B_HEADER:
		cJSON_Delete(m->header);
		m->header = root;
		meta_header_netns(m, root);
		return 0;
	case NTL_B_KSYMS: err = meta_ksyms(m, root); break;
	case NTL_B_FUNCS: err = meta_funcs(m, root); break;
	case NTL_B_RULESET: err = meta_ruleset(m, root); break;
	case NTL_B_IFACES: err = meta_ifaces(m, root); break;
	case NTL_B_DROP_REASONS: err = meta_reasons(m, root); break;
	default: break;
	}
	cJSON_Delete(root);
	return err == -ENOMEM ? 0 : err; /* out of memory: m->oom says it */
}

/* ---- lookups ---- */
const struct nt_model_totals *nt_model_totals(const struct nt_model *m)
{
	return &m->t;
}

const struct nt_func_info *nt_model_func(const struct nt_model *m, uint32_t id)
{
	static const struct nt_func_info unknown = { "func#?", "Other", 0, 3, 0, NT_FROLE_NONE,
						     UINT32_MAX, UINT32_MAX };
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

/* The newest version of rule HANDLE of chain CHAIN_KEY, UINT32_MAX: none */
static uint32_t rule_find(const struct nt_model *m, uint64_t chain_key, uint64_t handle)
{
	const struct nt_ev_nft_chaindef *c = nt_model_chain(m, chain_key);
	const uint32_t *v;

	if (!c || !handle)
		return UINT32_MAX;
	v = map_find(&m->rule_exact, rule_key(1, c->netns, c->family, c->table, c->chain, handle));
	if (!v)
		v = map_find(&m->rule_loose, rule_key(0, 0, 0, c->table, c->chain, handle));
	return v ? *v : UINT32_MAX;
}

const char *nt_model_rule_text_at(const struct nt_model *m, uint64_t chain_key, uint64_t handle,
				  uint64_t ts)
{
	/* (the memo is no part of the model's state: the printers' const model
	 * is used by one thread) */
	struct nt_model *mm = (struct nt_model *)m;
	unsigned k = (unsigned)((chain_key ^ (handle * 0x9e3779b97f4a7c15ull)) >> 60);
	uint32_t i;

	if (mm->rule_memo[k].gen != m->rule_gen + 1 || mm->rule_memo[k].chain_key != chain_key ||
	    mm->rule_memo[k].handle != handle) {
		mm->rule_memo[k].chain_key = chain_key;
		mm->rule_memo[k].handle = handle;
		mm->rule_memo[k].v = rule_find(m, chain_key, handle);
		mm->rule_memo[k].gen = m->rule_gen + 1;
	}
	if ((i = mm->rule_memo[k].v) == UINT32_MAX)
		return NULL;
	/* the newest version valid at TS; before every version: the oldest (a
	 * rule added after a snapshot is in the next one only) */
	for (; m->rule_from[i] > ts && m->rule_prev[i] != UINT32_MAX; i = m->rule_prev[i])
		;
	return m->rule_texts[i];
}

const char *nt_model_rule_text(const struct nt_model *m, uint64_t chain_key, uint64_t handle)
{
	return nt_model_rule_text_at(m, chain_key, handle, UINT64_MAX);
}

const char *nt_model_drop_reason(const struct nt_model *m, uint32_t reason)
{
	return reason < MAX_DROP_REASON ? m->reasons[reason] : NULL;
}

const char *nt_model_ifname(const struct nt_model *m, uint32_t netns, uint32_t ifindex)
{
	const uint32_t *v = map_find(&m->ifmap, (uint64_t)netns << 32 | ifindex);

	return v ? m->ifn[*v] : NULL;
}

const char *nt_model_netns_name(const struct nt_model *m, uint32_t inum)
{
	const uint32_t *v = inum ? map_find(&m->nsmap, inum) : NULL;

	return v ? m->strs[*v] : NULL;
}

const char *nt_model_symbolize(const struct nt_model *m, uint64_t addr, char *buf, size_t len)
{
	uint32_t lo = 0, hi = m->nksyms;

	/* the last symbol at or below addr */
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (m->ksyms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* past the symbol's size (KSYMS "size", when the recorder gave it), or
	 * without a size more than 1 MiB below: not the function holding addr */
	if (lo && (m->ksyms[lo - 1].size ? addr - m->ksyms[lo - 1].addr < m->ksyms[lo - 1].size :
				       addr - m->ksyms[lo - 1].addr < (1u << 20)))
		snprintf(buf, len, "%s+0x%llx", m->ksyms[lo - 1].name,
			 (unsigned long long)(addr - m->ksyms[lo - 1].addr));
	else
		snprintf(buf, len, "0x%llx", (unsigned long long)addr);
	return buf;
}

int nt_model_func_role(const struct nt_model *m, uint32_t id)
{
	return nt_model_func(m, id)->role;
}

/* A JSON number or a string of decimal digits (exact past 2^53) as u64. */
static int ju64(const cJSON *o, const char *k, uint64_t *v)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, k);
	char *end;

	if (cJSON_IsNumber(j) && j->valuedouble >= 0 && j->valuedouble < 1.8e19) {
		*v = (uint64_t)j->valuedouble;
		return 0;
	}
	if (cJSON_IsString(j) && j->valuestring && *j->valuestring >= '0' && *j->valuestring <= '9') {
		*v = strtoull(j->valuestring, &end, 10);
		return *end ? -EINVAL : 0;
	}
	return -ENOENT;
}

int nt_model_wall_offset(const struct nt_model *m, uint64_t *off)
{
	const cJSON *ref = m->header ? cJSON_GetObjectItemCaseSensitive(m->header, "clock_ref") : NULL;
	uint64_t mono, real;

	if (ref && !ju64(ref, "mono_ns", &mono) && !ju64(ref, "realtime_ns", &real) && real >= mono) {
		*off = real - mono;
		return 1;
	}
	if (m->header && !ju64(m->header, "boot_time_ns", off) && *off)
		return 1;
	*off = 0;
	return 0;
}

uint32_t nt_model_netns_inum(const struct nt_model *m, const char *name)
{
	const cJSON *opt = m->header ? cJSON_GetObjectItemCaseSensitive(m->header, "options") : NULL;
	const cJSON *arr = opt ? cJSON_GetObjectItemCaseSensitive(opt, "netns") : NULL, *i;

	cJSON_ArrayForEach(i, arr) {
		const char *n = jstr(i, "name", NULL);

		if (n && !strcmp(n, name))
			return (uint32_t)jnum_u(i, "inum", UINT32_MAX);
	}
	return 0;
}

const char *nt_model_header_str(const struct nt_model *m, const char *field)
{
	return m->header ? jstr(m->header, field, NULL) : NULL;
}

const struct nt_packet *nt_model_current(const struct nt_model *m)
{
	return m->cur >= 0 ? &m->pool[m->cur] : NULL;
}

struct nt_limits *nt_model_limits(const struct nt_model *m)
{
	return (struct nt_limits *)&m->lim;
}

int nt_model_oom(const struct nt_model *m)
{
	return m->oom;
}
