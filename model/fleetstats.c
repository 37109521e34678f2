// SPDX-License-Identifier: GPL-2.0
/* fleetstats.c - statistics of several logs, merged and per host (fleetstats.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/escape.h"
#include "common/layers.h"
#include "common/sat.h"
#include "common/util.h"
#include "common/strtab.h"
#include "model/fleetstats.h"
#include "model/hist.h"
#include "model/output.h"

/* counts by string id */
struct cvec {
	uint64_t *v;
	uint32_t n;
};

struct fhost {
	const char *label, *kernel;
	int logs, complete_logs;
	const char *log_status;     /* the first damage (own copy) */
	struct nt_stats_totals t;
	uint64_t lost_ringbuf, lost_netlink, lost_user, uncorrelated, expired, duration_ns;
	struct cvec layer, func, verdict, rule, reason, drop;
	struct hist **ltime;        /* by layer string id */
	uint32_t nltime;
};

struct nt_fstats {
	struct nt_strtab *st;
	struct fhost *h;
	int nh;
	uint32_t *func_layer;       /* func string id -> layer string id */
	uint32_t *rule_text;        /* rule label id -> text id (0: none) */
	uint32_t nfunc_layer, nrule_text;
	int oom;
	int cur;                    /* host of the visitor callbacks */
	struct nt_limits *lim;      /* of the log being visited (rule_text) */
};

/* Per-id arrays (zeroed growth, 32-bit counts). */
static int grow_ids(void **v, uint32_t *n, uint32_t need, size_t elem)
{
	size_t cap = *n;

	if (need > UINT32_MAX / 2 || nt_grow(v, &cap, need, elem, 16, 1))
		return -ENOMEM;
	*n = (uint32_t)cap;
	return 0;
}

static uint32_t sid(struct nt_fstats *f, const char *s)
{
	uint32_t id = nt_strtab_id(f->st, s ? s : "");

	if (id == UINT32_MAX)
		f->oom = 1;
	return id;
}

static void cadd(struct nt_fstats *f, struct cvec *c, const char *key, uint64_t n)
{
	uint32_t id = sid(f, key);

	if (id == UINT32_MAX || grow_ids((void **)&c->v, &c->n, id + 1, sizeof(*c->v))) {
		f->oom = 1;
		return;
	}
	c->v[id] += n;
}

struct nt_fstats *nt_fstats_new(void)
{
	struct nt_fstats *f = calloc(1, sizeof(*f));

	if (f && !(f->st = nt_strtab_new())) {
		free(f);
		f = NULL;
	}
	return f;
}

static void host_free(struct fhost *h)
{
	free(h->layer.v);
	free(h->func.v);
	free(h->verdict.v);
	free(h->rule.v);
	free(h->reason.v);
	free(h->drop.v);
	for (uint32_t i = 0; i < h->nltime; i++)
		free(h->ltime[i]);
	free(h->ltime);
	free((char *)h->log_status);
}

void nt_fstats_free(struct nt_fstats *f)
{
	if (!f)
		return;
	for (int i = 0; i < f->nh; i++)
		host_free(&f->h[i]);
	free(f->h);
	free(f->func_layer);
	free(f->rule_text);
	nt_strtab_free(f->st);
	free(f);
}

int nt_fstats_oom(const struct nt_fstats *f)
{
	return f->oom;
}

int nt_fstats_host(struct nt_fstats *f, int host, const char *label, const char *kernel)
{
	if (host >= f->nh) {
		struct fhost *h = realloc(f->h, (size_t)(host + 1) * sizeof(*h));

		if (!h) {
			f->oom = 1;
			return -ENOMEM;
		}
		memset(h + f->nh, 0, (size_t)(host + 1 - f->nh) * sizeof(*h));
		f->h = h;
		f->nh = host + 1;
	}
	f->h[host].label = nt_strtab_str(f->st, sid(f, label));
	if (kernel && kernel[0] && !f->h[host].kernel)
		f->h[host].kernel = nt_strtab_str(f->st, sid(f, kernel));
	return f->oom ? -ENOMEM : 0;
}

/* ---- input ---- */
#define SEP "\x1f" /* rule / reason of a drop key */

