// SPDX-License-Identifier: GPL-2.0
/*
 * diff.c - nft-analyze diff (diff.h).
 *
 * Each log is reduced to one compact summary per packet (flow key, verdict,
 * nft path as rule TEXT, set of functions, drop reason) plus per-layer time
 * samples; records are not kept after their packet completes.  Summaries are
 * sorted by (flow, packet id) and merged: the n-th packet of a flow in BASE is
 * compared with the n-th packet of the same flow in NEW.
 */
#include <argp.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/tool.h"
#include "nft-analyze/cmds.h"
#include "model/output.h"
#include "common/strtab.h"
#include "model/walk.h"

enum dclass { C_VERDICT, C_RULE, C_FUNC, C_LATENCY, C_DROP, C_FLOW, C__N };
static const char *const class_names[C__N] = { "verdict", "rule", "func", "latency", "drop", "flow" };

struct flowkey {
	uint8_t l3, l4proto;
	uint16_t sport, dport;
	uint8_t pad[2];
	uint8_t saddr[16], daddr[16];
};

struct dpkt {
	struct flowkey k;
	uint64_t id;
	int32_t verdict;
	uint32_t path;        /* strtab: nft steps "inet filter input: TEXT [ACCEPT]; ..." */
	uint32_t reason;      /* strtab: drop reason name, 0 = not dropped */
	uint32_t funcs_off, nfuncs; /* sorted unique strtab ids in side.fpool */
};

struct u64vec { uint64_t *v; size_t n, cap; };

struct side {
	const char *file;
	struct nt_walk w;
	struct dpkt *pk;
	size_t npk, cappk;
	uint32_t *fpool;
	size_t nfp, capfp;
	struct u64vec *lat;   /* by strtab id of the layer name */
	uint32_t nlat;
	uint64_t *drops;      /* by strtab id of the reason */
	uint32_t ndrops;
	size_t flows;
	int err;
};

struct dopts {
	const char *base, *new_;
	int json;
	unsigned ignore;      /* 1 << C_* */
	double threshold;     /* percent */
	uint64_t floor_ns;
	int ephemeral;        /* zero ports >= 32768 in flow keys */
	int partial;          /* compare damaged logs */
};

struct diffent {
	int cls;
	struct flowkey k;
	uint64_t n, total, first;
	int64_t a, b;         /* verdicts, strtab ids, ns ... */
	double pct;
	int change;           /* +1 appeared, -1 vanished */
};

struct dctx {
	struct dopts *o;
	struct nt_strtab *st;
	struct side *cur;
	struct diffent *d;
	size_t nd, capd;
	uint32_t *tmp;        /* function ids of the packet being summarised */
	size_t ntmp, captmp;
	uint32_t *layer_of;   /* func strtab id -> layer strtab id */
	uint32_t nlayer_of;
	int oom;
};

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t c = *cap ? *cap : 16;
	void *n;

	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	n = realloc(*p, c * elem);
	if (!n)
		return -ENOMEM;
	*p = n;
	*cap = c;
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int cmp_pkt(const void *a, const void *b)
{
	const struct dpkt *x = a, *y = b;
	int c = memcmp(&x->k, &y->k, sizeof(x->k));

	return c ? c : x->id < y->id ? -1 : x->id > y->id;
}

static void key_of(struct flowkey *k, const struct nt_packet *p, int ephemeral)
{
	memset(k, 0, sizeof(*k));
	if (!p->has_meta)
		return;
	k->l3 = p->meta.l3;
	k->l4proto = p->meta.l4proto;
	k->sport = p->meta.sport;
	k->dport = p->meta.dport;
	memcpy(k->saddr, p->meta.saddr, 16);
	memcpy(k->daddr, p->meta.daddr, 16);
	if (k->l3 == NT_L3_IPV4) {
		memset(k->saddr + 4, 0, 12);
		memset(k->daddr + 4, 0, 12);
	}
	if (k->l4proto == 1 || k->l4proto == 58) {
		k->dport = 0; /* echo id: differs between runs */
	} else if (ephemeral) {
		if (k->sport >= 32768)
			k->sport = 0;
		if (k->dport >= 32768)
			k->dport = 0;
	}
}

