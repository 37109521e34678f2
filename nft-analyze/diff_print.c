// SPDX-License-Identifier: GPL-2.0
/* diff_print.c - nft-analyze diff: the differences as text or JSON (diff_int.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/output.h"
#include "nft-analyze/diff_int.h"

const char *const nt_diff_class_names[C__N] = { "verdict", "rule", "func", "latency", "drop", "flow" };

static void fmt_key(char *buf, size_t len, const struct flowkey *k, const struct nt_strtab *st)
{
	struct nt_ev_meta m = { 0 };
	char f[200], host[200] = "";

	if (k->host)
		snprintf(host, sizeof(host), "host %s: ", nt_strtab_str(st, k->host));
	if (!k->l3) {
		snprintf(buf, len, "%s(no packet metadata)", host);
		return;
	}
	m.l3 = k->l3;
	m.l4proto = k->l4proto;
	m.sport = k->sport;
	m.dport = k->dport;
	memcpy(m.saddr, k->saddr, 16);
	memcpy(m.daddr, k->daddr, 16);
	nt_fmt_flow(f, sizeof(f), &m);
	if (k->pad[0] & 3) { /* ephemeral ports: ":0" -> ":*" */
		char g[200], *arrow = strstr(f, " \xe2\x86\x92 ");
		size_t pos = arrow ? (size_t)(arrow - f) : 0;

		if (arrow && (k->pad[0] & 1) && pos >= 2 && !strncmp(arrow - 2, ":0", 2)) {
			snprintf(g, sizeof(g), "%.*s*%s", (int)pos - 1, f, arrow);
			snprintf(f, sizeof(f), "%s", g);
		}
		if ((k->pad[0] & 2) && strlen(f) >= 2 && !strcmp(f + strlen(f) - 2, ":0"))
			f[strlen(f) - 1] = '*';
	}
	if (k->l4proto == 1 || k->l4proto == 58) {
		char *id = strstr(f, " id ");

		if (id)
			*id = 0; /* echo ids are not compared */
	}
	snprintf(buf, len, "%s%s %s", host, nt_proto_name(k->l4proto), f);
}

/* The steps of two nftables paths ("step; step; ...") that differ: the
 * equal steps before and after them are counted, not printed. */
static void print_path_change(const char *a, const char *b)
{
	const char *sa = a, *sb = b, *ea = a + strlen(a), *eb = b + strlen(b);
	unsigned pre = 0, post = 0;

	if (!*a || !*b) { /* paths of log strings: printed escaped */
		printf("           - %s\n           + %s\n", *a ? nt_esc_t(a) : "(no nftables verdict)",
		       *b ? nt_esc_t(b) : "(no nftables verdict)");
		return;
	}
	/* equal leading steps */
	for (;;) {
		const char *na = strstr(sa, "; "), *nb = strstr(sb, "; ");
		size_t la = na ? (size_t)(na - sa) : (size_t)(ea - sa), lb = nb ? (size_t)(nb - sb) : (size_t)(eb - sb);

		if (!na || !nb || la != lb || memcmp(sa, sb, la))
			break;
		sa = na + 2;
		sb = nb + 2;
		pre++;
	}
	/* equal trailing steps */
	for (;;) {
		const char *pa = ea, *pb = eb;

		while (pa > sa && !(pa - sa >= 2 && pa[-2] == ';' && pa[-1] == ' '))
			pa--;
		while (pb > sb && !(pb - sb >= 2 && pb[-2] == ';' && pb[-1] == ' '))
			pb--;
		if (pa <= sa || pb <= sb || ea - pa != eb - pb || memcmp(pa, pb, (size_t)(ea - pa)))
			break;
		ea = pa - 2;
		eb = pb - 2;
		post++;
	}
	if (pre)
		printf("           (%u equal step%s before)\n", pre, pre == 1 ? "" : "s");
	{
		char *x = strndup(sa, (size_t)(ea - sa)), *y = strndup(sb, (size_t)(eb - sb));

		printf("           - %s\n           + %s\n", x ? nt_esc_t(x) : "?", y ? nt_esc_t(y) : "?");
		free(x);
		free(y);
	}
	if (post)
		printf("           (%u equal step%s after)\n", post, post == 1 ? "" : "s");
}

static const char *vname(int64_t v)
{
	return nt_verdict_name((int32_t)v);
}

