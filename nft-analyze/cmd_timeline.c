// SPDX-License-Identifier: GPL-2.0
/*
 * timeline.c - nft-analyze timeline (timeline.h).
 *
 * Trace-event format: {"traceEvents":[...], "displayTimeUnit":"ns", ...};
 * ts / dur in microseconds (3 decimals = ns) from the log's first record.
 * Packet mode writes a packet's events when it completes (memory bounded by
 * the open packets); --by-cpu writes a function slice as soon as the next
 * record on the same CPU arrives (memory: one pending slice per CPU).
 */
#include <argp.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "model/output.h"
#include "nft-analyze/cmds.h"

#define CMD "nft-analyze timeline"
#include "model/walk.h"
#include "common/tool.h"
#include "nft-analyze/cli.h"

#define MAX_BRANCHES 64
#define MAX_CHAIN_DEPTH 8
#define MAX_CPUS 4097

struct topts {
	const char *log, *out;
	int by_cpu;
	uint64_t max_packets;
	struct nt_limits lim;
};

struct pending {          /* an open function slice */
	int open;
	uint32_t func;
	uint64_t ts, packet;
};

struct tctx {
	struct topts *o;
	struct nt_jw w;
	uint64_t base;        /* ts of the log's first record */
	int base_set;
	uint64_t packets, flow_id, events;
	struct nt_walk *walk; /* its model is set before the first callback */
	struct pending *cpu;  /* --by-cpu: [MAX_CPUS] */
	uint8_t *cpu_named;
};

static double us(struct tctx *t, uint64_t ts)
{
	if (!t->base_set)
		return 0;
	return ts >= t->base ? (double)(ts - t->base) / 1000.0 : -(double)(t->base - ts) / 1000.0;
}

static void ev_begin(struct tctx *t, const char *ph, const char *name, const char *cat, uint64_t pid,
		     uint64_t tid, uint64_t ts)
{
	nt_jw_obj(&t->w, NULL);
	nt_jw_str(&t->w, "ph", ph);
	nt_jw_str(&t->w, "name", name);
	if (cat)
		nt_jw_str(&t->w, "cat", cat);
	nt_jw_u64(&t->w, "pid", pid);
	nt_jw_u64(&t->w, "tid", tid);
	nt_jw_dbl(&t->w, "ts", us(t, ts), 3);
	t->events++;
}

static void slice(struct tctx *t, const char *name, const char *cat, uint64_t pid, uint64_t tid,
		  uint64_t ts, uint64_t end)
{
	ev_begin(t, "X", name, cat, pid, tid, ts);
	nt_jw_dbl(&t->w, "dur", end > ts ? (double)(end - ts) / 1000.0 : 0.0, 3);
}

/* a metadata event: {"ph":"M","name":WHAT,"pid","tid","args":{ ... }} */
static void meta_begin(struct tctx *t, const char *what, uint64_t pid, uint64_t tid)
{
	nt_jw_obj(&t->w, NULL);
	nt_jw_str(&t->w, "ph", "M");
	nt_jw_str(&t->w, "name", what);
	nt_jw_u64(&t->w, "pid", pid);
	nt_jw_u64(&t->w, "tid", tid);
	nt_jw_obj(&t->w, "args");
}

static void meta_end(struct tctx *t)
{
	nt_jw_end(&t->w);
	nt_jw_end(&t->w);
	t->events++;
}

static void meta_name(struct tctx *t, const char *what, uint64_t pid, uint64_t tid, const char *name)
{
	meta_begin(t, what, pid, tid);
	nt_jw_str(&t->w, "name", name);
	meta_end(t);
}

static void meta_sort(struct tctx *t, const char *what, uint64_t pid, uint64_t tid, uint64_t idx)
{
	meta_begin(t, what, pid, tid);
	nt_jw_u64(&t->w, "sort_index", idx);
	meta_end(t);
}

static void rule_label(char *buf, size_t len, const struct nt_model *m, const struct nt_ev_nft_rule *r)
{
	char v[600];
	const char *text = nt_model_rule_text(m, r->chain_key, r->rule_handle);

	nt_fmt_rule_verdict(v, sizeof(v), m, r);
	if (r->kind == NT_RULE_KIND_POLICY)
		snprintf(buf, len, "policy %s", v);
	else if (nt_rule_kind_shown(r) == NT_RULE_KIND_RETURN)
		snprintf(buf, len, "return");
	else if (text) /* escaped and cut (--max-rule-text) */
		snprintf(buf, len, "%s [%s]", nt_rule_text_t(m, text), v);
	else
		snprintf(buf, len, "rule #%" PRIu64 " [%s]", r->rule_handle, v);
}