static void fmt_key(char *buf, size_t len, const struct flowkey *k)
{
	struct nt_ev_meta m = { 0 };
	char f[200];

	if (!k->l3) {
		snprintf(buf, len, "(no packet metadata)");
		return;
	}
	m.l3 = k->l3;
	m.l4proto = k->l4proto;
	m.sport = k->sport;
	m.dport = k->dport;
	memcpy(m.saddr, k->saddr, 16);
	memcpy(m.daddr, k->daddr, 16);
	nt_fmt_flow(f, sizeof(f), &m);
	if (k->l4proto == 1 || k->l4proto == 58) {
		char *id = strstr(f, " id ");

		if (id)
			*id = 0; /* echo ids are not compared */
	}
	snprintf(buf, len, "%s %s", nt_proto_name(k->l4proto), f);
}

/* "inet filter input" or the chain key */
static void chain_label(char *buf, size_t len, const struct nt_model *m, uint64_t key)
{
	nt_fmt_chain(buf, len, m, key);
}

static size_t path_append(char *path, size_t off, size_t len, const char *s)
{
	int n;

	if (off >= len)
		return off;
	n = snprintf(path + off, len - off, "%s%s", off ? "; " : "", s);
	return n < 0 ? off : off + (size_t)n;
}

static void summarise(void *ctx, const struct nt_packet *p)
{
	struct dctx *c = ctx;
	struct side *s = c->cur;
	const struct nt_model *m = s->w.m;
	struct dpkt *d;
	char path[2048], step[700], ch[200];
	size_t off = 0, nrule = 0;
	const struct nt_ev_hdr *h;

	if (c->oom || grow((void **)&s->pk, &s->cappk, s->npk + 1, sizeof(*s->pk))) {
		c->oom = 1;
		return;
	}
	d = &s->pk[s->npk];
	memset(d, 0, sizeof(*d));
	key_of(&d->k, p, c->o->ephemeral);
	d->id = p->id;
	d->verdict = p->verdict;
	c->ntmp = 0;
	path[0] = 0;
	for (size_t o = 0; o + sizeof(*h) <= p->ev_len; o += nt_ev_size(h->type)) {
		h = (const void *)(p->ev + o);
		if (!nt_ev_size(h->type))
			break;
		if (h->type == NT_EV_FUNC) {
			const struct nt_func_info *fi = nt_model_func(m, h->id);
			uint32_t fid = nt_strtab_id(c->st, fi->name), lid = nt_strtab_id(c->st, fi->layer_name);

			if (fid == UINT32_MAX || lid == UINT32_MAX ||
			    grow((void **)&c->tmp, &c->captmp, c->ntmp + 1, sizeof(*c->tmp))) {
				c->oom = 1;
				return;
			}
			c->tmp[c->ntmp++] = fid;
			if (fid >= c->nlayer_of) {
				size_t cap = c->nlayer_of;
				uint32_t old = c->nlayer_of;

				if (grow((void **)&c->layer_of, &cap, fid + 1, sizeof(*c->layer_of))) {
					c->oom = 1;
					return;
				}
				for (uint32_t i = old; i < cap; i++)
					c->layer_of[i] = 0;
				c->nlayer_of = (uint32_t)cap;
			}
			c->layer_of[fid] = lid;
		} else if (h->type == NT_EV_NFT_RULE) {
			const struct nt_ev_nft_rule *r = (const void *)h;
			char v[128];
			const char *text;

			chain_label(ch, sizeof(ch), m, r->chain_key);
			nt_fmt_rule_verdict(v, sizeof(v), m, r);
			if (r->kind == NT_RULE_KIND_POLICY) {
				snprintf(step, sizeof(step), "%s: policy [%s]", ch, v);
			} else if (r->kind == NT_RULE_KIND_RETURN) {
				snprintf(step, sizeof(step), "%s: return", ch);
			} else {
				text = nt_model_rule_text(m, r->chain_key, r->rule_handle);
				if (text)
					snprintf(step, sizeof(step), "%s: %s [%s]", ch, text, v);
				else
					snprintf(step, sizeof(step), "%s: handle %" PRIu64 " [%s]", ch,
						 r->rule_handle, v);
			}
			off = path_append(path, off, sizeof(path), step);
			nrule++;
		}
	}
	if (!nrule && p->verdict_chain) {
		/* chain records only (no nftrace): the base chain's verdict */
		chain_label(ch, sizeof(ch), m, p->verdict_chain);
		snprintf(step, sizeof(step), "%s [%s]", ch, nt_verdict_name(p->verdict));
		off = path_append(path, off, sizeof(path), step);
	}
	d->path = nt_strtab_id(c->st, path);
	if (p->dropped) {
		const char *rn = nt_model_drop_reason(m, p->drop_reason);
		char rb[32];

		if (!rn) {
			snprintf(rb, sizeof(rb), "reason %u", p->drop_reason);
			rn = rb;
		}
		d->reason = nt_strtab_id(c->st, rn);
	}
	/* sorted unique functions */
	if (c->ntmp)
		qsort(c->tmp, c->ntmp, sizeof(*c->tmp), cmp_u32);
	if (grow((void **)&s->fpool, &s->capfp, s->nfp + c->ntmp, sizeof(*s->fpool))) {
		c->oom = 1;
		return;
	}
	d->funcs_off = (uint32_t)s->nfp;
	for (size_t i = 0; i < c->ntmp; i++)
		if (!i || c->tmp[i] != c->tmp[i - 1])
			s->fpool[s->nfp++] = c->tmp[i];
	d->nfuncs = (uint32_t)(s->nfp - d->funcs_off);
	/* per-layer time samples */
	for (int l = 0; l < nt_model_layer_count(m) && l < NT_MODEL_MAX_LAYERS; l++) {
		uint32_t lid;
		struct u64vec *v;

		if (!(p->layer_seen & (1u << l)))
			continue;
		lid = nt_strtab_id(c->st, nt_model_layer_name(m, l));
		if (lid == UINT32_MAX) {
			c->oom = 1;
			return;
		}
		if (lid >= s->nlat) {
			size_t cap = s->nlat;
			uint32_t old = s->nlat;

			if (grow((void **)&s->lat, &cap, lid + 1, sizeof(*s->lat))) {
				c->oom = 1;
				return;
			}
			memset(s->lat + old, 0, (cap - old) * sizeof(*s->lat));
			s->nlat = (uint32_t)cap;
		}
		v = &s->lat[lid];
		if (grow((void **)&v->v, &v->cap, v->n + 1, sizeof(*v->v))) {
			c->oom = 1;
			return;
		}
		v->v[v->n++] = p->layer_ns[l];
	}
	if (d->reason) {
		if (d->reason >= s->ndrops) {
			size_t cap = s->ndrops;
			uint32_t old = s->ndrops;

			if (grow((void **)&s->drops, &cap, d->reason + 1, sizeof(*s->drops))) {
				c->oom = 1;
				return;
			}
			memset(s->drops + old, 0, (cap - old) * sizeof(*s->drops));
			s->ndrops = (uint32_t)cap;
		}
		s->drops[d->reason]++;
	}
	s->npk++;
}