void nt_diff_print_text(struct dctx *c, struct side *b, struct side *n, size_t matched, unsigned *counts)
{
	char fl[400];
	unsigned total = 0;

	printf("nft-analyze diff: %s (%zu packets, %zu flows) vs %s (%zu packets, %zu flows): "
	       "%zu packets matched\n", b->label, b->npk, b->flows, n->label, n->npk, n->flows, matched);
	for (int cls = 0; cls < C__N; cls++) {
		if (c->o->ignore & (1u << cls))
			continue;
		for (size_t i = 0; i < c->nd; i++) {
			struct diffent *e = &c->d[i];

			if (e->cls != cls)
				continue;
			fmt_key(fl, sizeof(fl), &e->k, c->st);
			switch (cls) {
			case C_VERDICT:
				printf("verdict  %s: %" PRIu64 " of %" PRIu64 " packets %s -> %s (first: packet %" PRIu64
				       " of the flow)\n", fl, e->n, e->total, vname(e->a), vname(e->b), e->first);
				break;
			case C_RULE:
				printf("rule     %s: %" PRIu64 " of %" PRIu64 " packets\n", fl, e->n, e->total);
				print_path_change(nt_strtab_str(c->st, (uint32_t)e->a),
						  nt_strtab_str(c->st, (uint32_t)e->b));
				break;
			case C_FUNC:
				printf("func     %c %s (%s): %s %" PRIu64 " of %" PRIu64 " matched packets, first %s\n",
				       e->change > 0 ? '+' : '-', nt_esc_t(nt_strtab_str(c->st, (uint32_t)e->a)),
				       nt_esc_t(nt_strtab_str(c->st, (uint32_t)e->b)), e->change > 0 ? "appears in" : "vanishes from",
				       e->n, e->total, fl);
				break;
			case C_LATENCY:
				printf("latency  %s: p50 %.3f µs -> %.3f µs (%+.1f%%, threshold %g%%)\n",
				       nt_esc_t(nt_strtab_str(c->st, (uint32_t)e->n)), (double)e->a / 1000.0,
				       (double)e->b / 1000.0, e->pct, c->o->threshold);
				break;
			case C_DROP:
				printf("drop     + %s: %" PRIu64 " packets in %s, none in %s\n",
				       nt_esc_t(nt_strtab_str(c->st, (uint32_t)e->a)), e->n, n->label, b->label);
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
				printf("%s%s %u", k++ ? ", " : "", nt_diff_class_names[cls], counts[cls]);
		printf(")");
	} else {
		printf("result: EQUIVALENT");
	}
	if (c->o->ignore) {
		printf("; ignored:");
		for (int cls = 0; cls < C__N; cls++)
			if (c->o->ignore & (1u << cls))
				printf(" %s", nt_diff_class_names[cls]);
	}
	printf("\n");
}

static void jw_side(struct nt_jw *w, const char *key, struct side *s)
{
	nt_jw_obj(w, key);
	nt_jw_str(w, "file", s->file);
	if (s->nfiles > 1)
		nt_jw_u64(w, "logs", (uint64_t)s->nfiles);
	nt_jw_u64(w, "packets", s->npk);
	nt_jw_u64(w, "flows", s->flows);
	nt_jw_bool(w, "log_complete", s->w.log_complete);
	nt_jw_str(w, "log_error", s->w.error[0] ? s->w.error : NULL);
	nt_jw_limits(w, s->w.m);
	nt_jw_end(w);
}

/* One difference as a JSON object. */
static void jw_diff(struct nt_jw *w, struct dctx *c, const struct diffent *e)
{
	char fl[400];
	int cls = e->cls;

	fmt_key(fl, sizeof(fl), &e->k, c->st);
	nt_jw_obj(w, NULL);
	nt_jw_str(w, "class", nt_diff_class_names[cls]);
	if (e->k.host && cls != C_LATENCY && cls != C_DROP)
		nt_jw_str(w, "host", nt_strtab_str(c->st, e->k.host));
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

void nt_diff_print_json(struct dctx *c, struct side *b, struct side *n, size_t matched, unsigned *counts,
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
			nt_jw_str(&w, NULL, nt_diff_class_names[cls]);
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
			nt_jw_u64(&w, nt_diff_class_names[cls], counts[cls]);
	nt_jw_end(&w);
	nt_jw_u64(&w, "total", total);
	nt_jw_bool(&w, "equivalent", !total);
	nt_jw_end(&w);
	nt_jw_newline(&w);
}
