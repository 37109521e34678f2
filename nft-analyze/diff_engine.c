// SPDX-License-Identifier: GPL-2.0
/* diff_engine.c - nft-analyze diff: packet summaries of both logs and their
 * comparison (diff_int.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/tool.h"
#include "common/util.h"
#include "model/fleet.h"
#include "model/output.h"
#include "nft-analyze/diff_int.h"

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	return nt_grow(p, cap, need, elem, 16, 0);
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
		/* client ports differ between runs: they match any (shown as *) */
		if (k->sport >= 32768) {
			k->sport = 0;
			k->pad[0] |= 1;
		}
		if (k->dport >= 32768) {
			k->dport = 0;
			k->pad[0] |= 2;
		}
	}
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
	d->k.host = s->cur_host;
	d->id = p->id;
	d->verdict = p->verdict;
	c->ntmp = 0;
	path[0] = 0;
	for (size_t o = 0; o + sizeof(*h) <= p->ev_len; o += nt_ev_len(h)) {
		h = (const void *)(p->ev + o);
		if (!nt_ev_len(h))
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
			} else if (nt_rule_kind_shown(r) == NT_RULE_KIND_RETURN) {
				snprintf(step, sizeof(step), "%s: return", ch);
			} else {
				text = nt_model_rule_text(m, r->chain_key, r->rule_handle);
				if (text) { /* the step holds 700 bytes: a longer text is not read past them */
					size_t o = strnlen(ch, sizeof(ch) - 1), tl;

					memcpy(step, ch, o);
					memcpy(step + o, ": ", 2);
					o += 2;
					tl = strnlen(text, sizeof(step) - o - sizeof(v) - 4);
					memcpy(step + o, text, tl);
					o += tl;
					step[o++] = ' ';
					step[o++] = '[';
					tl = strnlen(v, sizeof(v) - 1);
					memcpy(step + o, v, tl);
					o += tl;
					step[o++] = ']';
					step[o] = 0;
				}
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

/* Read one log of side S (path PATH; or the NPATHS > 1 files PATHS of one
 * rotation set) into its summaries. */
static int load_one(struct dctx *c, struct side *s, const char *path, const char *const *paths,
		    int npaths)
{
	int st;

	nt_model_free(s->w.m);
	memset(&s->w, 0, sizeof(s->w));
	s->w.path = path;
	s->w.paths = npaths > 1 ? paths : NULL;
	s->w.npaths = npaths > 1 ? npaths : 0;
	s->w.keep_events = 1;
	s->w.on_packet = summarise;
	s->w.ctx = c;
	s->w.limits = &c->o->lim;
	c->cur = s;
	st = nt_walk_log(&s->w);
	if (st == NT_WALK_BAD) {
		fprintf(stderr, "nft-analyze diff: %s\n", s->w.error);
		return NT_EXIT_DIFF_BAD_INPUT;
	}
	if (st == NT_WALK_NOMEM || c->oom) {
		fprintf(stderr, "nft-analyze diff: %s: out of memory\n", path);
		return NT_EXIT_DIFF_RUNTIME;
	}
	if (nt_limits_reached(nt_model_limits(s->w.m))) { /* like damage: partial results */
		char msg[1024];

		nt_limits_message(nt_model_limits(s->w.m), msg, sizeof(msg));
		fprintf(stderr, "nft-analyze diff: %s: %s%s\n", s->file, msg,
			c->o->partial ? " (--partial: comparing what was read)" :
					" (or use --partial to compare what was read)");
		if (!c->o->partial)
			return NT_EXIT_DIFF_BAD_INPUT;
	}
	if (st == NT_WALK_DAMAGED) {
		fprintf(stderr, "nft-analyze diff: %s%s\n", s->w.error,
			c->o->partial ? " (--partial: comparing what was read)" :
					" (use --partial to compare what was read)");
		if (!c->o->partial)
			return NT_EXIT_DIFF_BAD_INPUT;
	}
	return 0;
}

int nt_diff_load(struct dctx *c, struct side *s)
{
	int rc;

	snprintf(s->label, sizeof(s->label), "%s", s->file);
	if (!s->nfiles) {
		rc = load_one(c, s, s->file, NULL, 0);
	} else {
		/* a set: every log, its packets keyed by their host too */
		struct nt_fleet fl;
		char err[1200];

		rc = nt_fleet_open(&fl, s->files, s->nfiles, err, sizeof(err));
		if (rc) {
			fprintf(stderr, "nft-analyze diff: %s\n", err);
			return rc == NT_FLEET_NOMEM ? NT_EXIT_DIFF_RUNTIME : NT_EXIT_DIFF_BAD_INPUT;
		}
		if (s->nfiles > 1)
			snprintf(s->label, sizeof(s->label), "%s and %d more (%d host%s)", s->file,
				 s->nfiles - 1, fl.nhost, fl.nhost == 1 ? "" : "s");
		for (int i = 0; i < fl.nsrc && !rc; i++) {
			s->cur_host = nt_strtab_id(c->st, fl.host[fl.src[i].host].label);
			if (s->cur_host == UINT32_MAX) {
				c->oom = 1;
				rc = NT_EXIT_DIFF_RUNTIME;
				fprintf(stderr, "nft-analyze diff: out of memory\n");
				break;
			}
			rc = load_one(c, s, fl.src[i].paths[0], fl.src[i].paths, fl.src[i].npaths);
		}
		nt_fleet_close(&fl);
	}
	if (rc)
		return rc;
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

/* Functions per flow: a function has appeared in a flow when every packet of
 * the flow in NEW hits it and no packet of the flow in BASE does (and the
 * reverse for vanished): a systematic change of the path.  Paths that vary
 * from packet to packet in both runs (a checksum completed here, TCP's time
 * wait there) are no difference between two runs of the same traffic. */
static void compare_funcs_flow(struct fcount *fc, uint32_t *cnt_b, uint32_t *cnt_n, uint32_t *seen,
			       uint32_t serial, const struct side *b, const struct dpkt *xs, size_t nb,
			       const struct side *n, const struct dpkt *ys, size_t nn)
{
	/* seen[fid] == serial: counts of this flow valid; else reset */
	for (size_t q = 0; q < nb + nn; q++) {
		const struct side *sd = q < nb ? b : n;
		const struct dpkt *d = q < nb ? &xs[q] : &ys[q - nb];

		for (uint32_t i = 0; i < d->nfuncs; i++) {
			uint32_t fid = sd->fpool[d->funcs_off + i];

			if (seen[fid] != serial) {
				seen[fid] = serial;
				cnt_b[fid] = cnt_n[fid] = 0;
			}
			if (q < nb)
				cnt_b[fid]++;
			else
				cnt_n[fid]++;
		}
	}
	for (size_t q = 0; q < nb + nn; q++) {
		const struct side *sd = q < nb ? b : n;
		const struct dpkt *d = q < nb ? &xs[q] : &ys[q - nb];

		for (uint32_t i = 0; i < d->nfuncs; i++) {
			uint32_t fid = sd->fpool[d->funcs_off + i];
			struct fcount *f = &fc[fid];

			if (q >= nb && !cnt_b[fid] && cnt_n[fid] == nn) {
				if (!f->has_a) {
					f->first_a = d->k;
					f->has_a = 1;
				}
				f->appeared++;
			} else if (q < nb && !cnt_n[fid] && cnt_b[fid] == nb) {
				if (!f->has_v) {
					f->first_v = d->k;
					f->has_v = 1;
				}
				f->vanished++;
			}
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

size_t nt_diff_compare(struct dctx *c, struct side *b, struct side *n)
{
	uint32_t nstr = nt_strtab_count(c->st);
	struct fcount *fc = calloc(nstr ? nstr : 1, sizeof(*fc));
	uint32_t *mark_b = calloc(nstr ? nstr : 1, sizeof(*mark_b));
	uint32_t *mark_n = calloc(nstr ? nstr : 1, sizeof(*mark_n)), serial = 0;
	uint32_t *seen = calloc(nstr ? nstr : 1, sizeof(*seen));
	size_t i = 0, j = 0, matched = 0;

	if (!fc || !mark_b || !mark_n || !seen) {
		free(fc);
		free(mark_b);
		free(mark_n);
		free(seen);
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
		}
		/* a flow whose nftables path changed: its function differences follow
		 * from that change (a log statement runs nft_log_eval ...): the rule
		 * difference tells, they are not counted again */
		int path_changed = 0;

		for (size_t e = start; e < c->nd; e++)
			path_changed |= c->d[e].cls == C_RULE;
		if (nb && nn && !path_changed)
			compare_funcs_flow(fc, mark_b, mark_n, seen, ++serial, b, &b->pk[i], nb, n, &n->pk[j], nn);
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
	free(mark_b);
	free(mark_n);
	free(seen);
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

void nt_diff_side_free(struct side *s)
{
	free(s->pk);
	free(s->fpool);
	for (uint32_t i = 0; i < s->nlat; i++)
		free(s->lat[i].v);
	free(s->lat);
	free(s->drops);
	nt_model_free(s->w.m);
}
