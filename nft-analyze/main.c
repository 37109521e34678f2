// SPDX-License-Identifier: GPL-2.0
/* nft-analyze - offline analysis of .ntl logs: events | journeys | stats | report.
 * Thin main: argp per subcommand (cmds[] table, bpftool style) over the
 * model / journey / stats / output / filters modules. */
#include <argp.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/tool.h"
#include "formats/logr.h"
#include "model/select.h"
#include "model/journey.h"
#include "model/model.h"
#include "model/output.h"
#include "model/stats.h"
#include "model/walk.h"
#include "nft-analyze/cli.h"
#include "nft-analyze/cmd_report_html.h"
#include "nft-analyze/diff.h"
#include "nft-analyze/flame.h"
#include "nft-analyze/timeline.h"

enum out_mode { OUT_TEXT, OUT_JSON, OUT_NDJSON };

struct opts {
	const char *log;
	int mode;
	struct nt_select f;
	int top;
	uint64_t limit;          /* journeys / events shown, 0 = all */
	uint64_t idle_ns;        /* 0 = model default */
};

struct run;
typedef void (*event_fn)(struct run *r, const struct nt_packet *p, const struct nt_ev_hdr *h);
typedef void (*packet_fn)(struct run *r, const struct nt_packet *p);

struct run {
	struct opts *o;
	struct nt_model *m;
	struct nt_stats *st;
	struct nt_jw jw;
	FILE *out;
	uint64_t seq;            /* lines / objects printed */
	uint64_t shown;          /* journeys printed */
	int stop;                /* enough output (--packet found, --limit reached) */
	int pkt_filter;
	event_fn on_event;
	packet_fn on_packet;
	const char *log_error;   /* why the log ended early (NULL: clean) */
	int log_complete;
};

/* ---- options ---- */
enum {
	O_JSON = 256, O_NDJSON, O_PACKET, O_VERDICT, O_FUNC, O_HOST, O_SRC, O_DST, O_PORT, O_SPORT,
	O_DPORT, O_PROTO, O_SINCE, O_UNTIL, O_TOP, O_LIMIT, O_IDLE,
};

static const struct argp_option common_opts[] = {
	{ NULL, 0, NULL, 0, "Output:", 1 },
	{ "json", O_JSON, NULL, 0, "one JSON document (schema: README)", 1 },
	{ "ndjson", O_NDJSON, NULL, 0, "one JSON object per line", 1 },
	{ "limit", O_LIMIT, "N", 0, "show at most N events / journeys", 1 },
	{ "top", O_TOP, "N", 0, "stats: rows per table (default 20)", 1 },
	{ "idle", O_IDLE, "SEC", 0, "a packet without records for SEC seconds is closed as incomplete "
	  "(its free was missed; default 10, 0 = never)", 1 },
	{ NULL, 0, NULL, 0, "Filters (packet level unless noted):", 2 },
	{ "packet", O_PACKET, "ID", 0, "packet number (as journeys prints it)", 2 },
	{ "verdict", O_VERDICT, "V", 0, "accept, drop, stolen, queue, none", 2 },
	{ "func", O_FUNC, "NAME", 0, "packets that hit function NAME (events: lines of NAME)", 2 },
	{ "host", O_HOST, "ADDR", 0, "source or destination address (IPv4 / IPv6)", 2 },
	{ "src", O_SRC, "ADDR", 0, "source address", 2 },
	{ "dst", O_DST, "ADDR", 0, "destination address", 2 },
	{ "port", O_PORT, "N", 0, "source or destination port", 2 },
	{ "sport", O_SPORT, "N", 0, "source port", 2 },
	{ "dport", O_DPORT, "N", 0, "destination port", 2 },
	{ "proto", O_PROTO, "P", 0, "tcp, udp, icmp, icmpv6, sctp or a number", 2 },
	{ "since", O_SINCE, "SEC", 0, "records from SEC seconds after the first record (record level)", 2 },
	{ "until", O_UNTIL, "SEC", 0, "records up to SEC seconds after the first record (record level)", 2 },
	{ 0 }
};

