// SPDX-License-Identifier: GPL-2.0
/* fleet_journeys.c - `nft-analyze journeys LOG...` with logs of several hosts
 * (cmds.h, model/stitch.h): pass 1 reads every log for its wire observations
 * and stitches; pass 2 reads the logs side by side in (offset-corrected) time
 * order and prints each journey when its last part completed: a packet that
 * crossed hosts as one JOURNEY with its parts grouped by host, the others
 * alone.  Memory: the observations (pass 1), the open packets of every log
 * and the rendered parts of journeys not complete yet (pass 2). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/escape.h"
#include "common/sat.h"
#include "common/tool.h"
#include "formats/ntlog.h"
#include "model/journey.h"
#include "model/stitch.h"
#include "nft-analyze/cmds.h"
#include "nft-analyze/query.h"

struct part {
	int host;
	uint64_t packet;
	int64_t start;           /* reference time of its first record */
	int64_t end;
	int32_t verdict;
	char *text;              /* rendered PACKET TRACE block / journey JSON */
	size_t len;
	char flow[160];
};

struct pending {
	uint32_t journey;        /* stitch journey id */
	uint32_t want, have;
	int selected;
	struct part *parts;
};

struct fsrc {
	struct fj *fj;
	int i;                   /* source index */
	struct nt_walk w;
	struct nt_clock clk;
	struct nt_select sel;    /* the query's selection, its window for this log */
	int st, done;
	int64_t pos;             /* reference time of the latest record */
};

struct fj {
	struct nt_query *q;
	struct nt_fleet *fl;
	struct nt_stitch *sti;
	struct fsrc *src;
	struct pending *pend;    /* by stitch journey id */
	uint32_t npend;
	uint64_t shown, shown_stitched, seq;
	int stop, oom, pass;
	FILE *out;
	struct nt_limits lim;    /* --max-*; what the logs (summed) and the stitching reached */
};

/* ---- small output helpers ---- */
static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	nt_esc_fputs(f, NT_ESC_JSON, s); /* strict UTF-8, controls escaped */
	fputc('"', f);
}

static const char *label(struct fj *fj, int host)
{
	return fj->fl->host[host].label; /* from a log: escaped where printed */
}

/* ---- pass 1 ---- */
static void p1_meta(void *ctx, uint16_t type, const char *json, size_t len)
{
	struct fsrc *s = ctx;

	if (nt_clock_meta(&s->clk, type, json, len))
		s->fj->oom = 1;
}

static void p1_packet(void *ctx, const struct nt_packet *p)
{
	struct fsrc *s = ctx;

	if (nt_stitch_packet(s->fj->sti, s->i, s->w.m, &s->clk, p))
		s->fj->oom = 1;
}

/* ---- pass 2 ---- */
static int64_t ref_time(struct fsrc *s, uint64_t ts)
{
	uint64_t w = nt_clock_wall(&s->clk, ts);

	return (int64_t)(w ? w : ts) - nt_stitch_host_offset(s->fj->sti, s->fj->fl->src[s->i].host);
}

