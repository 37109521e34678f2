// SPDX-License-Identifier: GPL-2.0
/* stats.c - TRACE STATISTICS (stats.h). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "model/hist.h"
#include "model/stats.h"

#define SMALL_IDS 4096 /* function ids counted by id (folded into slots for output) */
#define NVERD 16
#define MAX_REASONS 4096

struct rule_stat {
	uint64_t chain, handle;
	int kind;
	int32_t verdict;
	uint64_t packets;
};

struct nt_stats {
	uint64_t events, chain_recs, rule_recs, meta_recs, link_recs;
	uint64_t netfilter_events; /* NFT_CHAIN + NFT_RULE: layer "Netfilter" */
	uint64_t *by_func;         /* by the model's function slot */
	uint32_t nfunc;
	uint64_t unknown_funcs;    /* records of ids the model has no entry for */
	uint64_t *by_small_id;     /* ids < SMALL_IDS: counted by id, folded by stats_fold() */
	uint64_t packets, incomplete, dropped;
	uint64_t verdicts[NVERD];
	uint64_t fates[8];
	uint64_t chain_runs;       /* NFT chains of the packets (either source) */
	struct rule_stat *rules;
	uint32_t nrules, rules_cap;
	uint64_t *reasons;
	struct hist layer_time[NT_MODEL_MAX_LAYERS];
};

static int vidx(int32_t v)
{
	if (v == NT_V_NONE)
		return 0;
	if (v >= -5 && v <= 5)
		return v + 6; /* 1 .. 11 */
	return 12;
}

static int32_t vval(int i)
{
	return i == 0 ? NT_V_NONE : i == 12 ? -99 : i - 6;
}

struct nt_stats *nt_stats_new(void)
{
	struct nt_stats *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->reasons = calloc(MAX_REASONS, sizeof(*s->reasons));
	s->by_small_id = calloc(SMALL_IDS, sizeof(*s->by_small_id));
	if (!s->reasons || !s->by_small_id) {
		nt_stats_free(s);
		return NULL;
	}
	return s;
}

void nt_stats_free(struct nt_stats *s)
{
	if (!s)
		return;
	free(s->by_func);
	free(s->by_small_id);
	free(s->rules);
	free(s->reasons);
	free(s);
}

static void slot_hit(struct nt_stats *s, uint32_t slot, uint64_t n)
{
	if (slot >= s->nfunc) {
		uint32_t cap = s->nfunc ? s->nfunc : 256;
		uint64_t *b;

		if (slot == UINT32_MAX) {
			s->unknown_funcs += n;
			return;
		}
		while (cap <= slot)
			cap *= 2;
		b = realloc(s->by_func, cap * sizeof(*b));
		if (!b)
			return;
		memset(b + s->nfunc, 0, (cap - s->nfunc) * sizeof(*b));
		s->by_func = b;
		s->nfunc = cap;
	}
	s->by_func[slot] += n;
}

static inline void func_hit(struct nt_stats *s, const struct nt_model *m, uint32_t id)
{
	if (id < SMALL_IDS)
		s->by_small_id[id]++;
	else
		slot_hit(s, nt_model_func_slot(m, id), 1);
}

/* Counts by id -> counts by the model's function slot (before any output). */
static void stats_fold(struct nt_stats *s, const struct nt_model *m)
{
	for (uint32_t id = 0; id < SMALL_IDS; id++) {
		if (s->by_small_id[id]) {
			slot_hit(s, nt_model_func_slot(m, id), s->by_small_id[id]);
			s->by_small_id[id] = 0;
		}
	}
}

void nt_stats_event(struct nt_stats *s, const struct nt_model *m, const struct nt_packet *p,
		    const struct nt_ev_hdr *h)
{
	(void)p;
	s->events++;
	switch (h->type) {
	case NT_EV_FUNC:
	case NT_EV_DROP:
	case NT_EV_FREE:
		func_hit(s, m, h->id);
		break;
	case NT_EV_NFT_CHAIN:
		if (((const struct nt_ev_nft_chain *)h)->phase == NT_CHAIN_ENTER)
			s->chain_recs++;
		s->netfilter_events++;
		break;
	case NT_EV_NFT_RULE:
		s->rule_recs++;
		s->netfilter_events++;
		break;
	case NT_EV_META:
		s->meta_recs++;
		break;
	case NT_EV_LINK:
		s->link_recs++;
		break;
	default:
		break;
	}
}