static const char exit_doc[] =
	"\vExit codes: 0 ok; 1 runtime error (out of memory, output write error); "
	"2 usage error or unusable log (unreadable, not an nft-tracer log, newer format); "
	"3 log truncated or corrupt: results of everything before the damage were printed "
	"and stderr says where and why it stopped.";

static int parse_u64(const char *s, uint64_t *v, uint64_t max)
{
	char *end;
	unsigned long long x;

	errno = 0;
	x = strtoull(s, &end, 10);
	if (!*s || *end || errno || x > max || *s == '-')
		return -EINVAL;
	*v = x;
	return 0;
}

static int parse_sec(const char *s, double *v)
{
	char *end;

	*v = strtod(s, &end);
	return (!*s || *end || *v < 0) ? -EINVAL : 0;
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct opts *o = state->input;
	uint64_t v;

	switch (key) {
	case O_JSON: o->mode = OUT_JSON; break;
	case O_NDJSON: o->mode = OUT_NDJSON; break;
	case O_LIMIT:
		if (parse_u64(arg, &o->limit, UINT64_MAX))
			argp_error(state, "--limit: '%s' is not a number", arg);
		break;
	case O_TOP:
		if (parse_u64(arg, &v, 1000000) || !v)
			argp_error(state, "--top: '%s' is not a number from 1 to 1000000", arg);
		o->top = (int)v;
		break;
	case O_PACKET:
		if (parse_u64(arg, &o->f.packet, UINT64_MAX) || !o->f.packet)
			argp_error(state, "--packet: '%s' is not a packet number (1, 2, ...)", arg);
		break;
	case O_VERDICT:
		if (nt_select_set_verdict(&o->f, arg))
			argp_error(state, "--verdict: unknown verdict '%s' (accept, drop, stolen, queue, none)", arg);
		break;
	case O_FUNC: o->f.func = arg; break;
	case O_HOST:
		if (nt_select_set_addr(o->f.host, &o->f.host_l3, arg))
			argp_error(state, "--host: '%s' is not an IPv4 / IPv6 address", arg);
		o->f.has_host = 1;
		break;
	case O_SRC:
		if (nt_select_set_addr(o->f.src, &o->f.src_l3, arg))
			argp_error(state, "--src: '%s' is not an IPv4 / IPv6 address", arg);
		o->f.has_src = 1;
		break;
	case O_DST:
		if (nt_select_set_addr(o->f.dst, &o->f.dst_l3, arg))
			argp_error(state, "--dst: '%s' is not an IPv4 / IPv6 address", arg);
		o->f.has_dst = 1;
		break;
	case O_PORT:
	case O_SPORT:
	case O_DPORT:
		if (parse_u64(arg, &v, 65535))
			argp_error(state, "port '%s' is not a number from 0 to 65535", arg);
		*(key == O_PORT ? &o->f.port : key == O_SPORT ? &o->f.sport : &o->f.dport) = (int)v;
		break;
	case O_PROTO:
		if (nt_select_set_proto(&o->f, arg))
			argp_error(state, "--proto: unknown protocol '%s'", arg);
		break;
	case O_IDLE: {
		double sec;

		if (parse_sec(arg, &sec) || sec > 1e9)
			argp_error(state, "--idle: '%s' is not a number of seconds", arg);
		o->idle_ns = sec == 0 ? UINT64_MAX : (uint64_t)(sec * 1e9);
		if (!o->idle_ns)
			o->idle_ns = 1;
		break;
	}
	case O_SINCE:
		if (parse_sec(arg, &o->f.since))
			argp_error(state, "--since: '%s' is not a number of seconds", arg);
		break;
	case O_UNTIL:
		if (parse_sec(arg, &o->f.until))
			argp_error(state, "--until: '%s' is not a number of seconds", arg);
		break;
	default: /* LOG: a file, or - for stdin (the reader takes both) */
		return nt_cli_log_arg_msg(state, key, arg, &o->log,
					    "missing LOG (an .ntl file written by nft-record, or - for stdin)");
	}
	return 0;
}