void nt_fstats_packet(struct nt_fstats *f, int host, const struct nt_model *m,
		      const struct nt_packet *p)
{
	char rule[256], key[600];
	const char *reason = "-";
	char rb[32];

	if (host >= f->nh || (!p->dropped && p->verdict != NT_V_DROP))
		return;
	nt_stats_rule_label(rule, sizeof(rule), m, p);
	if (p->dropped) {
		reason = nt_model_drop_reason(m, p->drop_reason);
		if (!reason) {
			snprintf(rb, sizeof(rb), "reason %u", p->drop_reason);
			reason = rb;
		}
	}
	snprintf(key, sizeof(key), "%s" SEP "%s", rule[0] ? rule : "-", reason);
	cadd(f, &f->h[host].drop, key, 1);
}

static void v_totals(void *ctx, const struct nt_stats_totals *t)
{
	struct nt_fstats *f = ctx;
	struct nt_stats_totals *d = &f->h[f->cur].t;

	d->events += t->events;
	d->packets += t->packets;
	d->chain_recs += t->chain_recs;
	d->rule_recs += t->rule_recs;
	d->incomplete += t->incomplete;
	d->dropped += t->dropped;
}

static void v_layer(void *ctx, const char *layer, uint64_t n)
{
	struct nt_fstats *f = ctx;

	cadd(f, &f->h[f->cur].layer, layer, n);
}

static void v_func(void *ctx, const char *func, const char *layer, uint64_t n)
{
	struct nt_fstats *f = ctx;
	uint32_t id = sid(f, func), lid = sid(f, layer);

	cadd(f, &f->h[f->cur].func, func, n);
	if (id == UINT32_MAX || lid == UINT32_MAX || grow_ids((void **)&f->func_layer, &f->nfunc_layer, id + 1, sizeof(*f->func_layer))) {
		f->oom = 1;
		return;
	}
	f->func_layer[id] = lid;
}

static void v_verdict(void *ctx, const char *verdict, uint64_t n)
{
	struct nt_fstats *f = ctx;

	cadd(f, &f->h[f->cur].verdict, verdict, n);
}

static void v_rule(void *ctx, const char *label, const char *text, uint64_t n)
{
	struct nt_fstats *f = ctx;
	uint32_t id = sid(f, label);

	cadd(f, &f->h[f->cur].rule, label, n);
	if (text && id != UINT32_MAX) {
		size_t n = strlen(text);
		uint32_t tid;

		if (f->lim && n > f->lim->max[NT_LIM_RULE_TEXT]) {
			/* kept and printed cut, like one log's stats (--max-rule-text) */
			size_t k = nt_utf8_prefix(text, n, f->lim->max[NT_LIM_RULE_TEXT]);
			char *cut = malloc(k + 48);

			if (!cut) {
				f->oom = 1;
				return;
			}
			snprintf(cut, k + 48, "%.*s\xe2\x80\xa6 (%zu bytes)", (int)k, text, n);
			nt_limit_hit(f->lim, NT_LIM_RULE_TEXT, 1);
			tid = sid(f, cut);
			free(cut);
		} else {
			tid = sid(f, text);
		}

		if (tid == UINT32_MAX || grow_ids((void **)&f->rule_text, &f->nrule_text, id + 1, sizeof(*f->rule_text))) {
			f->oom = 1;
			return;
		}
		f->rule_text[id] = tid;
	}
}

static void v_reason(void *ctx, const char *reason, uint64_t n)
{
	struct nt_fstats *f = ctx;

	cadd(f, &f->h[f->cur].reason, reason, n);
}

static void v_layer_time(void *ctx, const char *layer, const struct hist *src)
{
	struct nt_fstats *f = ctx;
	struct fhost *h = &f->h[f->cur];
	uint32_t id = sid(f, layer);

	if (id == UINT32_MAX)
		return;
	if (id >= h->nltime) {
		uint32_t cap = h->nltime ? h->nltime : 16;
		struct hist **v;

		while (cap <= id)
			cap *= 2;
		v = realloc(h->ltime, cap * sizeof(*v));
		if (!v) {
			f->oom = 1;
			return;
		}
		memset(v + h->nltime, 0, (cap - h->nltime) * sizeof(*v));
		h->ltime = v;
		h->nltime = cap;
	}
	if (!h->ltime[id] && !(h->ltime[id] = calloc(1, sizeof(struct hist)))) {
		f->oom = 1;
		return;
	}
	hist_merge(h->ltime[id], src);
}