static int load(struct dctx *c, struct side *s)
{
	int st;

	s->w.path = s->file;
	s->w.keep_events = 1;
	s->w.on_packet = summarise;
	s->w.ctx = c;
	c->cur = s;
	st = nt_walk_log(&s->w);
	if (st == NT_WALK_BAD) {
		fprintf(stderr, "nft-analyze diff: %s\n", s->w.error);
		return NT_EXIT_DIFF_BAD_INPUT;
	}
	if (st == NT_WALK_NOMEM || c->oom) {
		fprintf(stderr, "nft-analyze diff: %s: out of memory\n", s->file);
		return NT_EXIT_DIFF_RUNTIME;
	}
	if (st == NT_WALK_DAMAGED) {
		fprintf(stderr, "nft-analyze diff: %s%s\n", s->w.error,
			c->o->partial ? " (--partial: comparing what was read)" :
					" (use --partial to compare what was read)");
		if (!c->o->partial)
			return NT_EXIT_DIFF_BAD_INPUT;
	}
	if (s->npk)
		qsort(s->pk, s->npk, sizeof(*s->pk), cmp_pkt);
	for (size_t i = 0; i < s->npk; i++)
		if (!i || memcmp(&s->pk[i].k, &s->pk[i - 1].k, sizeof(s->pk[i].k)))
			s->flows++;
	return 0;
}