/* ---- the read loop ---- */
static void model_packet_cb(void *ctx, const struct nt_packet *p)
{
	struct run *r = ctx;

	if (r->on_packet)
		r->on_packet(r, p);
}

static int run_log(struct run *r, int keep_events)
{
	struct nt_model_opts mo = { .sz = sizeof(mo), .keep_events = keep_events,
				    .on_packet = model_packet_cb, .ctx = r, .idle_ns = r->o->idle_ns };
	struct ntl_reader *rd = NULL;
	struct ntl_item it;
	const char *msg = NULL;
	static char errbuf[800];
	int st, start_set = 0;

	st = ntl_reader_open(&rd, r->o->log, &msg);
	if (st) {
		fprintf(stderr, "nft-analyze: %s\n", msg ? msg : "cannot open the log");
		return NT_EXIT_USAGE;
	}
	r->m = nt_model_new(&mo);
	if (!r->m) {
		ntl_reader_close(rd);
		fprintf(stderr, "nft-analyze: out of memory\n");
		return NT_EXIT_RUNTIME;
	}
	r->pkt_filter = nt_select_packet_level(&r->o->f);
	while (!r->stop && (st = ntl_reader_next(rd, &it)) == NTL_OK) {
		const struct nt_ev_hdr *h;
		const struct nt_packet *p;

		if (it.kind == NTL_ITEM_META) {
			if (nt_model_meta(r->m, it.type, it.data, it.len))
				fprintf(stderr, "nft-analyze: %s: metadata block %u at offset %" PRIu64
					" is not valid JSON: ignored\n", r->o->log, it.type, it.offset);
			continue;
		}
		h = it.data;
		if (h->type != NT_EV_NFT_CHAINDEF && h->type != NT_EV_LOSS) {
			if (!start_set && h->ts_ns) {
				nt_select_set_start(&r->o->f, h->ts_ns);
				start_set = 1;
			}
			if (!nt_select_in_window(&r->o->f, h->ts_ns))
				continue;
		}
		p = nt_model_event(r->m, it.data, it.len);
		if (r->on_event)
			r->on_event(r, p, h);
	}
	if (st < 0) {
		snprintf(errbuf, sizeof(errbuf), "%s", ntl_reader_strerror(rd));
		r->log_error = errbuf;
	}
	r->log_complete = ntl_reader_complete(rd);
	ntl_reader_close(rd);
	if (!r->stop)
		nt_model_finish(r->m);
	return st < 0 ? NT_EXIT_PARTIAL : NT_EXIT_OK;
}

static int finish(struct run *r, int rc)
{
	nt_jw_free(&r->jw);
	if (r->log_error)
		fprintf(stderr, "nft-analyze: %s\n", r->log_error);
	if (fflush(r->out) || ferror(r->out)) {
		fprintf(stderr, "nft-analyze: writing the output failed: %s\n", strerror(errno));
		rc = NT_EXIT_RUNTIME;
	}
	nt_stats_free(r->st);
	nt_model_free(r->m);
	return rc;
}

static void json_summary(struct run *r)
{
	const struct nt_model_totals *t = nt_model_totals(r->m);

	nt_jw_obj(&r->jw, "summary");
	nt_jw_u64(&r->jw, "events", t->events);
	nt_jw_u64(&r->jw, "packets", t->packets);
	nt_jw_u64(&r->jw, "incomplete_packets", t->incomplete);
	nt_jw_u64(&r->jw, "shown", r->o->mode == OUT_TEXT ? r->shown : r->seq);
	nt_jw_bool(&r->jw, "log_complete", r->log_complete);
	nt_jw_str(&r->jw, "log_error", r->log_error);
	nt_jw_end(&r->jw);
}