void nt_fstats_log(struct nt_fstats *f, int host, struct nt_stats *s, const struct nt_model *m,
		   const char *log_status, int log_complete)
{
	static const struct nt_stats_visit v = { v_totals, v_layer, v_func, v_verdict, v_rule,
						 v_reason, v_layer_time };
	const struct nt_model_totals *t = nt_model_totals(m);
	struct fhost *h;

	if (host >= f->nh)
		return;
	h = &f->h[host];
	f->cur = host;
	f->lim = nt_model_limits(m);
	nt_stats_visit(s, m, &v, f);
	f->lim = NULL;
	h->logs++;
	h->complete_logs += log_complete && !log_status;
	if (log_status && !h->log_status)
		h->log_status = strdup(log_status);
	nt_sat_acc(&h->lost_ringbuf, t->lost_ringbuf);
	nt_sat_acc(&h->lost_netlink, t->lost_netlink);
	nt_sat_acc(&h->lost_user, t->lost_user);
	nt_sat_acc(&h->uncorrelated, t->uncorrelated);
	nt_sat_acc(&h->expired, t->expired);
	if (t->first_ts && t->last_ts >= t->first_ts)
		nt_sat_acc(&h->duration_ns, t->last_ts - t->first_ts);
}

/* ---- output ---- */
struct row {
	const char *name;
	uint64_t n;
	uint32_t id;
};