static struct diffent *add(struct dctx *c, int cls)
{
	struct diffent *e;

	if (grow((void **)&c->d, &c->capd, c->nd + 1, sizeof(*c->d))) {
		c->oom = 1;
		return NULL;
	}
	e = &c->d[c->nd++];
	memset(e, 0, sizeof(*e));
	e->cls = cls;
	return e;
}

/* Count or create the entry (cls, key, a, b) among the entries of this flow. */
static void bump(struct dctx *c, size_t flow_start, int cls, const struct flowkey *k, int64_t a,
		 int64_t b, uint64_t order, uint64_t total)
{
	struct diffent *e;

	for (size_t i = flow_start; i < c->nd; i++) {
		e = &c->d[i];
		if (e->cls == cls && e->a == a && e->b == b) {
			e->n++;
			return;
		}
	}
	e = add(c, cls);
	if (!e)
		return;
	e->k = *k;
	e->a = a;
	e->b = b;
	e->n = 1;
	e->first = order;
	e->total = total;
}

struct fcount { uint64_t appeared, vanished; struct flowkey first_a, first_v; int has_a, has_v; };

static void compare_funcs(struct fcount *fc, const struct side *b, const struct dpkt *x,
			  const struct side *n, const struct dpkt *y)
{
	const uint32_t *fa = x->nfuncs ? b->fpool + x->funcs_off : NULL;
	const uint32_t *fb = y->nfuncs ? n->fpool + y->funcs_off : NULL;
	uint32_t i = 0, j = 0;

	while (i < x->nfuncs || j < y->nfuncs) {
		if (j >= y->nfuncs || (i < x->nfuncs && fa[i] < fb[j])) {
			struct fcount *f = &fc[fa[i++]];

			if (!f->has_v) {
				f->first_v = x->k;
				f->has_v = 1;
			}
			f->vanished++;
		} else if (i >= x->nfuncs || fb[j] < fa[i]) {
			struct fcount *f = &fc[fb[j++]];

			if (!f->has_a) {
				f->first_a = y->k;
				f->has_a = 1;
			}
			f->appeared++;
		} else {
			i++;
			j++;
		}
	}
}

static uint64_t p50(struct u64vec *v)
{
	if (!v || !v->n)
		return 0;
	qsort(v->v, v->n, sizeof(*v->v), cmp_u64);
	return v->v[(v->n - 1) / 2];
}