/* ---- events ---- */
static void emit_event(struct run *r, const struct nt_packet *p, const struct nt_ev_hdr *h)
{
	if (h->type == NT_EV_NFT_CHAINDEF)
		return;
	if (r->o->f.func && !nt_select_record_func(&r->o->f, r->m, h))
		return;
	if (r->o->limit && r->seq >= r->o->limit) {
		r->stop = 1;
		return;
	}
	r->seq++;
	if (r->o->mode == OUT_TEXT) {
		nt_fmt_event_line_p(r->out, r->m, p, h, r->seq);
	} else {
		nt_jw_event(&r->jw, r->m, p, h, r->seq);
		if (r->o->mode == OUT_NDJSON)
			nt_jw_newline(&r->jw);
	}
}

static void events_on_event(struct run *r, const struct nt_packet *p, const struct nt_ev_hdr *h)
{
	struct nt_select *f = &r->o->f;

	if (f->has_verdict)
		return; /* printed per packet, at completion */
	if (r->pkt_filter) {
		int flow = f->has_host || f->has_src || f->has_dst || f->port >= 0 ||
			   f->sport >= 0 || f->dport >= 0 || f->proto >= 0 || f->packet;

		if (flow && (!p || !nt_select_match_packet(f, r->m, p)))
			return;
	}
	emit_event(r, p, h);
}

static void events_on_packet(struct run *r, const struct nt_packet *p)
{
	const struct nt_ev_hdr *h;

	if (!nt_select_match_packet(&r->o->f, r->m, p))
		return;
	for (size_t off = 0; off + sizeof(*h) <= p->ev_len && !r->stop; off += nt_ev_size(h->type)) {
		h = (const void *)(p->ev + off);
		emit_event(r, p, h);
	}
}

static int do_events(struct opts *o)
{
	struct run r = { .o = o, .out = stdout, .on_event = events_on_event };
	int rc;

	if (o->f.has_verdict)
		r.on_packet = events_on_packet;
	nt_jw_init_buffered(&r.jw, r.out);
	if (o->mode == OUT_JSON) {
		nt_jw_obj(&r.jw, NULL);
		nt_jw_arr(&r.jw, "events");
	}
	rc = run_log(&r, o->f.has_verdict);
	if (rc == NT_EXIT_USAGE || rc == NT_EXIT_RUNTIME)
		return finish(&r, rc);
	if (o->mode == OUT_JSON) {
		nt_jw_end(&r.jw);
		json_summary(&r);
		nt_jw_end(&r.jw);
		nt_jw_newline(&r.jw);
	}
	return finish(&r, rc);
}

/* ---- journeys ---- */
static int packet_selected(struct run *r, const struct nt_packet *p)
{
	return nt_select_match_packet(&r->o->f, r->m, p) && nt_select_packet_has_func(&r->o->f, r->m, p);
}

static void journeys_on_packet(struct run *r, const struct nt_packet *p)
{
	if (r->stop || !packet_selected(r, p))
		return;
	if (r->o->limit && r->shown >= r->o->limit) {
		r->stop = 1;
		return;
	}
	r->shown++;
	r->seq++;
	if (r->o->mode == OUT_TEXT) {
		nt_journey_print_text(r->out, r->m, p);
	} else {
		nt_journey_json(&r->jw, r->m, p);
		if (r->o->mode == OUT_NDJSON)
			nt_jw_newline(&r->jw);
	}
	if (r->o->f.packet)
		r->stop = 1;
}