static int row_cmp(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Rows of count vector C (of one host, or summed over all: host < 0), sorted. */
static struct row *rows_of(struct nt_fstats *f, int host, size_t off, uint32_t *nrows)
{
	uint32_t n = 0, len = 0;
	struct row *r;

	for (int i = 0; i < f->nh; i++) {
		const struct cvec *c = (const void *)((const char *)&f->h[i] + off);

		if ((host < 0 || i == host) && c->n > len)
			len = c->n;
	}
	r = calloc(len ? len : 1, sizeof(*r));
	if (!r) {
		f->oom = 1;
		*nrows = 0;
		return NULL;
	}
	for (uint32_t id = 0; id < len; id++) {
		uint64_t sum = 0;

		for (int i = 0; i < f->nh; i++) {
			const struct cvec *c = (const void *)((const char *)&f->h[i] + off);

			if ((host < 0 || i == host) && id < c->n)
				sum += c->v[id];
		}
		if (sum)
			r[n++] = (struct row){ nt_strtab_str(f->st, id), sum, id };
	}
	qsort(r, n, sizeof(*r), row_cmp);
	*nrows = n;
	return r;
}

#define ROWS(f, host, member, n) rows_of(f, host, offsetof(struct fhost, member), n)

struct tot {
	struct nt_stats_totals t;
	uint64_t lost_ringbuf, lost_netlink, lost_user, uncorrelated, expired, duration_ns;
	int logs, complete_logs, funcs;
	const char *log_status;
};

static void totals_of(struct nt_fstats *f, int host, struct tot *o)
{
	uint32_t nf;
	struct row *fr = ROWS(f, host, func, &nf);

	memset(o, 0, sizeof(*o));
	free(fr);
	o->funcs = (int)nf;
	for (int i = 0; i < f->nh; i++) {
		const struct fhost *h = &f->h[i];

		if (host >= 0 && i != host)
			continue;
		o->t.events += h->t.events;
		o->t.packets += h->t.packets;
		o->t.chain_recs += h->t.chain_recs;
		o->t.rule_recs += h->t.rule_recs;
		o->t.incomplete += h->t.incomplete;
		o->t.dropped += h->t.dropped;
		o->lost_ringbuf += h->lost_ringbuf;
		o->lost_netlink += h->lost_netlink;
		o->lost_user += h->lost_user;
		o->uncorrelated += h->uncorrelated;
		o->expired += h->expired;
		if (h->duration_ns > o->duration_ns)
			o->duration_ns = h->duration_ns; /* the longest host's */
		o->logs += h->logs;
		o->complete_logs += h->complete_logs;
		if (!o->log_status)
			o->log_status = h->log_status;
	}
}

/* The layer histogram of HOST (< 0: all merged) for layer string id ID, into H. */
static int ltime_of(const struct nt_fstats *f, int host, uint32_t id, struct hist *h)
{
	int any = 0;

	memset(h, 0, sizeof(*h));
	for (int i = 0; i < f->nh; i++)
		if ((host < 0 || i == host) && id < f->h[i].nltime && f->h[i].ltime[id]) {
			hist_merge(h, f->h[i].ltime[id]);
			any = 1;
		}
	return any && h->n;
}

/* Layer string ids with times: the known layers in display order
 * (common/layers.h: Device, GRO, Netfilter ...), then others by name. */
static int layer_rank(const char *name)
{
	int l = nt_layer_parse(name);

	return l < 0 ? NT_LAYER__COUNT : l;
}

static const struct nt_strtab *sort_st;

static int layer_cmp(const void *a, const void *b)
{
	const char *x = nt_strtab_str(sort_st, *(const uint32_t *)a);
	const char *y = nt_strtab_str(sort_st, *(const uint32_t *)b);
	int rx = layer_rank(x), ry = layer_rank(y);

	return rx != ry ? rx - ry : strcmp(x, y);
}

static uint32_t layer_ids(const struct nt_fstats *f, uint32_t *ids, uint32_t max)
{
	uint32_t n = 0, cnt = nt_strtab_count(f->st);

	for (uint32_t id = 0; id < cnt && n < max; id++)
		for (int i = 0; i < f->nh; i++)
			if (id < f->h[i].nltime && f->h[i].ltime[id]) {
				ids[n++] = id;
				break;
			}
	sort_st = f->st;
	qsort(ids, n, sizeof(*ids), layer_cmp);
	return n;
}

/* width of the host column */
static int host_w(const struct nt_fstats *f)
{
	int w = 4;

	for (int i = 0; i < f->nh; i++)
		if ((int)strlen(f->h[i].label) > w)
			w = (int)strlen(f->h[i].label);
	return w > 40 ? 40 : w;
}

static const char *txt(const char *s)
{
	return nt_esc_t(s); /* names from logs: terminal-safe (common/escape, NT_ESC_TEXT) */
}

static void print_rows(FILE *out, struct row *r, uint32_t n, int top, int w)
{
	for (uint32_t i = 0; i < n && (top <= 0 || (int)i < top); i++)
		fprintf(out, "  %-*s: %6" PRIu64 "\n", w, txt(r[i].name), r[i].n);
}

static void print_drop_key(FILE *out, int hw, const char *key, uint64_t n, const char *host)
{
	const char *sep = strchr(key, SEP[0]);
	char rule[512];

	snprintf(rule, sizeof(rule), "%.*s", sep ? (int)(sep - key) : (int)strlen(key), key);
	fprintf(out, "  %-*s  %-40s  %-24s: %6" PRIu64 "\n", hw, txt(host), txt(rule),
		sep ? txt(sep + 1) : "-", n);
}

void nt_fstats_print_text(FILE *out, struct nt_fstats *f, int top)
{
	struct tot t;
	struct row *r;
	uint32_t n, lids[64], nl;
	char sep[81];
	int hw = host_w(f);

	if (top <= 0)
		top = 20;
	memset(sep, '=', 80);
	sep[80] = 0;
	totals_of(f, -1, &t);
	fprintf(out, "TRACE STATISTICS (%d host%s, %d log%s)\n%s\n", f->nh, f->nh == 1 ? "" : "s",
		t.logs, t.logs == 1 ? "" : "s", sep);
	fprintf(out, "%-20s%" PRIu64 "\n", "Total events:", t.t.events);
	fprintf(out, "%-20s%" PRIu64 "\n", "Packets traced:", t.t.packets);
	fprintf(out, "%-20s%d\n", "Functions hit:", t.funcs);
	fprintf(out, "%-20s%" PRIu64 "\n", "NFT chains:", t.t.chain_recs);
	fprintf(out, "%-20s%" PRIu64 "\n", "NFT rules:", t.t.rule_recs);

	r = ROWS(f, -1, layer, &n);
	fprintf(out, "\nEvents by Layer:\n");
	for (uint32_t i = 0; i < n; i++)
		fprintf(out, "  %-15s: %6" PRIu64 "\n", txt(r[i].name), r[i].n);
	free(r);
	r = ROWS(f, -1, func, &n);
	fprintf(out, "\nEvents by Function (top %d):\n", top);
	print_rows(out, r, n, top, 32);
	free(r);
	r = ROWS(f, -1, verdict, &n);
	fprintf(out, "\nPackets by Verdict:\n");
	print_rows(out, r, n, 0, 15);
	free(r);
	r = ROWS(f, -1, rule, &n);
	if (n) {
		fprintf(out, "\nPackets by Rule (deciding rule or policy, top %d):\n", top);
		for (uint32_t i = 0; i < n && (int)i < top; i++) {
			uint32_t tid = r[i].id < f->nrule_text ? f->rule_text[r[i].id] : 0;

			if (tid)
				fprintf(out, "  %-40s: %6" PRIu64 "  %s\n", txt(r[i].name), r[i].n,
					txt(nt_strtab_str(f->st, tid)));
			else
				fprintf(out, "  %-40s: %6" PRIu64 "\n", txt(r[i].name), r[i].n);
		}
	}
	free(r);
	r = ROWS(f, -1, reason, &n);
	if (n) {
		fprintf(out, "\nDrops by Reason:\n");
		print_rows(out, r, n, 0, 32);
	}
	free(r);
	nl = layer_ids(f, lids, 64);
	fprintf(out, "\nTime per Layer (µs per packet: p50 / p90 / p99 / max):\n");
	for (uint32_t i = 0; i < nl; i++) {
		struct hist *h = malloc(sizeof(*h));

		if (h && ltime_of(f, -1, lids[i], h))
			fprintf(out, "  %-15s: %10.3f %10.3f %10.3f %10.3f  (%" PRIu64 " packets)\n",
				txt(nt_strtab_str(f->st, lids[i])), hist_pct(h, 50) / 1e3,
				hist_pct(h, 90) / 1e3, hist_pct(h, 99) / 1e3, h->max / 1e3, h->n);
		free(h);
	}
	fprintf(out, "\nLoss:\n");
	fprintf(out, "  %-28s: %6" PRIu64 "\n", "ring buffer (BPF)", t.lost_ringbuf);
	fprintf(out, "  %-28s: %6" PRIu64 "\n", "netlink (nftrace)", t.lost_netlink);
	fprintf(out, "  %-28s: %6" PRIu64 "\n", "user space", t.lost_user);
	fprintf(out, "  %-28s: %6" PRIu64 "\n", "uncorrelated NFT records", t.uncorrelated);
	fprintf(out, "  %-28s: %6" PRIu64 "\n", "incomplete packets", t.t.incomplete);
	fprintf(out, "  %-28s: %6" PRIu64 "\n", "  of which expired (idle)", t.expired);
	fprintf(out, "  %-28s: %d of %d complete\n", "logs", t.complete_logs, t.logs);

	fprintf(out, "\nPER HOST\n%s\n", sep);
	fprintf(out, "Totals per host:\n  %-*s %10s %10s %9s %10s %9s %12s  %s\n", hw, "host", "events",
		"packets", "dropped", "incomplete", "lost", "duration s", "kernel");
	for (int h = 0; h < f->nh; h++) {
		totals_of(f, h, &t);
		fprintf(out, "  %-*s %10" PRIu64 " %10" PRIu64 " %9" PRIu64 " %10" PRIu64 " %9" PRIu64
			" %12.6f  %s\n", hw, txt(f->h[h].label), t.t.events, t.t.packets, t.t.dropped,
			t.t.incomplete, t.lost_ringbuf + t.lost_netlink + t.lost_user,
			(double)t.duration_ns / 1e9, f->h[h].kernel ? txt(f->h[h].kernel) : "?");
	}
	fprintf(out, "\nPackets by Verdict per host:\n");
	for (int h = 0; h < f->nh; h++) {
		r = ROWS(f, h, verdict, &n);
		for (uint32_t i = 0; i < n; i++)
			fprintf(out, "  %-*s  %-15s: %6" PRIu64 "\n", hw, txt(f->h[h].label),
				txt(r[i].name), r[i].n);
		free(r);
	}
	fprintf(out, "\nDrops by Rule and Reason per host (rule: the deciding rule when nftables "
		     "dropped it; reason: the kernel's):\n");
	for (int h = 0; h < f->nh; h++) {
		r = ROWS(f, h, drop, &n);
		for (uint32_t i = 0; i < n && (int)i < top; i++)
			print_drop_key(out, hw, r[i].name, r[i].n, f->h[h].label);
		free(r);
	}
	fprintf(out, "\nTime per Layer per host (µs per packet: p50 / p90 / p99 / max):\n");
	for (int hh = 0; hh < f->nh; hh++)
		for (uint32_t i = 0; i < nl; i++) {
			struct hist *h = malloc(sizeof(*h));

			if (h && ltime_of(f, hh, lids[i], h))
				fprintf(out, "  %-*s  %-15s: %10.3f %10.3f %10.3f %10.3f  (%" PRIu64
					" packets)\n", hw, txt(f->h[hh].label),
					txt(nt_strtab_str(f->st, lids[i])), hist_pct(h, 50) / 1e3,
					hist_pct(h, 90) / 1e3, hist_pct(h, 99) / 1e3, h->max / 1e3, h->n);
			free(h);
		}
	for (int h = 0; h < f->nh; h++)
		if (f->h[h].log_status)
			fprintf(out, "  %-*s  log: %s\n", hw, txt(f->h[h].label), txt(f->h[h].log_status));
}

/* ---- JSON ---- */
static void j_totals(struct nt_jw *w, const struct tot *t)
{
	nt_jw_u64(w, "events", t->t.events);
	nt_jw_u64(w, "packets", t->t.packets);
	nt_jw_u64(w, "functions_hit", (uint64_t)t->funcs);
	nt_jw_u64(w, "nft_chains", t->t.chain_recs);
	nt_jw_u64(w, "nft_rules", t->t.rule_recs);
	nt_jw_u64(w, "duration_ns", t->duration_ns);
	nt_jw_u64(w, "incomplete_packets", t->t.incomplete);
	nt_jw_u64(w, "dropped_packets", t->t.dropped);
	nt_jw_u64(w, "logs", (uint64_t)t->logs);
	nt_jw_u64(w, "complete_logs", (uint64_t)t->complete_logs);
	nt_jw_str(w, "log_error", t->log_status);
}

static void j_loss(struct nt_jw *w, const struct tot *t)
{
	nt_jw_u64(w, "ringbuf", t->lost_ringbuf);
	nt_jw_u64(w, "netlink", t->lost_netlink);
	nt_jw_u64(w, "user", t->lost_user);
	nt_jw_u64(w, "uncorrelated_nft_records", t->uncorrelated);
	nt_jw_u64(w, "incomplete_packets", t->t.incomplete);
	nt_jw_u64(w, "expired_packets", t->expired);
}

struct out {
	struct nt_jw *w;
	int nd;
	const char *host;          /* per host rows: "host" member */
};

static void o_obj(struct out *o, const char *key)
{
	nt_jw_obj(o->w, o->nd ? NULL : key);
	if (o->nd)
		nt_jw_str(o->w, "section", key);
	if (o->nd && o->host)
		nt_jw_str(o->w, "host", o->host);
}

static void o_end(struct out *o)
{
	nt_jw_end(o->w);
	if (o->nd)
		nt_jw_newline(o->w);
}

static void o_arr(struct out *o, const char *key)
{
	if (!o->nd)
		nt_jw_arr(o->w, key);
}

static void o_arr_end(struct out *o)
{
	if (!o->nd)
		nt_jw_end(o->w);
}

static void o_row(struct out *o, const char *section)
{
	nt_jw_obj(o->w, NULL);
	if (o->nd)
		nt_jw_str(o->w, "section", section);
	if (o->nd && o->host)
		nt_jw_str(o->w, "host", o->host);
}

static void j_layer_time(struct out *o, struct nt_fstats *f, int host)
{
	uint32_t lids[64], nl = layer_ids(f, lids, 64);
	struct hist *h = malloc(sizeof(*h));

	o_arr(o, "layer_time");
	for (uint32_t i = 0; h && i < nl; i++) {
		if (!ltime_of(f, host, lids[i], h))
			continue;
		o_row(o, "layer_time");
		nt_jw_str(o->w, "layer", nt_strtab_str(f->st, lids[i]));
		nt_jw_u64(o->w, "packets", h->n);
		nt_jw_u64(o->w, "p50_ns", hist_pct(h, 50));
		nt_jw_u64(o->w, "p90_ns", hist_pct(h, 90));
		nt_jw_u64(o->w, "p99_ns", hist_pct(h, 99));
		nt_jw_u64(o->w, "max_ns", h->max);
		o_end(o);
	}
	o_arr_end(o);
	free(h);
}

/* the sections of HOST (< 0: merged) */
static void j_sections(struct out *o, struct nt_fstats *f, int host, int top)
{
	struct nt_jw *w = o->w;
	struct row *r;
	uint32_t n;
	struct tot t;

	totals_of(f, host, &t);
	o_obj(o, "totals");
	if (host >= 0)
		nt_jw_str(w, "kernel", f->h[host].kernel);
	j_totals(w, &t);
	o_end(o);
	if (host < 0) {
		r = ROWS(f, host, layer, &n);
		o_arr(o, "by_layer");
		for (uint32_t i = 0; i < n; i++) {
			o_row(o, "layer");
			nt_jw_str(w, "layer", r[i].name);
			nt_jw_u64(w, "events", r[i].n);
			o_end(o);
		}
		o_arr_end(o);
		free(r);
		r = ROWS(f, host, func, &n);
		o_arr(o, "by_function");
		for (uint32_t i = 0; i < n && (int)i < top; i++) {
			o_row(o, "function");
			nt_jw_str(w, "function", r[i].name);
			nt_jw_str(w, "layer", r[i].id < f->nfunc_layer ?
				  nt_strtab_str(f->st, f->func_layer[r[i].id]) : NULL);
			nt_jw_u64(w, "events", r[i].n);
			o_end(o);
		}
		o_arr_end(o);
		free(r);
	}
	r = ROWS(f, host, verdict, &n);
	o_arr(o, "by_verdict");
	for (uint32_t i = 0; i < n; i++) {
		o_row(o, "verdict");
		nt_jw_str(w, "verdict", r[i].name);
		nt_jw_u64(w, "packets", r[i].n);
		o_end(o);
	}
	o_arr_end(o);
	free(r);
	r = ROWS(f, host, rule, &n);
	o_arr(o, "by_rule");
	for (uint32_t i = 0; i < n && (host >= 0 || (int)i < top); i++) {
		uint32_t tid = r[i].id < f->nrule_text ? f->rule_text[r[i].id] : 0;

		o_row(o, "rule");
		nt_jw_str(w, "rule", r[i].name);
		nt_jw_str(w, "text", tid ? nt_strtab_str(f->st, tid) : NULL);
		nt_jw_u64(w, "packets", r[i].n);
		o_end(o);
	}
	o_arr_end(o);
	free(r);
	r = ROWS(f, host, reason, &n);
	o_arr(o, "drops_by_reason");
	for (uint32_t i = 0; i < n; i++) {
		o_row(o, "drop_reason");
		nt_jw_str(w, "reason", r[i].name);
		nt_jw_u64(w, "packets", r[i].n);
		o_end(o);
	}
	o_arr_end(o);
	free(r);
	if (host >= 0) {
		r = ROWS(f, host, drop, &n);
		o_arr(o, "drops");
		for (uint32_t i = 0; i < n; i++) {
			const char *sep = strchr(r[i].name, SEP[0]);
			char rule[512];

			snprintf(rule, sizeof(rule), "%.*s", sep ? (int)(sep - r[i].name) : 0, r[i].name);
			o_row(o, "drop");
			nt_jw_str(w, "rule", strcmp(rule, "-") ? rule : NULL);
			nt_jw_str(w, "reason", sep && strcmp(sep + 1, "-") ? sep + 1 : NULL);
			nt_jw_u64(w, "packets", r[i].n);
			o_end(o);
		}
		o_arr_end(o);
		free(r);
	}
	j_layer_time(o, f, host);
	o_obj(o, "loss");
	j_loss(w, &t);
	o_end(o);
}

static void stats_write(struct nt_jw *w, int nd, struct nt_fstats *f, int top)
{
	struct out o = { w, nd, NULL };

	if (top <= 0)
		top = 20;
	j_sections(&o, f, -1, top);
	if (!nd)
		nt_jw_arr(w, "hosts");
	for (int h = 0; h < f->nh; h++) {
		if (!nd) {
			nt_jw_obj(w, NULL);
			nt_jw_str(w, "host", f->h[h].label);
		}
		o.host = f->h[h].label;
		j_sections(&o, f, h, top);
		if (!nd)
			nt_jw_end(w);
	}
	if (!nd)
		nt_jw_end(w);
}

void nt_fstats_json(struct nt_jw *w, struct nt_fstats *f, int top)
{
	stats_write(w, 0, f, top);
}

void nt_fstats_ndjson(struct nt_jw *w, struct nt_fstats *f, int top)
{
	stats_write(w, 1, f, top);
}