void nt_stats_packet_records(struct nt_stats *s, const struct nt_model *m,
			     const struct nt_packet *p)
{
	size_t off = 0;

	while (off + sizeof(struct nt_ev_hdr) <= p->ev_len) {
		const struct nt_ev_hdr *h = (const void *)(p->ev + off);

		nt_stats_event(s, m, p, h);
		off += nt_ev_len(h);
	}
	nt_stats_packet(s, m, p);
}

static void rule_count(struct nt_stats *s, const struct nt_packet *p)
{
	struct rule_stat *r;

	for (uint32_t i = 0; i < s->nrules; i++) {
		r = &s->rules[i];
		if (r->chain == p->verdict_chain && r->handle == p->verdict_rule &&
		    r->kind == p->verdict_kind && r->verdict == p->verdict) {
			r->packets++;
			return;
		}
	}
	if (s->nrules == s->rules_cap) {
		uint32_t cap = s->rules_cap ? s->rules_cap * 2 : 32;

		if (cap > 65536)
			return;
		r = realloc(s->rules, cap * sizeof(*r));
		if (!r)
			return;
		s->rules = r;
		s->rules_cap = cap;
	}
	r = &s->rules[s->nrules++];
	r->chain = p->verdict_chain;
	r->handle = p->verdict_rule;
	r->kind = p->verdict_kind;
	r->verdict = p->verdict;
	r->packets = 1;
}

void nt_stats_packet(struct nt_stats *s, const struct nt_model *m, const struct nt_packet *p)
{
	(void)m;
	s->packets++;
	if (p->incomplete)
		s->incomplete++;
	s->verdicts[vidx(p->verdict)]++;
	s->fates[p->fate & 7]++;
	s->chain_runs += nt_packet_chains(p);
	if (p->dropped) {
		s->dropped++;
		if (p->drop_reason < MAX_REASONS)
			s->reasons[p->drop_reason]++;
	}
	if (p->verdict_chain)
		rule_count(s, p);
	/* the layers it has records of, in layer order (one step per bit set,
	 * not per layer) */
	for (uint32_t seen = p->layer_seen; seen; seen &= seen - 1) {
		int l = __builtin_ctz(seen);

		hist_add(&s->layer_time[l], p->layer_ns[l]);
	}
}

/* ---- sorted views ---- */
struct row {
	const char *name;
	uint64_t n;
	int idx;
};