static int do_journeys(struct opts *o)
{
	struct run r = { .o = o, .out = stdout, .on_packet = journeys_on_packet };
	int rc;

	nt_jw_init_buffered(&r.jw, r.out);
	if (o->mode == OUT_JSON) {
		nt_jw_obj(&r.jw, NULL);
		nt_jw_arr(&r.jw, "journeys");
	}
	rc = run_log(&r, 1);
	if (rc == NT_EXIT_USAGE || rc == NT_EXIT_RUNTIME)
		return finish(&r, rc);
	if (o->mode == OUT_JSON) {
		nt_jw_end(&r.jw);
		json_summary(&r);
		nt_jw_end(&r.jw);
		nt_jw_newline(&r.jw);
	} else if (o->mode == OUT_TEXT) {
		const struct nt_model_totals *t = nt_model_totals(r.m);

		if (r.stop)
			fprintf(r.out, "%" PRIu64 " packet%s shown (stopped reading: %s)", r.shown,
				r.shown == 1 ? "" : "s", o->f.packet ? "--packet found" : "--limit reached");
		else
			fprintf(r.out, "%" PRIu64 " of %" PRIu64 " packets shown", r.shown, t->packets);
		if (!r.stop && t->incomplete)
			fprintf(r.out, " (%" PRIu64 " incomplete: still open at the end of the log)", t->incomplete);
		fprintf(r.out, "\n");
	}
	return finish(&r, rc);
}

/* ---- stats ---- */
static void stats_on_event(struct run *r, const struct nt_packet *p, const struct nt_ev_hdr *h)
{
	if (!r->pkt_filter && h->type != NT_EV_NFT_CHAINDEF && h->type != NT_EV_LOSS)
		nt_stats_event(r->st, r->m, p, h);
}

static void stats_on_packet(struct run *r, const struct nt_packet *p)
{
	if (!r->pkt_filter)
		nt_stats_packet(r->st, r->m, p);
	else if (packet_selected(r, p))
		nt_stats_packet_records(r->st, r->m, p);
}

static void stats_output(struct run *r)
{
	struct nt_stats_out so = { .top = r->o->top, .log_status = r->log_error,
				   .log_complete = r->log_complete };

	if (r->o->mode == OUT_TEXT) {
		nt_stats_print_text(r->out, r->st, r->m, &so);
	} else if (r->o->mode == OUT_JSON) {
		nt_jw_obj(&r->jw, "stats");
		nt_stats_json(&r->jw, r->st, r->m, &so);
		nt_jw_end(&r->jw);
	} else {
		nt_stats_ndjson(&r->jw, r->st, r->m, &so);
	}
}

static int do_stats(struct opts *o)
{
	struct run r = { .o = o, .out = stdout, .on_event = stats_on_event, .on_packet = stats_on_packet };
	int rc;

	r.st = nt_stats_new();
	if (!r.st) {
		fprintf(stderr, "nft-analyze: out of memory\n");
		return NT_EXIT_RUNTIME;
	}
	nt_jw_init_buffered(&r.jw, r.out);
	rc = run_log(&r, nt_select_packet_level(&o->f));
	if (rc == NT_EXIT_USAGE || rc == NT_EXIT_RUNTIME)
		return finish(&r, rc);
	if (o->mode == OUT_JSON)
		nt_jw_obj(&r.jw, NULL);
	stats_output(&r);
	if (o->mode == OUT_JSON) {
		nt_jw_end(&r.jw);
		nt_jw_newline(&r.jw);
	}
	return finish(&r, rc);
}

/* ---- report: log header, journeys of dropped packets, statistics ---- */
static void report_on_packet(struct run *r, const struct nt_packet *p)
{
	int sel = !r->pkt_filter || packet_selected(r, p);

	if (!sel)
		return;
	if (r->pkt_filter)
		nt_stats_packet_records(r->st, r->m, p);
	else
		nt_stats_packet(r->st, r->m, p);
	if (p->verdict != NT_V_DROP || (r->o->limit && r->shown >= r->o->limit))
		return;
	r->shown++;
	if (r->o->mode == OUT_TEXT) {
		nt_journey_print_text(r->out, r->m, p);
	} else if (r->o->mode == OUT_JSON) {
		nt_journey_json(&r->jw, r->m, p);
	} else {
		nt_jw_obj(&r->jw, NULL);
		nt_jw_str(&r->jw, "section", "dropped");
		nt_journey_json_key(&r->jw, "journey", r->m, p);
		nt_jw_end(&r->jw);
		nt_jw_newline(&r->jw);
	}
}