static size_t compare(struct dctx *c, struct side *b, struct side *n)
{
	uint32_t nstr = nt_strtab_count(c->st);
	struct fcount *fc = calloc(nstr ? nstr : 1, sizeof(*fc));
	size_t i = 0, j = 0, matched = 0;

	if (!fc) {
		c->oom = 1;
		return 0;
	}
	while (i < b->npk || j < n->npk) {
		const struct flowkey *k;
		size_t ie = i, je = j, start = c->nd, nb, nn;
		int cmp;

		if (i >= b->npk)
			cmp = 1;
		else if (j >= n->npk)
			cmp = -1;
		else
			cmp = memcmp(&b->pk[i].k, &n->pk[j].k, sizeof(b->pk[i].k));
		k = cmp <= 0 ? &b->pk[i].k : &n->pk[j].k;
		if (cmp <= 0)
			while (ie < b->npk && !memcmp(&b->pk[ie].k, k, sizeof(*k)))
				ie++;
		if (cmp >= 0)
			while (je < n->npk && !memcmp(&n->pk[je].k, k, sizeof(*k)))
				je++;
		nb = ie - i;
		nn = je - j;
		for (size_t q = 0; q < nb && q < nn; q++) {
			const struct dpkt *x = &b->pk[i + q], *y = &n->pk[j + q];
			uint64_t tot = nb < nn ? nb : nn;

			matched++;
			if (x->verdict != y->verdict)
				bump(c, start, C_VERDICT, k, x->verdict, y->verdict, q + 1, tot);
			if (x->path != y->path)
				bump(c, start, C_RULE, k, x->path, y->path, q + 1, tot);
			compare_funcs(fc, b, x, n, y);
		}
		if (nb != nn) {
			struct diffent *e = add(c, C_FLOW);

			if (e) {
				e->k = *k;
				e->a = (int64_t)nb;
				e->b = (int64_t)nn;
				e->change = nb < nn ? 1 : -1;
			}
		}
		i = ie;
		j = je;
	}
	/* functions */
	for (uint32_t f = 0; f < nstr; f++) {
		for (int dir = 1; dir >= -1; dir -= 2) {
			uint64_t cnt = dir > 0 ? fc[f].appeared : fc[f].vanished;
			struct diffent *e;

			if (!cnt || !(e = add(c, C_FUNC)))
				continue;
			e->a = f;
			e->b = f < c->nlayer_of ? c->layer_of[f] : 0;
			e->n = cnt;
			e->total = matched;
			e->change = dir;
			e->k = dir > 0 ? fc[f].first_a : fc[f].first_v;
		}
	}
	free(fc);
	/* latency: p50 per layer present in both logs */
	for (uint32_t l = 0; l < b->nlat && l < n->nlat; l++) {
		uint64_t x, y, dlt;
		double pct;
		struct diffent *e;

		if (!b->lat[l].n || !n->lat[l].n)
			continue;
		x = p50(&b->lat[l]);
		y = p50(&n->lat[l]);
		dlt = x > y ? x - y : y - x;
		pct = x ? 100.0 * ((double)y - (double)x) / (double)x : (y ? 1e9 : 0);
		if (dlt < c->o->floor_ns || (pct < 0 ? -pct : pct) <= c->o->threshold)
			continue;
		e = add(c, C_LATENCY);
		if (!e)
			break;
		e->a = (int64_t)x;
		e->b = (int64_t)y;
		e->n = l;
		e->pct = pct;
	}
	/* drop reasons that appear in NEW */
	for (uint32_t r = 1; r < n->ndrops; r++) {
		struct diffent *e;

		if (!n->drops[r] || (r < b->ndrops && b->drops[r]))
			continue;
		e = add(c, C_DROP);
		if (!e)
			break;
		e->a = r;
		e->n = n->drops[r];
		e->change = 1;
	}
	return matched;
}

static const char *vname(int64_t v)
{
	return nt_verdict_name((int32_t)v);
}

static void print_text(struct dctx *c, struct side *b, struct side *n, size_t matched, unsigned *counts)
{
	char fl[300];
	unsigned total = 0;

	printf("nft-analyze diff: %s (%zu packets, %zu flows) vs %s (%zu packets, %zu flows): "
	       "%zu packets matched\n", b->file, b->npk, b->flows, n->file, n->npk, n->flows, matched);
	for (int cls = 0; cls < C__N; cls++) {
		if (c->o->ignore & (1u << cls))
			continue;
		for (size_t i = 0; i < c->nd; i++) {
			struct diffent *e = &c->d[i];

			if (e->cls != cls)
				continue;
			fmt_key(fl, sizeof(fl), &e->k);
			switch (cls) {
			case C_VERDICT:
				printf("verdict  %s: %" PRIu64 " of %" PRIu64 " packets %s -> %s (first: packet %" PRIu64
				       " of the flow)\n", fl, e->n, e->total, vname(e->a), vname(e->b), e->first);
				break;
			case C_RULE:
				printf("rule     %s: %" PRIu64 " of %" PRIu64 " packets\n           - %s\n           + %s\n",
				       fl, e->n, e->total, *nt_strtab_str(c->st, (uint32_t)e->a) ?
				       nt_strtab_str(c->st, (uint32_t)e->a) : "(no nftables verdict)",
				       *nt_strtab_str(c->st, (uint32_t)e->b) ?
				       nt_strtab_str(c->st, (uint32_t)e->b) : "(no nftables verdict)");
				break;
			case C_FUNC:
				printf("func     %c %s (%s): %s %" PRIu64 " of %" PRIu64 " matched packets, first %s\n",
				       e->change > 0 ? '+' : '-', nt_strtab_str(c->st, (uint32_t)e->a),
				       nt_strtab_str(c->st, (uint32_t)e->b), e->change > 0 ? "appears in" : "vanishes from",
				       e->n, e->total, fl);
				break;
			case C_LATENCY:
				printf("latency  %s: p50 %.3f µs -> %.3f µs (%+.1f%%, threshold %g%%)\n",
				       nt_strtab_str(c->st, (uint32_t)e->n), (double)e->a / 1000.0,
				       (double)e->b / 1000.0, e->pct, c->o->threshold);
				break;
			case C_DROP:
				printf("drop     + %s: %" PRIu64 " packets in %s, none in %s\n",
				       nt_strtab_str(c->st, (uint32_t)e->a), e->n, n->file, b->file);
				break;
			case C_FLOW:
				printf("flow     %c %s: %" PRId64 " packets -> %" PRId64 "\n", e->change > 0 ? '+' : '-',
				       fl, e->a, e->b);
				break;
			}
		}
	}
	for (int cls = 0; cls < C__N; cls++)
		if (!(c->o->ignore & (1u << cls)))
			total += counts[cls];
	if (total) {
		printf("result: DIFFERENT: %u difference%s (", total, total == 1 ? "" : "s");
		for (int cls = 0, k = 0; cls < C__N; cls++)
			if (!(c->o->ignore & (1u << cls)))
				printf("%s%s %u", k++ ? ", " : "", class_names[cls], counts[cls]);
		printf(")");
	} else {
		printf("result: EQUIVALENT");
	}
	if (c->o->ignore) {
		printf("; ignored:");
		for (int cls = 0; cls < C__N; cls++)
			if (c->o->ignore & (1u << cls))
				printf(" %s", class_names[cls]);
	}
	printf("\n");
}