static void rule_instant(struct tctx *t, const struct nt_model *m, const struct nt_ev_nft_rule *r,
			 uint64_t pid, uint64_t tid, uint64_t packet)
{
	char label[5200], ch[900], v[600];

	rule_label(label, sizeof(label), m, r);
	nt_fmt_chain(ch, sizeof(ch), m, r->chain_key);
	nt_fmt_rule_verdict(v, sizeof(v), m, r);
	ev_begin(t, "i", label, "nft", pid, tid, r->h.ts_ns);
	nt_jw_str(&t->w, "s", "t");
	nt_jw_obj(&t->w, "args");
	nt_jw_str(&t->w, "chain", ch);
	nt_jw_u64(&t->w, "handle", r->rule_handle);
	nt_jw_str(&t->w, "verdict", v);
	nt_jw_rule_text(&t->w, m, nt_model_rule_text(m, r->chain_key, r->rule_handle));
	nt_jw_u64(&t->w, "packet", packet);
	nt_jw_end(&t->w);
	nt_jw_end(&t->w);
}

static void drop_instant(struct tctx *t, const struct nt_model *m, const struct nt_ev_drop *d,
			 uint64_t pid, uint64_t tid, uint64_t packet)
{
	const char *rn = nt_model_drop_reason(m, d->reason);
	char name[128];

	if (rn)
		snprintf(name, sizeof(name), "drop %s", rn);
	else
		snprintf(name, sizeof(name), "drop reason %u", d->reason);
	ev_begin(t, "i", name, "drop", pid, tid, d->h.ts_ns);
	nt_jw_str(&t->w, "s", "t");
	nt_jw_obj(&t->w, "args");
	nt_jw_u64(&t->w, "reason", d->reason);
	nt_jw_str(&t->w, "reason_name", rn);
	nt_jw_str(&t->w, "function", nt_model_func(m, d->h.id)->name);
	nt_jw_hex(&t->w, "location", d->location);
	nt_jw_u64(&t->w, "packet", packet);
	nt_jw_end(&t->w);
	nt_jw_end(&t->w);
}

/* ---- packet mode ---- */
struct branch {
	uint64_t skb;
	int has_func, has_layer, nchain;
	uint32_t func;
	int layer;
	uint64_t func_ts, layer_ts, last_ts;
	uint64_t chain_ts[MAX_CHAIN_DEPTH], chain_key[MAX_CHAIN_DEPTH];
	int started;
};

static int branch_of(struct branch *b, int *nb, uint64_t skb)
{
	if (!skb)
		return 0;
	for (int i = 0; i < *nb; i++)
		if (b[i].skb == skb)
			return i;
	if (*nb == MAX_BRANCHES)
		return MAX_BRANCHES - 1;
	memset(&b[*nb], 0, sizeof(b[*nb]));
	b[*nb].skb = skb;
	return (*nb)++;
}

/* Close the open function slice (and the layer run unless KEEP_LAYER). */
static void close_slices(struct tctx *t, const struct nt_model *m, struct branch *b, uint64_t pid,
			 uint64_t tid, uint64_t ts, int keep_layer)
{
	if (b->has_func) {
		const struct nt_func_info *fi = nt_model_func(m, b->func);

		slice(t, fi->name, fi->layer_name, pid, tid, b->func_ts, ts);
		nt_jw_end(&t->w);
		b->has_func = 0;
	}
	if (b->has_layer && !keep_layer) {
		slice(t, nt_model_layer_name(m, b->layer), "layer", pid, tid, b->layer_ts, ts);
		nt_jw_end(&t->w);
		b->has_layer = 0;
	}
}

static void chain_close(struct tctx *t, const struct nt_model *m, struct branch *b, uint64_t pid,
			uint64_t tid, uint64_t ts, int32_t verdict)
{
	char name[220], ch[200];

	if (!b->nchain)
		return;
	b->nchain--;
	nt_fmt_chain(ch, sizeof(ch), m, b->chain_key[b->nchain]);
	snprintf(name, sizeof(name), "nft %s", ch);
	slice(t, name, "nft", pid, tid, b->chain_ts[b->nchain], ts);
	nt_jw_obj(&t->w, "args");
	nt_jw_str(&t->w, "verdict", verdict == NT_V_NONE ? "unknown" : nt_verdict_name(verdict));
	nt_jw_end(&t->w);
	nt_jw_end(&t->w);
}