static const char *hdr(const struct nt_model *m, const char *k)
{
	const char *v = nt_model_header_str(m, k);

	return v ? v : "?";
}

static int do_report(struct opts *o)
{
	struct run r = { .o = o, .out = stdout, .on_event = stats_on_event, .on_packet = report_on_packet };
	int rc;

	if (!o->limit)
		o->limit = 10;
	r.st = nt_stats_new();
	if (!r.st) {
		fprintf(stderr, "nft-analyze: out of memory\n");
		return NT_EXIT_RUNTIME;
	}
	nt_jw_init_buffered(&r.jw, r.out);
	if (o->mode == OUT_JSON) {
		nt_jw_obj(&r.jw, NULL);
		nt_jw_arr(&r.jw, "dropped");
	}
	if (o->mode == OUT_TEXT)
		fprintf(r.out, "DROPPED PACKETS (first %" PRIu64 ")\n\n", o->limit);
	rc = run_log(&r, 1);
	if (rc == NT_EXIT_USAGE || rc == NT_EXIT_RUNTIME)
		return finish(&r, rc);
	if (o->mode == OUT_TEXT) {
		if (!r.shown)
			fprintf(r.out, "(no dropped packets)\n\n");
		fprintf(r.out, "LOG: %s\n  host %s, kernel %s, backend %s, started %s, %s\n\n", o->log,
			hdr(r.m, "hostname"), hdr(r.m, "kernel"), hdr(r.m, "backend"),
			hdr(r.m, "start_time"), r.log_error ? "damaged" :
			r.log_complete ? "complete" : "no trailer");
	} else if (o->mode == OUT_JSON) {
		nt_jw_end(&r.jw);
		nt_jw_obj(&r.jw, "log");
		nt_jw_str(&r.jw, "file", o->log);
		nt_jw_str(&r.jw, "hostname", nt_model_header_str(r.m, "hostname"));
		nt_jw_str(&r.jw, "kernel", nt_model_header_str(r.m, "kernel"));
		nt_jw_str(&r.jw, "backend", nt_model_header_str(r.m, "backend"));
		nt_jw_str(&r.jw, "start_time", nt_model_header_str(r.m, "start_time"));
		nt_jw_end(&r.jw);
	} else {
		nt_jw_obj(&r.jw, NULL);
		nt_jw_str(&r.jw, "section", "log");
		nt_jw_str(&r.jw, "file", o->log);
		nt_jw_str(&r.jw, "hostname", nt_model_header_str(r.m, "hostname"));
		nt_jw_str(&r.jw, "kernel", nt_model_header_str(r.m, "kernel"));
		nt_jw_str(&r.jw, "backend", nt_model_header_str(r.m, "backend"));
		nt_jw_str(&r.jw, "start_time", nt_model_header_str(r.m, "start_time"));
		nt_jw_end(&r.jw);
		nt_jw_newline(&r.jw);
	}
	stats_output(&r);
	if (o->mode == OUT_JSON) {
		nt_jw_end(&r.jw);
		nt_jw_newline(&r.jw);
	}
	return finish(&r, rc);
}

/* ---- subcommand table ---- */
static int report_text_wanted(int argc, char **argv)
{
	return !nt_report_html_wanted(argc, argv);
}

/* The first entry whose name matches and whose wanted() (NULL = always) says
 * yes runs: with the common options (fn) or with its own argp (run). */
struct cmd {
	const char *name;
	int (*fn)(struct opts *o);
	int (*run)(int argc, char **argv);     /* argv[0] = "nft-analyze NAME" */
	int (*wanted)(int argc, char **argv);
	const char *doc;                       /* fn: up to the first ':' is the summary */
};