static int row_cmp(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int cmp_rule(const void *a, const void *b)
{
	const struct rule_stat *x = a, *y = b;

	if (x->packets != y->packets)
		return x->packets > y->packets ? -1 : 1;
	if (x->chain != y->chain)
		return x->chain < y->chain ? -1 : 1;
	if (x->handle != y->handle)
		return x->handle < y->handle ? -1 : 1;
	return x->verdict - y->verdict;
}

/* Layer event counts (functions by their layer, NFT records as Netfilter). */
static int layer_rows(struct nt_stats *s, const struct nt_model *m, struct row *rows)
{
	int nl = nt_model_layer_count(m), n = 0, nf = -1;
	uint64_t cnt[NT_MODEL_MAX_LAYERS + 1] = { 0 };

	for (uint32_t i = 0; i < s->nfunc && i < nt_model_func_count(m); i++) {
		int l = nt_model_func_at(m, i)->layer;

		if (s->by_func[i] && l >= 0 && l < NT_MODEL_MAX_LAYERS)
			cnt[l] += s->by_func[i];
	}
	if (s->unknown_funcs) { /* the shared "func#?" entry's layer */
		int l = nt_model_func(m, UINT32_MAX)->layer;

		if (l >= 0 && l < NT_MODEL_MAX_LAYERS)
			cnt[l] += s->unknown_funcs;
	}
	for (int l = 0; l < nl; l++)
		if (!strcmp(nt_model_layer_name(m, l), "Netfilter"))
			nf = l;
	if (nf >= 0)
		cnt[nf] += s->netfilter_events;
	for (int l = 0; l < nl; l++)
		if (cnt[l])
			rows[n++] = (struct row){ nt_model_layer_name(m, l), cnt[l], l };
	if (nf < 0 && s->netfilter_events)
		rows[n++] = (struct row){ "Netfilter", s->netfilter_events, -1 };
	qsort(rows, (size_t)n, sizeof(*rows), row_cmp);
	return n;
}

static struct row *func_rows(struct nt_stats *s, const struct nt_model *m, int *n)
{
	struct row *rows = malloc(((size_t)s->nfunc + 1) * sizeof(*rows));

	*n = 0;
	if (!rows)
		return NULL;
	for (uint32_t i = 0; i < s->nfunc; i++)
		if (s->by_func[i])
			rows[(*n)++] = (struct row){ nt_model_func_at(m, i)->name, s->by_func[i], (int)i };
	if (s->unknown_funcs) /* idx -1: nt_model_func_at() gives the "func#?" entry */
		rows[(*n)++] = (struct row){ nt_model_func_at(m, UINT32_MAX)->name, s->unknown_funcs, -1 };
	qsort(rows, (size_t)*n, sizeof(*rows), row_cmp);
	return rows;
}

static void rule_label(char *buf, size_t len, const struct nt_model *m, const struct rule_stat *r)
{
	char ch[900];

	nt_fmt_chain(ch, sizeof(ch), m, r->chain);
	if (r->handle)
		snprintf(buf, len, "%s #%" PRIu64 " %s", ch, r->handle, nt_verdict_name(r->verdict));
	else if (r->kind == NT_RULE_KIND_POLICY)
		snprintf(buf, len, "%s policy %s", ch, nt_verdict_name(r->verdict));
	else
		snprintf(buf, len, "%s %s", ch, nt_verdict_name(r->verdict));
}

/* Chain evaluations: of the packets (BPF chain records or nftables' trace
 * steps, whichever saw more per packet), or the chain records of the log
 * when they are more (records of no packet). */
static uint64_t nft_chains(const struct nt_stats *s)
{
	return s->chain_runs > s->chain_recs ? s->chain_runs : s->chain_recs;
}

static int top_of(const struct nt_stats_out *o)
{
	return o && o->top > 0 ? o->top : 20;
}

static uint64_t funcs_hit(const struct nt_stats *s)
{
	uint64_t n = 0;

	for (uint32_t i = 0; i < s->nfunc; i++)
		n += s->by_func[i] != 0;
	n += s->unknown_funcs != 0;
	return n;
}

void nt_stats_print_text(FILE *out, struct nt_stats *s, const struct nt_model *m,
			 const struct nt_stats_out *o)
{
	const struct nt_model_totals *t = nt_model_totals(m);
	struct row lrows[NT_MODEL_MAX_LAYERS + 1], *frows;
	int nl, nf, top = top_of(o);
	char sep[81];

	stats_fold(s, m);
	memset(sep, '=', 80);
	sep[80] = 0;
	fprintf(out, "TRACE STATISTICS\n%s\n", sep);
	fprintf(out, "%-20s%" PRIu64 "\n", "Total events:", s->events);
	fprintf(out, "%-20s%" PRIu64 "\n", "Packets traced:", s->packets);
	fprintf(out, "%-20s%" PRIu64 "\n", "Functions hit:", funcs_hit(s));
	fprintf(out, "%-20s%" PRIu64 "\n", "NFT chains:", nft_chains(s));
	fprintf(out, "%-20s%" PRIu64 "\n", "NFT rules:", s->rule_recs);
	if (t->first_ts && t->last_ts >= t->first_ts)
		fprintf(out, "%-20s%.6f s\n", "Duration:", (double)(t->last_ts - t->first_ts) / 1e9);

	nl = layer_rows(s, m, lrows);
	fprintf(out, "\nEvents by Layer:\n");
	for (int i = 0; i < nl; i++)
		fprintf(out, "  %-15s: %6" PRIu64 "\n", nt_esc_t(lrows[i].name), lrows[i].n);

	frows = func_rows(s, m, &nf);
	fprintf(out, "\nEvents by Function (top %d):\n", top);
	for (int i = 0; i < nf && i < top; i++)
		fprintf(out, "  %-32s: %6" PRIu64 "\n", nt_esc_t(frows[i].name), frows[i].n);
	free(frows);

	fprintf(out, "\nPackets by Verdict:\n");
	{
		struct row v[NVERD];
		int n = 0;

		for (int i = 0; i < NVERD; i++)
			if (s->verdicts[i])
				v[n++] = (struct row){ nt_verdict_name(vval(i)), s->verdicts[i], i };
		qsort(v, (size_t)n, sizeof(*v), row_cmp);
		for (int i = 0; i < n; i++)
			fprintf(out, "  %-15s: %6" PRIu64 "\n", v[i].name, v[i].n);
	}

	fprintf(out, "\nPackets by Fate:\n");
	{
		struct row v[8];
		int n = 0;

		for (int i = 0; i < 8; i++)
			if (s->fates[i])
				v[n++] = (struct row){ nt_fate_name(i), s->fates[i], i };
		qsort(v, (size_t)n, sizeof(*v), row_cmp);
		for (int i = 0; i < n; i++)
			fprintf(out, "  %-15s: %6" PRIu64 "\n", v[i].name, v[i].n);
	}

	if (s->nrules) {
		qsort(s->rules, s->nrules, sizeof(*s->rules), cmp_rule);
		fprintf(out, "\nPackets by Rule (deciding rule or policy, top %d):\n", top);
		for (uint32_t i = 0; i < s->nrules && (int)i < top; i++) {
			char label[1000];
			const char *text = nt_model_rule_text(m, s->rules[i].chain, s->rules[i].handle);

			rule_label(label, sizeof(label), m, &s->rules[i]);
			if (text)
				fprintf(out, "  %-40s: %6" PRIu64 "  %s\n", label, s->rules[i].packets,
					nt_rule_text_t(m, text));
			else
				fprintf(out, "  %-40s: %6" PRIu64 "\n", label, s->rules[i].packets);
		}
	}

	if (s->dropped) {
		struct row *rr = malloc(MAX_REASONS * sizeof(*rr));
		int n = 0;

		fprintf(out, "\nDrops by Reason:\n");
		for (int i = 0; rr && i < MAX_REASONS; i++)
			if (s->reasons[i]) {
				const char *nm = nt_model_drop_reason(m, (uint32_t)i);

				rr[n++] = (struct row){ nm ? nm : "?", s->reasons[i], i };
			}
		if (rr)
			qsort(rr, (size_t)n, sizeof(*rr), row_cmp);
		for (int i = 0; i < n; i++) {
			if (strcmp(rr[i].name, "?"))
				fprintf(out, "  %-32s: %6" PRIu64 "\n", nt_esc_t(rr[i].name), rr[i].n);
			else
				fprintf(out, "  reason %-25d: %6" PRIu64 "\n", rr[i].idx, rr[i].n);
		}
		free(rr);
	}

	fprintf(out, "\nTime per Layer (µs per packet: p50 / p90 / p99 / max):\n");
	for (int l = 0; l < nt_model_layer_count(m) && l < NT_MODEL_MAX_LAYERS; l++) {
		const struct hist *h = &s->layer_time[l];

		if (!h->n)
			continue;
		fprintf(out, "  %-15s: %10.3f %10.3f %10.3f %10.3f  (%" PRIu64 " packets)\n",
			nt_esc_t(nt_model_layer_name(m, l)), hist_pct(h, 50) / 1e3, hist_pct(h, 90) / 1e3,
			hist_pct(h, 99) / 1e3, h->max / 1e3, h->n);
	}

	fprintf(out, "\nLoss:\n");
	fprintf(out, "  %-28s: %6" PRIu64 "\n", "ring buffer (BPF)", t->lost_ringbuf);
	fprintf(out, "  %-28s: %6" PRIu64 "\n", "netlink (nftrace)", t->lost_netlink);
	if (t->lost_nftrace_ring)
		fprintf(out, "  %-28s: %6" PRIu64 "\n", "nftrace (BPF ring)", t->lost_nftrace_ring);
	fprintf(out, "  %-28s: %6" PRIu64 "\n", "user space", t->lost_user);
	if (t->lost_stack)
		fprintf(out, "  %-28s: %6" PRIu64 "\n", "kernel stacks (--stack)", t->lost_stack);
	if (t->lost_probe)
		fprintf(out, "  %-28s: %6" PRIu64 "\n", "probe runs skipped (kernel)", t->lost_probe);
	fprintf(out, "  %-28s: %6" PRIu64 "\n", "uncorrelated NFT records", t->uncorrelated);
	if (t->nft_unmatched)
		fprintf(out, "  %-28s: %6" PRIu64 "\n", "  counted by the recorder", t->nft_unmatched);
	fprintf(out, "  %-28s: %6" PRIu64 "\n", "incomplete packets", s->incomplete);
	fprintf(out, "  %-28s: %6" PRIu64 "\n", "  of which expired (idle)", t->expired);
	if (t->evicted)
		fprintf(out, "  %-28s: %6" PRIu64 "\n", "  of which closed early", t->evicted);
	if (t->not_ip)
		fprintf(out, "  %-28s: %6" PRIu64 "\n", "skbs without IP (no journey)", t->not_ip);
	if (t->discarded)
		fprintf(out, "  %-28s: %6" PRIu64 "\n", "discarded (capture filter)", t->discarded);
	if (t->after_free)
		fprintf(out, "  %-28s: %6" PRIu64 "\n", "records after their free", t->after_free);
	if (t->reuse_cancelled)
		fprintf(out, "  %-28s: %6" PRIu64 "\n", "inferred frees: refragmented", t->reuse_cancelled);
	if (t->shed_packets || t->shed_events) { /* nft-record --max-events-per-s */
		fprintf(out, "  %-28s: %6" PRIu64 "\n", "shed packets (valve)", t->shed_packets);
		fprintf(out, "  %-28s: %6" PRIu64 "\n", "  their events", t->shed_events);
	}
	if (t->reordered || t->late || t->written_late) {
		fprintf(out, "  %-28s: %6" PRIu64 "\n", "records put in time order", t->reordered);
		fprintf(out, "  %-28s: %6" PRIu64 "\n", "  later than the window", t->late);
		if (t->written_late)
			fprintf(out, "  %-28s: %6" PRIu64 "\n", "  written late (recorder)", t->written_late);
	}
	if (o && o->log_status)
		fprintf(out, "  %-28s: %s\n", "log", o->log_status);
	else if (o && !o->log_complete)
		fprintf(out, "  %-28s: %s\n", "log", "no trailer (recording did not end cleanly)");
}

static void jw_layer_time(struct nt_jw *w, const struct nt_model *m, int l, const struct hist *h)
{
	nt_jw_str(w, "layer", nt_model_layer_name(m, l));
	nt_jw_u64(w, "packets", h->n);
	nt_jw_u64(w, "p50_ns", hist_pct(h, 50));
	nt_jw_u64(w, "p90_ns", hist_pct(h, 90));
	nt_jw_u64(w, "p99_ns", hist_pct(h, 99));
	nt_jw_u64(w, "max_ns", h->max);
}

static void jw_rule(struct nt_jw *w, const struct nt_model *m, const struct rule_stat *r)
{
	const struct nt_ev_nft_chaindef *c = nt_model_chain(m, r->chain);

	if (c) {
		nt_jw_str(w, "family", nt_family_name(c->family));
		nt_jw_str(w, "table", c->table);
		nt_jw_str(w, "chain", c->chain);
	} else {
		nt_jw_hex(w, "chain_key", r->chain);
	}
	nt_jw_u64(w, "handle", r->handle);
	nt_jw_str(w, "kind", r->handle ? "rule" : r->kind == NT_RULE_KIND_POLICY ? "policy" : "chain");
	nt_jw_str(w, "verdict", nt_verdict_name(r->verdict));
	nt_jw_rule_text(w, m, nt_model_rule_text(m, r->chain, r->handle));
	nt_jw_u64(w, "packets", r->packets);
}

static void jw_totals(struct nt_jw *w, struct nt_stats *s, const struct nt_model *m,
		      const struct nt_stats_out *o)
{
	const struct nt_model_totals *t = nt_model_totals(m);

	nt_jw_u64(w, "events", s->events);
	nt_jw_u64(w, "packets", s->packets);
	nt_jw_u64(w, "functions_hit", funcs_hit(s));
	nt_jw_u64(w, "nft_chains", nft_chains(s));
	nt_jw_u64(w, "nft_rules", s->rule_recs);
	nt_jw_u64(w, "duration_ns", t->last_ts >= t->first_ts ? t->last_ts - t->first_ts : 0);
	nt_jw_u64(w, "incomplete_packets", s->incomplete);
	nt_jw_u64(w, "dropped_packets", s->dropped);
	nt_jw_u64(w, "max_open_packets", t->max_open);
	nt_jw_bool(w, "log_complete", o ? o->log_complete : 0);
	nt_jw_str(w, "log_error", o ? o->log_status : NULL);
}

static void jw_loss(struct nt_jw *w, const struct nt_model *m, const struct nt_stats *s)
{
	const struct nt_model_totals *t = nt_model_totals(m);

	nt_jw_u64(w, "ringbuf", t->lost_ringbuf);
	nt_jw_u64(w, "netlink", t->lost_netlink);
	nt_jw_u64(w, "user", t->lost_user);
	nt_jw_u64(w, "nftrace_ring", t->lost_nftrace_ring);
	if (t->lost_stack) /* only in logs of --stack that lost one */
		nt_jw_u64(w, "stack", t->lost_stack);
	if (t->lost_probe) /* only in logs whose kernel skipped a probe run */
		nt_jw_u64(w, "probe", t->lost_probe);
	nt_jw_u64(w, "uncorrelated_nft_records", t->uncorrelated);
	nt_jw_u64(w, "nft_unmatched_counted", t->nft_unmatched);
	nt_jw_u64(w, "incomplete_packets", s->incomplete);
	nt_jw_u64(w, "expired_packets", t->expired);
	nt_jw_u64(w, "not_ip", t->not_ip);
	nt_jw_u64(w, "discarded_packets", t->discarded);
	nt_jw_u64(w, "reordered_records", t->reordered);
	nt_jw_u64(w, "late_records", t->late);
	nt_jw_u64(w, "written_late", t->written_late);
	nt_jw_u64(w, "refragmented_not_reused", t->reuse_cancelled);
	nt_jw_u64(w, "records_after_free", t->after_free);
	if (t->shed_packets || t->shed_events) { /* only logs of a valve that shed */
		nt_jw_u64(w, "shed_packets", t->shed_packets);
		nt_jw_u64(w, "shed_events", t->shed_events);
	}
}

/* The statistics as JSON: members of one document (--json: arrays of rows)
 * or one line per row with its "section" (--ndjson). */
struct sec {
	struct nt_jw *w;
	int nd;
};

/* an object: member KEY of the document, or the line of section KEY */
static void obj_begin(struct sec *x, const char *key)
{
	nt_jw_obj(x->w, x->nd ? NULL : key);
	if (x->nd)
		nt_jw_str(x->w, "section", key);
}

static void obj_end(struct sec *x)
{
	nt_jw_end(x->w);
	if (x->nd)
		nt_jw_newline(x->w);
}

/* rows: the array ARRAY of the document, or lines of section ROW */
static void rows_begin(struct sec *x, const char *array)
{
	if (!x->nd)
		nt_jw_arr(x->w, array);
}

static void rows_end(struct sec *x)
{
	if (!x->nd)
		nt_jw_end(x->w);
}

static void row_begin(struct sec *x, const char *section)
{
	nt_jw_obj(x->w, NULL);
	if (x->nd)
		nt_jw_str(x->w, "section", section);
}

static void stats_write(struct nt_jw *w, int nd, struct nt_stats *s, const struct nt_model *m,
			const struct nt_stats_out *o)
{
	struct row lrows[NT_MODEL_MAX_LAYERS + 1], *frows;
	struct sec x = { w, nd };
	int nl, nf, top = top_of(o);

	stats_fold(s, m);
	obj_begin(&x, "totals");
	jw_totals(w, s, m, o);
	obj_end(&x);
	nl = layer_rows(s, m, lrows);
	rows_begin(&x, "by_layer");
	for (int i = 0; i < nl; i++) {
		row_begin(&x, "layer");
		nt_jw_str(w, "layer", lrows[i].name);
		nt_jw_u64(w, "events", lrows[i].n);
		obj_end(&x);
	}
	rows_end(&x);
	frows = func_rows(s, m, &nf);
	rows_begin(&x, "by_function");
	for (int i = 0; i < nf && i < top; i++) {
		row_begin(&x, "function");
		nt_jw_str(w, "function", frows[i].name);
		nt_jw_str(w, "layer", nt_model_func_at(m, (uint32_t)frows[i].idx)->layer_name);
		nt_jw_u64(w, "events", frows[i].n);
		obj_end(&x);
	}
	rows_end(&x);
	free(frows);
	rows_begin(&x, "by_verdict");
	for (int i = 0; i < NVERD; i++)
		if (s->verdicts[i]) {
			row_begin(&x, "verdict");
			nt_jw_str(w, "verdict", nt_verdict_name(vval(i)));
			nt_jw_u64(w, "packets", s->verdicts[i]);
			obj_end(&x);
		}
	rows_end(&x);
	rows_begin(&x, "by_fate");
	for (int i = 0; i < 8; i++)
		if (s->fates[i]) {
			row_begin(&x, "fate");
			nt_jw_str(w, "fate", nt_fate_name(i));
			nt_jw_u64(w, "packets", s->fates[i]);
			obj_end(&x);
		}
	rows_end(&x);
	if (s->nrules > 1) /* s->rules is NULL while empty: qsort(NULL) is UB */
		qsort(s->rules, s->nrules, sizeof(*s->rules), cmp_rule);
	rows_begin(&x, "by_rule");
	for (uint32_t i = 0; i < s->nrules && (int)i < top; i++) {
		row_begin(&x, "rule");
		jw_rule(w, m, &s->rules[i]);
		obj_end(&x);
	}
	rows_end(&x);
	rows_begin(&x, "drops_by_reason");
	for (int i = 0; i < MAX_REASONS; i++)
		if (s->reasons[i]) {
			row_begin(&x, "drop_reason");
			nt_jw_u64(w, "value", (uint64_t)i);
			nt_jw_str(w, "reason", nt_model_drop_reason(m, (uint32_t)i));
			nt_jw_u64(w, "packets", s->reasons[i]);
			obj_end(&x);
		}
	rows_end(&x);
	rows_begin(&x, "layer_time");
	for (int l = 0; l < nt_model_layer_count(m) && l < NT_MODEL_MAX_LAYERS; l++)
		if (s->layer_time[l].n) {
			row_begin(&x, "layer_time");
			jw_layer_time(w, m, l, &s->layer_time[l]);
			obj_end(&x);
		}
	rows_end(&x);
	obj_begin(&x, "loss");
	jw_loss(w, m, s);
	obj_end(&x);
}

void nt_stats_json(struct nt_jw *w, struct nt_stats *s, const struct nt_model *m,
		   const struct nt_stats_out *o)
{
	stats_write(w, 0, s, m, o);
}

void nt_stats_ndjson(struct nt_jw *w, struct nt_stats *s, const struct nt_model *m,
		     const struct nt_stats_out *o)
{
	stats_write(w, 1, s, m, o);
}

void nt_stats_rule_label(char *buf, size_t len, const struct nt_model *m, const struct nt_packet *p)
{
	struct rule_stat r = { .chain = p->verdict_chain, .handle = p->verdict_rule,
			       .kind = p->verdict_kind, .verdict = p->verdict };

	if (!p->verdict_chain) {
		buf[0] = 0;
		return;
	}
	rule_label(buf, len, m, &r);
}

void nt_stats_visit(struct nt_stats *s, const struct nt_model *m, const struct nt_stats_visit *v,
		    void *ctx)
{
	struct row lrows[NT_MODEL_MAX_LAYERS + 1], *frows;
	int nl, nf;

	stats_fold(s, m);
	if (v->totals) {
		struct nt_stats_totals t = { s->events, s->packets, s->chain_recs, s->rule_recs,
					     s->incomplete, s->dropped };

		v->totals(ctx, &t);
	}
	nl = layer_rows(s, m, lrows);
	for (int i = 0; v->layer && i < nl; i++)
		v->layer(ctx, lrows[i].name, lrows[i].n);
	frows = v->func ? func_rows(s, m, &nf) : NULL;
	for (int i = 0; frows && i < nf; i++)
		v->func(ctx, frows[i].name, nt_model_func_at(m, (uint32_t)frows[i].idx)->layer_name,
			frows[i].n);
	free(frows);
	for (int i = 0; v->verdict && i < NVERD; i++)
		if (s->verdicts[i])
			v->verdict(ctx, nt_verdict_name(vval(i)), s->verdicts[i]);
	for (uint32_t i = 0; v->rule && i < s->nrules; i++) {
		char label[256];

		rule_label(label, sizeof(label), m, &s->rules[i]);
		v->rule(ctx, label, s->rules[i].handle ?
			nt_model_rule_text(m, s->rules[i].chain, s->rules[i].handle) : NULL,
			s->rules[i].packets);
	}
	for (int i = 0; v->reason && i < MAX_REASONS; i++)
		if (s->reasons[i]) {
			const char *nm = nt_model_drop_reason(m, (uint32_t)i);
			char rb[32];

			if (!nm) {
				snprintf(rb, sizeof(rb), "reason %d", i);
				nm = rb;
			}
			v->reason(ctx, nm, s->reasons[i]);
		}
	for (int l = 0; v->layer_time && l < nt_model_layer_count(m) && l < NT_MODEL_MAX_LAYERS; l++)
		if (s->layer_time[l].n)
			v->layer_time(ctx, nt_model_layer_name(m, l), &s->layer_time[l]);
}