static void packet_events(void *ctx, const struct nt_packet *p)
{
	struct tctx *t = ctx;
	const struct nt_model *m;
	struct branch b[MAX_BRANCHES];
	int nb = 1;
	char name[400], flow[200];
	const struct nt_ev_hdr *h;
	uint64_t pid = p->id;

	if (t->o->max_packets && t->packets >= t->o->max_packets)
		return;
	t->packets++;
	m = t->walk->m;
	if (!t->base_set) {
		t->base = nt_model_totals(m)->first_ts ? nt_model_totals(m)->first_ts : p->first_ts;
		t->base_set = 1;
	}
	memset(&b[0], 0, sizeof(b[0]));
	b[0].skb = p->skb;
	nt_fmt_flow(flow, sizeof(flow), p->has_meta ? &p->meta : NULL);
	/* nftables' verdict, then the fate: "ACCEPT, dropped" */
	snprintf(name, sizeof(name), "packet %" PRIu64 ": %s %s %s, %s%s", p->id,
		 p->has_meta ? nt_proto_name(p->meta.l4proto) : "?", flow, nt_verdict_name(p->verdict),
		 nt_fate_name(p->fate), p->incomplete ? " (incomplete)" : "");
	meta_name(t, "process_name", pid, 0, name);
	meta_sort(t, "process_sort_index", pid, 0, p->id);
	for (size_t off = 0; off + sizeof(*h) <= p->ev_len; off += nt_ev_len(h)) {
		int bi;
		struct branch *br;
		uint64_t ts;

		h = (const void *)(p->ev + off);
		if (!nt_ev_len(h))
			break;
		ts = h->ts_ns;
		if (h->type == NT_EV_LINK) {
			const struct nt_ev_link *l = (const void *)h;
			int pi = branch_of(b, &nb, l->parent), ci = branch_of(b, &nb, h->skb);

			br = &b[pi];
			close_slices(t, m, br, pid, (uint64_t)pi, ts, 0);
			snprintf(name, sizeof(name), "%s -> skb %d", l->kind == NT_LINK_COPY ? "copy" :
				 l->kind == NT_LINK_REALLOC ? "realloc" : "clone", ci);
			slice(t, name, "link", pid, (uint64_t)pi, ts, ts);
			if (ci != pi) {
				/* flow v2: an arrow from this slice to the clone's first slice */
				t->flow_id++;
				nt_jw_u64(&t->w, "bind_id", t->flow_id);
				nt_jw_bool(&t->w, "flow_out", 1);
				nt_jw_end(&t->w);
				snprintf(name, sizeof(name), "%s of skb %d", l->kind == NT_LINK_COPY ? "copy" :
					 "clone", pi);
				slice(t, name, "link", pid, (uint64_t)ci, ts, ts);
				nt_jw_u64(&t->w, "bind_id", t->flow_id);
				nt_jw_bool(&t->w, "flow_in", 1);
				b[ci].last_ts = ts;
			}
			nt_jw_end(&t->w);
			br->last_ts = ts;
			continue;
		}
		bi = branch_of(b, &nb, h->skb);
		br = &b[bi];
		if (h->type == NT_EV_FREE && (h->flags & NT_F_INFERRED)) {
			/* carries the time the address was reused, not of the free:
			 * the skb's slices end at its last real record */
			close_slices(t, m, br, pid, (uint64_t)bi, br->last_ts, 0);
			continue;
		}
		br->last_ts = ts;
		switch (h->type) {
		case NT_EV_FUNC: {
			const struct nt_func_info *fi = nt_model_func(m, h->id);

			close_slices(t, m, br, pid, (uint64_t)bi, ts, br->has_layer && br->layer == fi->layer);
			if (!br->has_layer) {
				br->has_layer = 1;
				br->layer = fi->layer;
				br->layer_ts = ts;
			}
			br->has_func = 1;
			br->func = h->id;
			br->func_ts = ts;
			break;
		}
		case NT_EV_NFT_CHAIN: {
			const struct nt_ev_nft_chain *c = (const void *)h;

			close_slices(t, m, br, pid, (uint64_t)bi, ts, 0);
			if (c->phase == NT_CHAIN_ENTER) {
				if (br->nchain < MAX_CHAIN_DEPTH) {
					br->chain_ts[br->nchain] = ts;
					br->chain_key[br->nchain] = c->chain_key;
					br->nchain++;
				}
			} else {
				chain_close(t, m, br, pid, (uint64_t)bi, ts, c->verdict);
			}
			break;
		}
		case NT_EV_NFT_RULE:
			close_slices(t, m, br, pid, (uint64_t)bi, ts, 0);
			rule_instant(t, m, (const void *)h, pid, (uint64_t)bi, p->id);
			break;
		case NT_EV_DROP:
			close_slices(t, m, br, pid, (uint64_t)bi, ts, 0);
			drop_instant(t, m, (const void *)h, pid, (uint64_t)bi, p->id);
			break;
		case NT_EV_META:
			break; /* shown in the process name; does not end a slice */
		default:
			close_slices(t, m, br, pid, (uint64_t)bi, ts, 0);
			break;
		}
	}
	for (int i = 0; i < nb; i++) {
		char tn[80];

		close_slices(t, m, &b[i], pid, (uint64_t)i, b[i].last_ts, 0);
		while (b[i].nchain)
			chain_close(t, m, &b[i], pid, (uint64_t)i, b[i].last_ts, NT_V_NONE);
		if (i == 0)
			snprintf(tn, sizeof(tn), "skb 0x%" PRIx64, b[i].skb);
		else
			snprintf(tn, sizeof(tn), "skb %d: 0x%" PRIx64, i, b[i].skb);
		meta_name(t, "thread_name", pid, (uint64_t)i, tn);
	}
}