static const struct cmd cmds[] = {
	{ "events", do_events, NULL, NULL,
	  "Print every record as the prototype's live line: "
	  "\"[   1] FUNC       Device     __netif_receive_skb_core       10.0.0.1:54321 → 10.0.0.2:443\"; "
	  "NFT_CHAIN / NFT_RULE lines end with the verdict, e.g. \" [ACCEPT]\". With --verdict, "
	  "lines are printed per packet when the packet completes." },
	{ "journeys", do_journeys, NULL, NULL,
	  "Print one PACKET TRACE block per packet, in order of completion: header (protocol, "
	  "addresses, counts, verdict), functions by layer with µs offsets from the packet's first "
	  "record, nftables chains and rules with table, chain, handle and rule text, clone "
	  "branches and the drop reason." },
	{ "stats", do_stats, NULL, NULL,
	  "Print the TRACE STATISTICS block: totals, events by layer and function, packets by "
	  "verdict and deciding rule, drops by reason, time per layer (p50/p90/p99/max per packet) "
	  "and loss counters." },
	{ "report", do_report, NULL, report_text_wanted,
	  "Print the journeys of dropped packets, a log summary and the statistics: the PACKET "
	  "TRACE blocks of the first --limit (default 10) dropped packets, then the log's host, "
	  "kernel and backend, then the TRACE STATISTICS block." },
	{ "diff", NULL, cmd_diff, NULL, "Compare two logs (exit 0 equivalent, 1 different, 2 bad input)" },
	{ "timeline", NULL, cmd_timeline, NULL, "Chrome / Perfetto trace-event JSON (-o trace.json)" },
	{ "flame", NULL, cmd_flame, NULL, "Folded stacks for flamegraphs, or the flamegraph itself (--svg)" },
	{ "report", NULL, cmd_report_html, nt_report_html_wanted,
	  "(with -o FILE.html / --html) one self-contained HTML report" },
};

static void usage_top(FILE *f)
{
	fprintf(f,
		"Usage: nft-analyze COMMAND [OPTION...] LOG\n"
		"Offline analysis of an nft-tracer log (.ntl): no root, BPF or BTF needed.\n\n"
		"Commands:\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-10s %.*s\n", cmds[i].name,
			(int)(cmds[i].fn && strchr(cmds[i].doc, ':') ? strchr(cmds[i].doc, ':') - cmds[i].doc :
			      (long)strlen(cmds[i].doc)), cmds[i].doc);
	fprintf(f,
		"\n'nft-analyze COMMAND --help' lists the options of a command (--json, --ndjson,\n"
		"filters --packet --verdict --func --host --port --proto --since --until ...).\n\n"
		"Exit codes: 0 ok; 1 runtime error; 2 usage error or unusable log (unreadable, not an\n"
		"nft-tracer log, newer format); 3 log truncated or corrupt: results of everything\n"
		"before the damage were printed, stderr says where and why.\n");
}

int main(int argc, char **argv)
{
	static char outbuf[1 << 20];
	struct opts o = { 0 };
	char doc[1024], name[64];
	struct argp ap = { common_opts, parse_opt, "LOG", doc, NULL, NULL, NULL };
	const struct cmd *c = NULL;

	if (argc < 2) {
		usage_top(stderr);
		return NT_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage_top(stdout);
		return NT_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("nft-analyze %s (log format %d)\n", NT_VERSION, NT_FORMAT_VERSION);
		return NT_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]) && !c; i++)
		if (!strcmp(argv[1], cmds[i].name) && (!cmds[i].wanted || cmds[i].wanted(argc, argv)))
			c = &cmds[i];
	if (!c) {
		fprintf(stderr, "nft-analyze: unknown command '%s' (events, journeys, stats, report; "
			"see nft-analyze --help)\n", argv[1]);
		return NT_EXIT_USAGE;
	}
	snprintf(name, sizeof(name), "nft-analyze %s", c->name);
	argv[1] = name;
	if (c->run)
		return c->run(argc - 1, argv + 1);
	setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
	snprintf(doc, sizeof(doc), "%s%s", c->doc, exit_doc);
	nt_select_init(&o.f);
	argp_err_exit_status = NT_EXIT_USAGE;
	if (argp_parse(&ap, argc - 1, argv + 1, 0, NULL, &o))
		return NT_EXIT_USAGE;
	return c->fn(&o);
}