static char *render(struct fj *fj, struct fsrc *s, const struct nt_packet *p, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	struct nt_jw jw;

	if (!f)
		return NULL;
	if (fj->q->mode == NT_OUT_TEXT) {
		nt_journey_print_text(f, s->w.m, p);
	} else {
		nt_jw_init(&jw, f);
		nt_journey_json(&jw, s->w.m, p);
	}
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

static int part_cmp(const void *a, const void *b)
{
	const struct part *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

static void fmt_us(char *b, size_t n, int64_t ns)
{
	snprintf(b, n, "%s%.3f", ns < 0 ? "-" : "+", (double)(ns < 0 ? -ns : ns) / 1e3);
}

/* journey verdict: DROP when any part dropped it, else the last decision */
static int32_t journey_verdict(const struct part *v, uint32_t n)
{
	int32_t verdict = NT_V_NONE;

	for (uint32_t i = 0; i < n; i++) {
		if (v[i].verdict == NT_V_DROP)
			return NT_V_DROP;
		if (v[i].verdict != NT_V_NONE)
			verdict = v[i].verdict;
	}
	return verdict;
}

/* the first part of its host (hosts in the order the packet reached them) */
static int first_of_host(const struct part *v, uint32_t i)
{
	for (uint32_t k = 0; k < i; k++)
		if (v[k].host == v[i].host)
			return 0;
	return 1;
}

static void print_journey(struct fj *fj, struct part *v, uint32_t n)
{
	FILE *o = fj->out;
	int64_t t0;
	char us[32];

	qsort(v, n, sizeof(*v), part_cmp);
	t0 = v[0].start;
	fj->shown++;
	fj->shown_stitched += n > 1;
	if (fj->q->mode == NT_OUT_TEXT) {
		if (n > 1) {
			uint32_t nh = 0;

			for (uint32_t i = 0; i < n; i++)
				nh += first_of_host(v, i);
			fprintf(o, "################################################################################\n");
			fprintf(o, "JOURNEY %" PRIu64 ": %s across %u hosts in %u parts: ", fj->shown,
				v[0].flow, nh, n);
			for (uint32_t i = 0, k = 0; i < n; i++)
				if (first_of_host(v, i))
					fprintf(o, "%s%s", k++ ? " → " : "", nt_esc_t(label(fj, v[i].host)));
			fmt_us(us, sizeof(us), v[n - 1].end - t0);
			fprintf(o, " | Verdict: %s | %s µs\n",
				nt_verdict_name(journey_verdict(v, n)), us + 1);
			fprintf(o, "################################################################################\n");
		}
		for (uint32_t i = 0; i < n; i++) {
			fmt_us(us, sizeof(us), v[i].start - t0);
			if (n > 1)
				fprintf(o, "--- host %s: part %u of %u, packet %" PRIu64 ", at %s µs ---\n",
					nt_esc_t(label(fj, v[i].host)), i + 1, n, v[i].packet, us);
			else
				fprintf(o, "--- host %s: packet %" PRIu64 " ---\n", nt_esc_t(label(fj, v[i].host)),
					v[i].packet);
			fwrite(v[i].text, 1, v[i].len, o);
		}
		return;
	}
	if (fj->q->mode == NT_OUT_JSON && fj->seq++)
		fputc(',', o);
	fprintf(o, "{\"journey\":%" PRIu64 ",\"stitched\":%s,\"hosts\":[", fj->shown,
		n > 1 ? "true" : "false");
	for (uint32_t i = 0, k = 0; i < n; i++) {
		if (!first_of_host(v, i))
			continue;
		if (k++)
			fputc(',', o);
		json_str(o, label(fj, v[i].host));
	}
	fprintf(o, "],\"verdict\":\"%s\",\"duration_ns\":%" PRId64 ",\"parts\":[",
		nt_verdict_name(journey_verdict(v, n)), v[n - 1].end - t0);
	for (uint32_t i = 0; i < n; i++) {
		fprintf(o, "%s{\"host\":", i ? "," : "");
		json_str(o, label(fj, v[i].host));
		fprintf(o, ",\"t_ns\":%" PRId64 ",\"packet\":", v[i].start - t0);
		fwrite(v[i].text, 1, v[i].len, o);
		fputc('}', o);
	}
	fputs("]}", o);
	if (fj->q->mode == NT_OUT_NDJSON)
		fputc('\n', o);
}

static void stop_all(struct fj *fj)
{
	fj->stop = 1;
	for (int i = 0; i < fj->fl->nsrc; i++)
		fj->src[i].w.stop = 1;
}

static void p2_packet(void *ctx, const struct nt_packet *p)
{
	struct fsrc *s = ctx;
	struct fj *fj = s->fj;
	uint32_t j = nt_stitch_journey(fj->sti, s->i, p->id);
	int sel = nt_select_match_packet(&s->sel, s->w.m, p) &&
		  nt_select_packet_has_func(&s->sel, s->w.m, p);
	struct part pt = { .host = fj->fl->src[s->i].host, .packet = p->id,
			   .start = ref_time(s, p->first_ts), .end = ref_time(s, p->last_ts),
			   .verdict = p->verdict };
	struct pending *pe;

	if (fj->stop || fj->oom || !p->id || (!j && !sel))
		return;
	if (p->has_meta) {
		char flow[140];

		nt_fmt_flow(flow, sizeof(flow), &p->meta);
		snprintf(pt.flow, sizeof(pt.flow), "[%s] %s", nt_proto_name(p->meta.l4proto), flow);
	}
	pt.text = render(fj, s, p, &pt.len);
	if (!pt.text) {
		fj->oom = 1;
		return;
	}
	if (!j) {
		print_journey(fj, &pt, 1);
		free(pt.text);
		goto limit;
	}
	if (j >= fj->npend) {
		uint32_t cap = fj->npend ? fj->npend : 64;
		struct pending *v;

		while (cap <= j)
			cap *= 2;
		v = realloc(fj->pend, cap * sizeof(*v));
		if (!v) {
			free(pt.text);
			fj->oom = 1;
			return;
		}
		memset(v + fj->npend, 0, (cap - fj->npend) * sizeof(*v));
		fj->pend = v;
		fj->npend = cap;
	}
	pe = &fj->pend[j];
	if (!pe->parts) {
		pe->want = nt_stitch_parts(fj->sti, j);
		pe->parts = calloc(pe->want, sizeof(*pe->parts));
		if (!pe->parts) {
			free(pt.text);
			fj->oom = 1;
			return;
		}
	}
	if (pe->have == pe->want) { /* (cannot happen: ids are those of pass 1) */
		free(pt.text);
		return;
	}
	pe->parts[pe->have++] = pt;
	pe->selected |= sel;
	if (pe->have < pe->want)
		return;
	if (pe->selected)
		print_journey(fj, pe->parts, pe->have);
	for (uint32_t i = 0; i < pe->have; i++)
		free(pe->parts[i].text);
	free(pe->parts);
	memset(pe, 0, sizeof(*pe));
limit:
	if ((fj->q->limit && fj->shown >= fj->q->limit) || (fj->q->f.packet && fj->shown))
		stop_all(fj);
}

static void p2_meta(void *ctx, uint16_t type, const char *json, size_t len)
{
	struct fsrc *s = ctx;

	if (nt_clock_meta(&s->clk, type, json, len))
		s->fj->oom = 1;
}

/* ---- the runs ---- */
static int open_src(struct fj *fj, struct fsrc *s, int pass)
{
	s->w = (struct nt_walk){ 0 };
	s->w.path = fj->fl->src[s->i].paths[0];
	if (fj->fl->src[s->i].npaths > 1) { /* one rotation set: one log */
		s->w.paths = fj->fl->src[s->i].paths;
		s->w.npaths = fj->fl->src[s->i].npaths;
	}
	s->w.keep_events = 1;
	s->w.limits = &fj->q->lim;
	s->w.idle_ns = fj->q->idle_ns;
	s->w.reorder_ns = fj->q->reorder_ns;
	s->w.ctx = s;
	s->sel = fj->q->f;
	s->w.window = &s->sel;
	s->w.on_meta = pass == 1 ? p1_meta : p2_meta;
	s->w.on_packet = pass == 1 ? p1_packet : p2_packet;
	s->done = 0;
	s->pos = INT64_MIN;
	s->st = nt_walk_open(&s->w);
	if (s->st == NT_WALK_BAD || s->st == NT_WALK_NOMEM) {
		fprintf(stderr, "nft-analyze: %s\n", s->w.error);
		nt_model_free(s->w.m);
		s->w.m = NULL;
		return s->st == NT_WALK_BAD ? NT_EXIT_USAGE : NT_EXIT_RUNTIME;
	}
	return 0;
}

/* Pass 2's order: a min-heap of the logs by the reference time of their
 * latest record; the one behind reads its next item. */
static void sift_down(struct fsrc **h, int n, int i)
{
	for (;;) {
		int l = 2 * i + 1, r = l + 1, m = i;
		struct fsrc *t;

		if (l < n && h[l]->pos < h[m]->pos)
			m = l;
		if (r < n && h[r]->pos < h[m]->pos)
			m = r;
		if (m == i)
			return;
		t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

static int step_all(struct fj *fj)
{
	int n = fj->fl->nsrc;
	struct fsrc **h = malloc((size_t)n * sizeof(*h));

	if (!h)
		return -ENOMEM;
	for (int i = 0; i < n; i++)
		h[i] = &fj->src[i];
	while (n && !fj->oom) {
		struct fsrc *s = h[0];

		if (nt_walk_step(&s->w) <= 0) {
			s->done = 1;
			h[0] = h[--n];
		} else if (s->w.last_ts) {
			s->pos = ref_time(s, s->w.last_ts);
		}
		sift_down(h, n, 0);
	}
	free(h);
	return 0;
}

/* close S; its damage reported once (pass 2) */
static int close_src(struct fj *fj, struct fsrc *s, int report)
{
	int st = nt_walk_close(&s->w), rc = NT_EXIT_OK;

	if (st == NT_WALK_DAMAGED) {
		rc = NT_EXIT_PARTIAL;
		if (report)
			fprintf(stderr, "nft-analyze: %s\n", s->w.error);
	} else if (st == NT_WALK_NOMEM) {
		rc = NT_EXIT_RUNTIME;
		fprintf(stderr, "nft-analyze: out of memory\n");
	}
	if (report && s->w.m) { /* each log's own limits (pass 2), summed */
		const struct nt_limits *l = nt_model_limits(s->w.m);

		for (int k = 0; k < NT_LIM__N; k++)
			fj->lim.hits[k] = nt_sat_add(fj->lim.hits[k], l->hits[k]);
	}
	nt_model_free(s->w.m);
	s->w.m = NULL;
	return rc;
}

static void summary(struct fj *fj)
{
	const struct nt_stitch_counts *c = nt_stitch_counts(fj->sti);
	const struct nt_stitch_pair *pp;
	int np = nt_stitch_pairs(fj->sti, &pp);
	FILE *o = fj->out;
	char lj[2048];

	if (fj->q->mode == NT_OUT_NDJSON && nt_limits_reached(&fj->lim)) {
		nt_limits_json(&fj->lim, lj, sizeof(lj));
		fprintf(o, "{\"limits_hit\":%s}\n", lj);
	}

	if (fj->q->mode == NT_OUT_TEXT) {
		fprintf(o, "%" PRIu64 " journeys shown (%" PRIu64 " across hosts) from %d logs of %d hosts; "
			"stitched: %" PRIu64 " journeys of %" PRIu64 " parts (%" PRIu64 " hops matched, %"
			PRIu64 " of them by TCP segment range); ambiguous: %" PRIu64
			" (left as journeys of one host)\n", fj->shown, fj->shown_stitched, fj->fl->nsrc,
			fj->fl->nhost, c->journeys, c->parts, c->matched, c->by_range, c->ambiguous);
		for (int i = 0; i < np; i++)
			fprintf(o, "clock offset %s - %s: %+.6f ms (anchors %" PRIu64 " / %" PRIu64
				", one-way delays accepted %.3f .. %.3f ms)\n", nt_esc_t(label(fj, pp[i].b)),
				nt_esc_t(label(fj, pp[i].a)), (double)pp[i].offset_ns / 1e6, pp[i].anchors_ab,
				pp[i].anchors_ba, (double)pp[i].delay_lo_ns / 1e6,
				(double)pp[i].delay_hi_ns / 1e6);
		return;
	}
	if (fj->q->mode != NT_OUT_JSON)
		return;
	fprintf(o, "],\"summary\":{\"shown\":%" PRIu64 ",\"shown_across_hosts\":%" PRIu64
		",\"logs\":%d,\"hosts\":%d,\"stitched_journeys\":%" PRIu64 ",\"stitched_parts\":%" PRIu64
		",\"matched\":%" PRIu64 ",\"matched_by_range\":%" PRIu64 ",\"ambiguous\":%" PRIu64
		",\"ingress\":%" PRIu64 ",\"egress\":%" PRIu64 ",\"clock_offsets\":[", fj->shown,
		fj->shown_stitched, fj->fl->nsrc, fj->fl->nhost, c->journeys, c->parts, c->matched,
		c->by_range, c->ambiguous, c->ingress, c->egress);
	for (int i = 0; i < np; i++) {
		fprintf(o, "%s{\"host\":", i ? "," : "");
		json_str(o, label(fj, pp[i].b));
		fprintf(o, ",\"relative_to\":");
		json_str(o, label(fj, pp[i].a));
		fprintf(o, ",\"offset_ns\":%" PRId64 ",\"anchors\":%" PRIu64 ",\"anchors_back\":%" PRIu64
			",\"delay_lo_ns\":%" PRId64 ",\"delay_hi_ns\":%" PRId64 "}", pp[i].offset_ns,
			pp[i].anchors_ab, pp[i].anchors_ba, pp[i].delay_lo_ns, pp[i].delay_hi_ns);
	}
	fputs("]}", o);
	if (nt_limits_reached(&fj->lim)) { /* only then: the documents without it stay as they were */
		nt_limits_json(&fj->lim, lj, sizeof(lj));
		fprintf(o, ",\"limits_hit\":%s", lj);
	}
	fputs("}\n", o);
}

int nt_journeys_fleet(struct nt_query *q)
{
	struct nt_fleet fl;
	struct fj fj = { .q = q, .fl = &fl, .out = stdout };
	int rc = nt_query_fleet(q, &fl), worst = NT_EXIT_OK, *hosts = NULL;

	if (rc)
		return rc;
	fj.src = calloc((size_t)fl.nsrc, sizeof(*fj.src));
	hosts = calloc((size_t)fl.nsrc, sizeof(*hosts));
	for (int i = 0; hosts && i < fl.nsrc; i++)
		hosts[i] = fl.src[i].host;
	if (fj.src && hosts)
		fj.sti = nt_stitch_new(fl.nsrc, hosts, fl.nhost);
	free(hosts);
	fj.lim = q->lim;
	memset(fj.lim.hits, 0, sizeof(fj.lim.hits));
	if (fj.sti)
		nt_stitch_set_max(fj.sti, q->lim.max[NT_LIM_OBSERVATIONS]);
	if (!fj.src || !fj.sti) {
		rc = NT_EXIT_RUNTIME;
		fprintf(stderr, "nft-analyze: out of memory\n");
		goto out;
	}
	/* pass 1: observations of every log, one after the other */
	for (int i = 0; i < fl.nsrc; i++) {
		struct fsrc *s = &fj.src[i];

		s->fj = &fj;
		s->i = i;
		nt_clock_init(&s->clk);
		if ((rc = open_src(&fj, s, 1)))
			goto out;
		while (!fj.oom && nt_walk_step(&s->w) > 0)
			;
		if ((rc = close_src(&fj, s, 0)) == NT_EXIT_RUNTIME)
			goto out;
	}
	if (nt_stitch_counts(fj.sti)->not_observed)
		nt_limit_hit(&fj.lim, NT_LIM_OBSERVATIONS, nt_stitch_counts(fj.sti)->not_observed);
	if (fj.oom || nt_stitch_solve(fj.sti)) {
		fprintf(stderr, "nft-analyze: out of memory\n");
		rc = NT_EXIT_RUNTIME;
		goto out;
	}
	/* pass 2: side by side, the log that is behind in reference time first */
	if (q->mode == NT_OUT_JSON)
		fputs("{\"journeys\":[", fj.out);
	for (int i = 0; i < fl.nsrc; i++) {
		nt_clock_free(&fj.src[i].clk);
		nt_clock_init(&fj.src[i].clk);
		if ((rc = open_src(&fj, &fj.src[i], 2))) {
			for (int k = 0; k < i; k++)
				close_src(&fj, &fj.src[k], 0);
			goto out;
		}
	}
	if (step_all(&fj)) {
		fprintf(stderr, "nft-analyze: out of memory\n");
		rc = NT_EXIT_RUNTIME;
		for (int i = 0; i < fl.nsrc; i++)
			close_src(&fj, &fj.src[i], 0);
		goto out;
	}
	for (int i = 0; i < fl.nsrc; i++) {
		int r = close_src(&fj, &fj.src[i], 1);

		if (r > worst || r == NT_EXIT_RUNTIME)
			worst = r == NT_EXIT_RUNTIME || worst == NT_EXIT_RUNTIME ? NT_EXIT_RUNTIME : r;
	}
	/* journeys whose parts did not all come (a log damaged in pass 2 only) */
	for (uint32_t j = 0; j < fj.npend; j++) {
		struct pending *pe = &fj.pend[j];

		if (pe->have && pe->selected && !fj.stop)
			print_journey(&fj, pe->parts, pe->have);
		for (uint32_t i = 0; i < pe->have; i++)
			free(pe->parts[i].text);
		free(pe->parts);
	}
	if (fj.oom) {
		fprintf(stderr, "nft-analyze: out of memory\n");
		worst = NT_EXIT_RUNTIME;
	}
	summary(&fj);
	if (fflush(fj.out) || ferror(fj.out)) {
		fprintf(stderr, "nft-analyze: writing the output failed: %s\n", strerror(errno));
		worst = NT_EXIT_RUNTIME;
	}
	if (nt_limits_reached(&fj.lim) && worst != NT_EXIT_RUNTIME && worst != NT_EXIT_USAGE) {
		char msg[1024];

		nt_limits_message(&fj.lim, msg, sizeof(msg)); /* one line, after any damage */
		fprintf(stderr, "nft-analyze: journeys of %d logs: %s\n", fl.nsrc, msg);
		worst = NT_EXIT_PARTIAL;
	}
	rc = worst;
out:
	if (fj.src)
		for (int i = 0; i < fl.nsrc; i++)
			nt_clock_free(&fj.src[i].clk);
	free(fj.pend);
	free(fj.src);
	nt_stitch_free(fj.sti);
	nt_fleet_close(&fl);
	return rc;
}