/* ---- CPU mode ---- */
static void cpu_record(void *ctx, struct nt_model *m, const struct nt_packet *p, const struct nt_ev_hdr *h)
{
	struct tctx *t = ctx;
	unsigned cpu = h->cpu == 0xffff ? MAX_CPUS - 1 : h->cpu;
	struct pending *pd;
	uint64_t pkt = p ? p->id : 0;

	if (cpu >= MAX_CPUS)
		return;
	if (!t->base_set && h->ts_ns) {
		t->base = h->ts_ns;
		t->base_set = 1;
	}
	pd = &t->cpu[cpu];
	if (!t->cpu_named[cpu]) {
		char n[32];

		snprintf(n, sizeof(n), "CPU %u", cpu);
		meta_name(t, "thread_name", 1, cpu, n);
		meta_sort(t, "thread_sort_index", 1, cpu, cpu);
		t->cpu_named[cpu] = 1;
	}
	if (h->type == NT_EV_META || (h->type == NT_EV_FREE && (h->flags & NT_F_INFERRED)))
		return; /* an inferred free has the time of the address reuse */
	if (pd->open) {
		const struct nt_func_info *fi = nt_model_func(m, pd->func);

		slice(t, fi->name, fi->layer_name, 1, cpu, pd->ts, h->ts_ns);
		nt_jw_obj(&t->w, "args");
		nt_jw_u64(&t->w, "packet", pd->packet);
		nt_jw_end(&t->w);
		nt_jw_end(&t->w);
		pd->open = 0;
	}
	switch (h->type) {
	case NT_EV_FUNC:
		pd->open = 1;
		pd->func = h->id;
		pd->ts = h->ts_ns;
		pd->packet = pkt;
		break;
	case NT_EV_NFT_RULE:
		rule_instant(t, m, (const void *)h, 1, cpu, pkt);
		break;
	case NT_EV_DROP:
		drop_instant(t, m, (const void *)h, 1, cpu, pkt);
		break;
	default:
		break;
	}
}

static void cpu_flush(struct tctx *t, struct nt_model *m)
{
	for (unsigned c = 0; c < MAX_CPUS; c++) {
		struct pending *pd = &t->cpu[c];

		if (pd->open) {
			const struct nt_func_info *fi = nt_model_func(m, pd->func);

			slice(t, fi->name, fi->layer_name, 1, c, pd->ts, pd->ts);
			nt_jw_end(&t->w);
		}
	}
}

/* ---- CLI ---- */
enum { O_BYCPU = 256, O_MAXPKT };