static void jw_side(struct nt_jw *w, const char *key, struct side *s)
{
	nt_jw_obj(w, key);
	nt_jw_str(w, "file", s->file);
	nt_jw_u64(w, "packets", s->npk);
	nt_jw_u64(w, "flows", s->flows);
	nt_jw_bool(w, "log_complete", s->w.log_complete);
	nt_jw_str(w, "log_error", s->w.error[0] ? s->w.error : NULL);
	nt_jw_end(w);
}

/* One difference as a JSON object. */
static void jw_diff(struct nt_jw *w, struct dctx *c, const struct diffent *e)
{
	char fl[300];
	int cls = e->cls;

	fmt_key(fl, sizeof(fl), &e->k);
	nt_jw_obj(w, NULL);
	nt_jw_str(w, "class", class_names[cls]);
	switch (cls) {
	case C_VERDICT:
	case C_RULE:
		nt_jw_str(w, "flow", fl);
		nt_jw_u64(w, "packets", e->n);
		nt_jw_u64(w, "matched_packets", e->total);
		nt_jw_u64(w, "first", e->first);
		if (cls == C_VERDICT) {
			nt_jw_str(w, "base", vname(e->a));
			nt_jw_str(w, "new", vname(e->b));
		} else {
			nt_jw_str(w, "base", nt_strtab_str(c->st, (uint32_t)e->a));
			nt_jw_str(w, "new", nt_strtab_str(c->st, (uint32_t)e->b));
		}
		break;
	case C_FUNC:
		nt_jw_str(w, "change", e->change > 0 ? "appeared" : "vanished");
		nt_jw_str(w, "function", nt_strtab_str(c->st, (uint32_t)e->a));
		nt_jw_str(w, "layer", nt_strtab_str(c->st, (uint32_t)e->b));
		nt_jw_u64(w, "packets", e->n);
		nt_jw_u64(w, "matched_packets", e->total);
		nt_jw_str(w, "first_flow", fl);
		break;
	case C_LATENCY:
		nt_jw_str(w, "layer", nt_strtab_str(c->st, (uint32_t)e->n));
		nt_jw_u64(w, "base_p50_ns", (uint64_t)e->a);
		nt_jw_u64(w, "new_p50_ns", (uint64_t)e->b);
		nt_jw_dbl(w, "shift_pct", e->pct, 1);
		break;
	case C_DROP:
		nt_jw_str(w, "change", "appeared");
		nt_jw_str(w, "reason", nt_strtab_str(c->st, (uint32_t)e->a));
		nt_jw_u64(w, "packets", e->n);
		break;
	case C_FLOW:
		nt_jw_str(w, "flow", fl);
		nt_jw_u64(w, "base_packets", (uint64_t)e->a);
		nt_jw_u64(w, "new_packets", (uint64_t)e->b);
		break;
	}
	nt_jw_end(w);
}

