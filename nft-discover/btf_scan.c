// SPDX-License-Identifier: GPL-2.0
/*
 * btf_scan.c - skb argument detection over libbpf's btf API.
 */
#include <errno.h>
#include <string.h>

#include <bpf/btf.h>

#include "common/records.h"
#include "nft-discover/btf_scan.h"

#define MAX_ARGS 5
#define TP_PREFIX "btf_trace_"

/* Structs through which a function reaches the skb: struct -> member. */
static const struct {
	const char *st;
	const char *member;
} via_table[] = {
	{ "nft_pktinfo", "skb" },    /* nf_tables expression / chain evaluation */
	{ "nf_queue_entry", "skb" }, /* NFQUEUE */
};

/* Skip const / volatile / restrict / typedef / type tags. */
static const struct btf_type *skip_mods(const struct btf *btf, uint32_t *id)
{
	const struct btf_type *t = btf__type_by_id(btf, *id);
	int guard = 32;

	while (t && guard--) {
		switch (btf_kind(t)) {
		case BTF_KIND_CONST:
		case BTF_KIND_VOLATILE:
		case BTF_KIND_RESTRICT:
		case BTF_KIND_TYPEDEF:
		case BTF_KIND_TYPE_TAG:
			*id = t->type;
			t = btf__type_by_id(btf, *id);
			break;
		default:
			return t;
		}
	}
	return NULL;
}

/* Name at off, "" when the offset is outside the string section (corrupt BTF:
 * libbpf does not check every name offset). */
static const char *bname(const struct btf *btf, uint32_t off)
{
	const char *s = btf__name_by_offset(btf, off);

	return s ? s : "";
}

static int is_struct_named(const struct btf *btf, const struct btf_type *t, const char *name)
{
	if (!t || (!btf_is_struct(t) && !btf_is_fwd(t)))
		return 0;
	return !strcmp(bname(btf, t->name_off), name);
}

/* pointer (through mods) to struct sk_buff? */
static int is_skb_ptr(const struct btf *btf, uint32_t id)
{
	const struct btf_type *t = skip_mods(btf, &id);

	if (!t || !btf_is_ptr(t))
		return 0;
	id = t->type;
	return is_struct_named(btf, skip_mods(btf, &id), "sk_buff");
}

/* struct t has a member `member` of type struct sk_buff *? */
static int has_skb_member(const struct btf *btf, const struct btf_type *t, const char *member)
{
	const struct btf_member *m;
	int i, n;

	if (!btf_is_struct(t))
		return 0;
	m = btf_members(t);
	n = btf_vlen(t);
	for (i = 0; i < n; i++, m++) {
		if (strcmp(bname(btf, m->name_off), member))
			continue;
		return is_skb_ptr(btf, m->type);
	}
	return 0;
}

int nt_btf_param_kind(const struct btf *btf, uint32_t id, const char **via_struct,
		      const char **via_member)
{
	const struct btf_type *t = skip_mods(btf, &id), *pt;
	const char *name;
	size_t i;

	if (!t || !btf_is_ptr(t))
		return -1;
	id = t->type;
	pt = skip_mods(btf, &id);
	if (!pt)
		return -1;
	if (btf_is_ptr(pt))
		return is_skb_ptr(btf, id) ? NT_KIND_SKB_PP : -1;
	if (!btf_is_struct(pt) && !btf_is_fwd(pt))
		return -1;
	name = btf__name_by_offset(btf, pt->name_off);
	if (!name)
		return -1;
	if (!strcmp(name, "sk_buff"))
		return NT_KIND_SKB;
	for (i = 0; i < sizeof(via_table) / sizeof(via_table[0]); i++) {
		if (strcmp(name, via_table[i].st) || !has_skb_member(btf, pt, via_table[i].member))
			continue;
		if (via_struct)
			*via_struct = via_table[i].st;
		if (via_member)
			*via_member = via_table[i].member;
		return NT_KIND_SKB_VIA;
	}
	return -1;
}

/* Best skb argument of a proto among params [first, first + MAX_ARGS).
 * Preference: skb > skb_pp > via, then lowest position. */
static int proto_skb_arg(const struct btf *btf, const struct btf_type *proto, int first,
			 int *kind, const char **vs, const char **vm)
{
	const struct btf_param *p = btf_params(proto);
	int n = btf_vlen(proto), best = -1, best_kind = -1, i;
	const char *bvs = NULL, *bvm = NULL;

	for (i = first; i < n && i < first + MAX_ARGS; i++) {
		const char *s = NULL, *m = NULL;
		int k;

		if (!p[i].type) /* varargs */
			break;
		k = nt_btf_param_kind(btf, p[i].type, &s, &m);
		if (k < 0)
			continue;
		/* NT_KIND_SKB 0 < SKB_PP 1 < SKB_VIA 2: lower is better */
		if (best < 0 || k < best_kind) {
			best = i;
			best_kind = k;
			bvs = s;
			bvm = m;
			if (k == NT_KIND_SKB)
				break;
		}
	}
	if (best < 0)
		return -1;
	*kind = best_kind;
	*vs = bvs;
	*vm = bvm;
	return best - first + 1;
}

static int is_nft_hook_name(const char *name)
{
	return !strncmp(name, "nft_do_chain", 12) && (name[12] == 0 || name[12] == '_');
}

int nt_btf_scan(const struct btf *btf, int want_tp, nt_btf_hit_fn cb, void *ctx,
		struct nt_btf_scan_stats *st)
{
	const struct btf *base = btf__base_btf(btf);
	uint32_t id = base ? btf__type_cnt(base) : 1, n = btf__type_cnt(btf);
	struct nt_btf_scan_stats s = { 0 };
	int err = 0;

	for (; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id), *proto;
		struct nt_btf_hit h = { 0 };
		uint32_t pid;
		int first;

		if (!t)
			continue;
		if (btf_is_func(t)) {
			s.funcs++;
			pid = t->type;
			first = 0;
		} else if (want_tp && btf_is_typedef(t)) {
			const char *nm = btf__name_by_offset(btf, t->name_off);
			const struct btf_type *pt;
			if (!nm || strncmp(nm, TP_PREFIX, sizeof(TP_PREFIX) - 1))
				continue;
			s.tracepoints++;
			pid = t->type;
			pt = skip_mods(btf, &pid);
			if (!pt || !btf_is_ptr(pt))
				continue;
			pid = pt->type;
			first = 1; /* param 0 is the raw tracepoint context */
		} else {
			continue;
		}
		proto = skip_mods(btf, &pid);
		if (!proto || !btf_is_func_proto(proto))
			continue;
		h.arg = proto_skb_arg(btf, proto, first, &h.kind, &h.via_struct, &h.via_member);
		if (h.arg < 0)
			continue;
		if (first) {
			if (h.kind == NT_KIND_SKB_PP)
				continue; /* no tracepoint passes sk_buff **; keep the rule simple */
			h.name = btf__name_by_offset(btf, t->name_off) + sizeof(TP_PREFIX) - 1;
			h.kind = NT_KIND_TRACEPOINT;
		} else {
			h.name = bname(btf, t->name_off);
			if (is_nft_hook_name(h.name))
				h.kind = NT_KIND_NFT_HOOK;
		}
		if (!h.name || !*h.name)
			continue;
		h.btf_id = id;
		s.hits++;
		err = cb(&h, ctx);
		if (err < 0)
			break;
	}
	if (st)
		*st = s;
	return err < 0 ? err : 0;
}