static const struct argp_option options[] = {
	{ "output", 'o', "FILE", 0, "write the trace to FILE (default: stdout), atomically", 0 },
	{ "by-cpu", O_BYCPU, NULL, 0, "one track per CPU instead of one per packet", 0 },
	{ "max-packets", O_MAXPKT, "N", 0, "packet mode: only the first N completed packets", 0 },
	{ 0 }
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct topts *o = state->input;
	char *end;

	switch (key) {
	case 'o': o->out = arg; break;
	case O_BYCPU: o->by_cpu = 1; break;
	case O_MAXPKT:
		errno = 0;
		o->max_packets = strtoull(arg, &end, 10);
		if (end == arg || *end || errno || *arg == '-')
			argp_error(state, "--max-packets: '%s' is not a number", arg);
		break;
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &o->lim;
		break;
	default:
		return nt_cli_log_arg(state, key, arg, &o->log);
	}
	return 0;
}

static const char doc[] =
	"Write the log as Chrome / Perfetto trace-event JSON (open it in ui.perfetto.dev or "
	"chrome://tracing): one process per packet with one thread per skb (clones get their own, "
	"joined by flow arrows), slices for layers, functions and nft base chains, instant events for "
	"nft verdicts and drops. Times are µs from the first record."
	NT_CLI_EXIT_DOC("the trace holds");


static const struct argp_child lim_children[] = {
	{ &nt_cli_limits_argp, 0, "Limits (reaching one: stderr says which, exit 3):", 1 }, { 0 }
};

int cmd_timeline(int argc, char **argv)
{
	struct topts o = { 0 };
	struct argp ap = { options, parse_opt, "LOG", doc, lim_children, NULL, NULL };
	struct tctx tc = { 0 };
	struct tctx *t = &tc;
	struct nt_walk w = { 0 };
	struct nt_out out;
	int st, rc = 0;

	argp_err_exit_status = 2;
	nt_limits_init(&o.lim);
	if (argp_parse(&ap, argc, argv, 0, NULL, &o))
		return 2;
	t->o = &o;
	if (o.by_cpu) {
		t->cpu = calloc(MAX_CPUS, sizeof(*t->cpu));
		t->cpu_named = calloc(MAX_CPUS, 1);
		if (!t->cpu || !t->cpu_named) {
			fprintf(stderr, "nft-analyze timeline: out of memory\n");
			rc = 1;
			goto out_free;
		}
	}
	rc = nt_cli_out_open(&out, CMD, o.out);
	if (rc)
		goto out_free;
	nt_jw_init(&t->w, out.f);
	nt_jw_obj(&t->w, NULL);
	nt_jw_str(&t->w, "displayTimeUnit", "ns");
	nt_jw_arr(&t->w, "traceEvents");
	if (o.by_cpu)
		meta_name(t, "process_name", 1, 0, "CPUs");
	w.path = o.log;
	w.keep_events = !o.by_cpu;
	w.on_packet = o.by_cpu ? NULL : packet_events;
	w.on_record = o.by_cpu ? cpu_record : NULL;
	w.ctx = t;
	w.limits = &o.lim;
	t->walk = &w;
	st = nt_walk_log(&w);
	rc = nt_cli_walk_failed(CMD, &w, st);
	if (rc) {
		nt_out_close(&out, 0);
		goto out_free;
	}
	if (o.by_cpu)
		cpu_flush(t, w.m);
	nt_jw_end(&t->w);
	nt_jw_obj(&t->w, "otherData");
	nt_jw_str(&t->w, "tool", "nft-analyze timeline");
	nt_jw_str(&t->w, "log", o.log);
	nt_jw_str(&t->w, "hostname", nt_model_header_str(w.m, "hostname"));
	nt_jw_str(&t->w, "kernel", nt_model_header_str(w.m, "kernel"));
	nt_jw_str(&t->w, "mode", o.by_cpu ? "cpu" : "packet");
	nt_jw_u64(&t->w, "packets", nt_model_totals(w.m)->packets);
	nt_jw_str(&t->w, "log_error", w.error[0] ? w.error : NULL);
	nt_jw_limits(&t->w, w.m);
	nt_jw_end(&t->w);
	nt_jw_end(&t->w);
	nt_jw_newline(&t->w);
	rc = nt_cli_out_done(&out, CMD, o.out, &w, st);
	rc = nt_cli_limits_done(o.log, w.m, rc);
out_free:
	nt_model_free(w.m);
	free(t->cpu);
	free(t->cpu_named);
	return rc;
}