static void print_json(struct dctx *c, struct side *b, struct side *n, size_t matched, unsigned *counts,
		       int nd)
{
	struct nt_jw w;
	unsigned total = 0;

	for (int cls = 0; cls < C__N; cls++)
		if (!(c->o->ignore & (1u << cls)))
			total += counts[cls];
	nt_jw_init(&w, stdout);
	if (nd) {
		/* NDJSON: one difference per line, then {"class":"summary", ...} */
		for (int cls = 0; cls < C__N; cls++) {
			if (c->o->ignore & (1u << cls))
				continue;
			for (size_t i = 0; i < c->nd; i++)
				if (c->d[i].cls == cls) {
					jw_diff(&w, c, &c->d[i]);
					nt_jw_newline(&w);
				}
		}
		nt_jw_obj(&w, NULL);
		nt_jw_str(&w, "class", "summary");
	} else {
		nt_jw_obj(&w, NULL);
	}
	jw_side(&w, "base", b);
	jw_side(&w, "new", n);
	nt_jw_u64(&w, "matched_packets", matched);
	nt_jw_dbl(&w, "latency_threshold_pct", c->o->threshold, 1);
	nt_jw_u64(&w, "latency_floor_ns", c->o->floor_ns);
	nt_jw_arr(&w, "ignored");
	for (int cls = 0; cls < C__N; cls++)
		if (c->o->ignore & (1u << cls))
			nt_jw_str(&w, NULL, class_names[cls]);
	nt_jw_end(&w);
	if (!nd) {
		nt_jw_arr(&w, "differences");
		for (int cls = 0; cls < C__N; cls++) {
			if (c->o->ignore & (1u << cls))
				continue;
			for (size_t i = 0; i < c->nd; i++)
				if (c->d[i].cls == cls)
					jw_diff(&w, c, &c->d[i]);
		}
		nt_jw_end(&w);
	}
	nt_jw_obj(&w, "counts");
	for (int cls = 0; cls < C__N; cls++)
		if (!(c->o->ignore & (1u << cls)))
			nt_jw_u64(&w, class_names[cls], counts[cls]);
	nt_jw_end(&w);
	nt_jw_u64(&w, "total", total);
	nt_jw_bool(&w, "equivalent", !total);
	nt_jw_end(&w);
	nt_jw_newline(&w);
}

/* ---- CLI ---- */
enum { O_JSON = 256, O_NDJSON, O_IGNORE, O_THRESH, O_FLOOR, O_EPHEMERAL, O_PARTIAL };

static const struct argp_option options[] = {
	{ "json", O_JSON, NULL, 0, "one JSON document (schema: README)", 0 },
	{ "ndjson", O_NDJSON, NULL, 0, "one difference per line, then a summary line", 0 },
	{ "ignore", O_IGNORE, "CLASSES", 0,
	  "comma separated classes that do not count: verdict, rule, func, latency, drop, flow "
	  "(repeatable)", 0 },
	{ "latency-threshold", O_THRESH, "PCT", 0,
	  "per-layer p50 shift that counts, in percent (default 20%)", 0 },
	{ "latency-floor", O_FLOOR, "NS", 0,
	  "ignore p50 shifts smaller than NS nanoseconds (default 1000)", 0 },
	{ "ignore-ephemeral-ports", O_EPHEMERAL, NULL, 0,
	  "match flows with ports >= 32768 treated as equal (client ports differ between runs)", 0 },
	{ "partial", O_PARTIAL, NULL, 0,
	  "compare truncated / corrupt logs up to the damage instead of failing with exit 2", 0 },
	{ 0 }
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct dopts *o = state->input;
	char *end;

	switch (key) {
	case O_JSON: o->json = 1; break;
	case O_NDJSON: o->json = 2; break;
	case O_IGNORE: {
		char buf[256], *save = NULL, *t;

		snprintf(buf, sizeof(buf), "%s", arg);
		for (t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			int found = 0;

			for (int c = 0; c < C__N; c++)
				if (!strcmp(t, class_names[c])) {
					o->ignore |= 1u << c;
					found = 1;
				}
			if (!found)
				argp_error(state, "--ignore: unknown class '%s' "
					   "(verdict, rule, func, latency, drop, flow)", t);
		}
		break;
	}
	case O_THRESH:
		o->threshold = strtod(arg, &end);
		if (end == arg || (*end && strcmp(end, "%")) || o->threshold < 0)
			argp_error(state, "--latency-threshold: '%s' is not a percentage (e.g. 20%%)", arg);
		break;
	case O_FLOOR: {
		unsigned long long v;

		errno = 0;
		v = strtoull(arg, &end, 10);
		if (end == arg || *end || errno || *arg == '-')
			argp_error(state, "--latency-floor: '%s' is not a number of nanoseconds", arg);
		o->floor_ns = v;
		break;
	}
	case O_EPHEMERAL: o->ephemeral = 1; break;
	case O_PARTIAL: o->partial = 1; break;
	case ARGP_KEY_ARG:
		if (!o->base)
			o->base = arg;
		else if (!o->new_)
			o->new_ = arg;
		else
			argp_error(state, "two logs only ('%s' is extra)", arg);
		break;
	case ARGP_KEY_END:
		if (!o->new_)
			argp_error(state, "need two logs: BASE NEW (.ntl files written by nft-record)");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const char doc[] =
	"Compare two recordings of the same scenario. Packets are matched by flow (protocol, "
	"addresses, ports, direction) and order within the flow; reported: verdict changes per "
	"flow, nftables path changes (rules compared by TEXT, so handles may differ between hosts), "
	"functions that appear in / vanish from journeys, per-layer p50 time shifts beyond "
	"--latency-threshold, drop reasons that appear, packets only in one log."
	"\vExit codes: 0 equivalent; 1 differences (beyond the thresholds, in classes not "
	"--ignore'd); 2 usage error or unusable log (unreadable, not a log, newer format, "
	"truncated / corrupt without --partial); 3 runtime error (out of memory, write error).";

static void side_free(struct side *s)
{
	free(s->pk);
	free(s->fpool);
	for (uint32_t i = 0; i < s->nlat; i++)
		free(s->lat[i].v);
	free(s->lat);
	free(s->drops);
	nt_model_free(s->w.m);
}

int cmd_diff(int argc, char **argv)
{
	struct dopts o = { .threshold = 20, .floor_ns = 1000 };
	struct argp ap = { options, parse_opt, "BASE NEW", doc, NULL, NULL, NULL };
	struct side b = { 0 }, n = { 0 };
	struct dctx c = { .o = &o };
	unsigned counts[C__N] = { 0 };
	unsigned total = 0;
	size_t matched;
	int rc;

	argp_err_exit_status = NT_EXIT_DIFF_BAD_INPUT;
	if (argp_parse(&ap, argc, argv, 0, NULL, &o))
		return NT_EXIT_DIFF_BAD_INPUT;
	c.st = nt_strtab_new();
	if (!c.st) {
		fprintf(stderr, "nft-analyze diff: out of memory\n");
		return NT_EXIT_DIFF_RUNTIME;
	}
	b.file = o.base;
	n.file = o.new_;
	rc = load(&c, &b);
	if (!rc)
		rc = load(&c, &n);
	if (rc)
		goto out;
	matched = compare(&c, &b, &n);
	if (c.oom) {
		fprintf(stderr, "nft-analyze diff: out of memory\n");
		rc = NT_EXIT_DIFF_RUNTIME;
		goto out;
	}
	for (size_t i = 0; i < c.nd; i++)
		counts[c.d[i].cls]++;
	for (int cls = 0; cls < C__N; cls++)
		if (!(o.ignore & (1u << cls)))
			total += counts[cls];
	if (o.json)
		print_json(&c, &b, &n, matched, counts, o.json == 2);
	else
		print_text(&c, &b, &n, matched, counts);
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "nft-analyze diff: writing the output failed: %s\n", strerror(errno));
		rc = NT_EXIT_DIFF_RUNTIME;
		goto out;
	}
	rc = total ? NT_EXIT_DIFF_DIFFERENT : NT_EXIT_DIFF_SAME;
out:
	side_free(&b);
	side_free(&n);
	free(c.d);
	free(c.tmp);
	free(c.layer_of);
	nt_strtab_free(c.st);
	return rc;
}
