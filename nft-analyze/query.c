// SPDX-License-Identifier: GPL-2.0
/* query.c - the common options and the run over the log of the packet
 * commands (query.h). */
#include <argp.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/tool.h"
#include "formats/ntlog.h"
#include "nft-analyze/cli.h"
#include "nft-analyze/query.h"

/* ---- options ---- */
enum {
	O_JSON = 256, O_NDJSON, O_PACKET, O_VERDICT, O_FUNC, O_HOST, O_SRC, O_DST, O_PORT, O_SPORT,
	O_DPORT, O_PROTO, O_SINCE, O_UNTIL, O_TOP, O_LIMIT, O_IDLE, O_REORDER, O_FATE, O_FILTER,
};

static const struct argp_option options[] = {
	{ NULL, 0, NULL, 0, "Output:", 1 },
	{ "json", O_JSON, NULL, 0, "one JSON document (schema: README)", 1 },
	{ "ndjson", O_NDJSON, NULL, 0, "one JSON object per line", 1 },
	{ "limit", O_LIMIT, "N", 0, "show at most N events / journeys", 1 },
	{ "top", O_TOP, "N", 0, "stats: rows per table (default 20)", 1 },
	{ "idle", O_IDLE, "SEC", 0, "a packet without records for SEC seconds is closed as incomplete "
	  "(its free was missed; default 10, 0 = never)", 1 },
	{ "reorder", O_REORDER, "SEC", 0, "put records written up to SEC seconds out of time order back "
	  "in order (default 1; 0 = read in file order); later ones are counted", 1 },
	{ NULL, 0, NULL, 0, "Filters (packet level unless noted):", 2 },
	{ "packet", O_PACKET, "ID", 0, "packet number (as journeys prints it)", 2 },
	{ "verdict", O_VERDICT, "V", 0, "nftables' verdict: accept, drop, stolen, queue, none", 2 },
	{ "fate", O_FATE, "F", 0, "what became of it: delivered, dropped, forwarded, consumed, unknown", 2 },
	{ "func", O_FUNC, "NAME", 0, "packets that hit function or tracepoint NAME (kfree_skb matches "
	  "skb:kfree_skb; events: lines of NAME)", 2 },
	{ "host", O_HOST, "ADDR", 0, "source or destination address (IPv4 / IPv6)", 2 },
	{ "src", O_SRC, "ADDR", 0, "source address", 2 },
	{ "dst", O_DST, "ADDR", 0, "destination address", 2 },
	{ "port", O_PORT, "N", 0, "source or destination port", 2 },
	{ "sport", O_SPORT, "N", 0, "source port", 2 },
	{ "dport", O_DPORT, "N", 0, "destination port", 2 },
	{ "proto", O_PROTO, "P", 0, "tcp, udp, icmp, icmpv6 (ipv6-icmp), sctp, udplite, gre, esp or a number", 2 },
	{ "filter", O_FILTER, "EXPR", 0, "nft-record's --filter language: a pcap-filter(7) expression "
	  "(+ netns NAME, iface NAME, mark V[/M]) on the packet's recorded headers; packets whose answer "
	  "needs what the log does not hold are left out and counted on stderr", 2 },
	{ "since", O_SINCE, "SEC", 0, "records from SEC seconds after the first record (record level)", 2 },
	{ "until", O_UNTIL, "SEC", 0, "records up to SEC seconds after the first record (record level)", 2 },
	{ 0 }
};

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
	struct nt_query *o = state->input;
	uint64_t v;

	switch (key) {
	case O_JSON: o->mode = NT_OUT_JSON; break;
	case O_NDJSON: o->mode = NT_OUT_NDJSON; break;
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
	case O_REORDER: {
		double sec;

		if (parse_sec(arg, &sec) || sec > 3600)
			argp_error(state, "--reorder: '%s' is not a number of seconds (0 to 3600)", arg);
		o->reorder_ns = sec == 0 ? UINT64_MAX : (uint64_t)(sec * 1e9);
		if (!o->reorder_ns)
			o->reorder_ns = 1;
		break;
	}
	case O_FATE:
		if (nt_select_set_fate(&o->f, arg))
			argp_error(state, "--fate: unknown fate '%s' (delivered, dropped, forwarded, consumed, unknown)", arg);
		break;
	case O_FILTER: {
		char err[600];

		if (o->pcap)
			argp_failure(state, NT_EXIT_USAGE, 0, "--filter given twice");
		o->pcap = calloc(1, sizeof(*o->pcap));
		if (!o->pcap)
			argp_failure(state, NT_EXIT_RUNTIME, 0, "out of memory");
		if (nt_pcapsel_init(o->pcap, arg, err, sizeof(err)))
			argp_failure(state, NT_EXIT_USAGE, 0, "%s", err);
		o->f.pred = nt_pcapsel_match;
		o->f.pred_ctx = o->pcap;
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
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &o->lim;
		break;
	case ARGP_KEY_ARG: /* not taken one by one: ARGP_KEY_ARGS has them all */
		return ARGP_ERR_UNKNOWN;
	case ARGP_KEY_ARGS: /* LOG...: a file, - for stdin, or several logs */
		o->logs = (const char *const *)state->argv + state->next;
		o->nlogs = state->argc - state->next;
		o->log = o->logs[0];
		state->next = state->argc;
		break;
	default: /* LOG: a file, or - for stdin (the reader takes both) */
		return nt_cli_log_arg_msg(state, key, arg, &o->log,
					    "missing LOG (an .ntl file written by nft-record, or - for stdin)");
	}
	return 0;
}

static const struct argp_child query_children[] = {
	{ &nt_cli_limits_argp, 0, "Limits (reaching one: stderr says which, exit 3):", 3 }, { 0 }
};

const struct argp nt_query_argp = { options, parse_opt, NULL, NULL, query_children, NULL, NULL };

int nt_query_parse(struct nt_query *q, const struct argp *ap, int argc, char **argv)
{
	static char outbuf[1 << 20];

	memset(q, 0, sizeof(*q));
	setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
	nt_select_init(&q->f);
	nt_limits_init(&q->lim);
	argp_err_exit_status = NT_EXIT_USAGE;
	if (argp_parse(ap, argc, argv, 0, NULL, q))
		return NT_EXIT_USAGE;
	return 0;
}

/* ---- the run ---- */
static void walk_packet(void *ctx, const struct nt_packet *p)
{
	struct nt_run *r = ctx;

	r->m = r->w.m;
	if (r->on_packet)
		r->on_packet(r, p);
}

static void walk_record(void *ctx, struct nt_model *m, const struct nt_packet *p,
			const struct nt_ev_hdr *h)
{
	struct nt_run *r = ctx;

	r->m = m;
	r->on_event(r, p, h);
}

static void walk_bad_meta(void *ctx, uint16_t type, uint64_t offset)
{
	struct nt_run *r = ctx;

	if (type == NTL_B_STACKS)
		fprintf(stderr, "nft-analyze: %s: STACKS block at offset %" PRIu64
			" is malformed: the stacks after the damage are ignored\n", r->w.path, offset);
	else
		fprintf(stderr, "nft-analyze: %s: metadata block %u at offset %" PRIu64
			" is not valid JSON: ignored\n", r->w.path, type, offset);
}

void nt_run_init(struct nt_run *r, struct nt_query *q, nt_run_event_fn on_event,
		 nt_run_packet_fn on_packet)
{
	memset(r, 0, sizeof(*r));
	r->o = q;
	r->out = stdout;
	r->on_event = on_event;
	r->on_packet = on_packet;
	nt_jw_init_buffered(&r->jw, r->out);
}

int nt_run_log(struct nt_run *r, int keep_events)
{
	struct nt_walk *w = &r->w;
	int st;

	if (r->src) { /* a source of several logs: one file, or one rotation set */
		w->path = r->src->paths[0];
		w->paths = r->src->npaths > 1 ? r->src->paths : NULL;
		w->npaths = r->src->npaths > 1 ? r->src->npaths : 0;
	} else { /* one log: a file, or the files of one rotation set */
		w->path = r->o->log;
		w->paths = r->o->nlogs > 1 ? r->o->logs : NULL;
		w->npaths = r->o->nlogs > 1 ? r->o->nlogs : 0;
	}
	w->keep_events = keep_events;
	w->idle_ns = r->o->idle_ns;
	w->reorder_ns = r->o->reorder_ns;
	w->on_packet = walk_packet;
	w->on_record = r->on_event ? walk_record : NULL;
	w->all_records = 1;
	w->on_bad_meta = walk_bad_meta;
	w->ctx = r;
	w->window = &r->o->f;
	w->limits = &r->o->lim;
	w->threads = 1;
	r->pkt_filter = nt_select_packet_level(&r->o->f);
	if (r->o->pcap)
		r->o->pcap->w = w;
	st = nt_walk_log(w);
	r->m = w->m;
	r->log_complete = w->log_complete;
	if (w->error[0] && r->m)
		r->log_error = w->error;
	switch (st) {
	case NT_WALK_OK:
		return NT_EXIT_OK;
	case NT_WALK_DAMAGED:
		return NT_EXIT_PARTIAL;
	case NT_WALK_BAD:
		fprintf(stderr, "nft-analyze: %s\n", w->error);
		return NT_EXIT_USAGE;
	default: /* out of memory: never a result */
		if (!r->m)
			fprintf(stderr, "nft-analyze: %s\n", w->error);
		return NT_EXIT_RUNTIME;
	}
}

int nt_run_finish(struct nt_run *r, int rc)
{
	if (r->o->mode == NT_OUT_NDJSON && r->m && rc != NT_EXIT_USAGE && rc != NT_EXIT_RUNTIME &&
	    nt_limits_reached(nt_model_limits(r->m))) {
		nt_jw_obj(&r->jw, NULL);
		nt_jw_limits(&r->jw, r->m);
		nt_jw_end(&r->jw);
		nt_jw_newline(&r->jw);
	}
	nt_jw_free(&r->jw);
	if (r->o->pcap) {
		nt_pcapsel_report(r->o->pcap);
		nt_pcapsel_free(r->o->pcap);
		free(r->o->pcap);
		r->o->pcap = NULL;
	}
	if (r->log_error)
		fprintf(stderr, "nft-analyze: %s\n", r->log_error);
	rc = nt_cli_limits_done(r->o->log, r->m, rc);
	if (fflush(r->out) || ferror(r->out)) {
		fprintf(stderr, "nft-analyze: writing the output failed: %s\n", strerror(errno));
		rc = NT_EXIT_RUNTIME;
	}
	nt_stats_free(r->st);
	nt_model_free(r->m);
	return rc;
}

static void json_summary(struct nt_run *r)
{
	const struct nt_model_totals *t = nt_model_totals(r->m);

	nt_jw_obj(&r->jw, "summary");
	nt_jw_u64(&r->jw, "events", t->events);
	nt_jw_u64(&r->jw, "packets", t->packets);
	nt_jw_u64(&r->jw, "incomplete_packets", t->incomplete);
	nt_jw_u64(&r->jw, "shown", r->o->mode == NT_OUT_TEXT ? r->shown : r->seq);
	nt_jw_bool(&r->jw, "log_complete", r->log_complete);
	nt_jw_str(&r->jw, "log_error", r->log_error);
	nt_jw_end(&r->jw);
}

void nt_run_json_open(struct nt_run *r, const char *array)
{
	if (r->o->mode != NT_OUT_JSON)
		return;
	nt_jw_obj(&r->jw, NULL);
	nt_jw_arr(&r->jw, array);
}

void nt_run_json_close(struct nt_run *r)
{
	if (r->o->mode != NT_OUT_JSON)
		return;
	nt_jw_end(&r->jw);
	json_summary(r);
	nt_jw_limits(&r->jw, r->m);
	nt_jw_end(&r->jw);
	nt_jw_newline(&r->jw);
}

void nt_run_limits_member(struct nt_run *r)
{
	if (r->o->mode == NT_OUT_JSON)
		nt_jw_limits(&r->jw, r->m);
}

int nt_run_packet_selected(struct nt_run *r, const struct nt_packet *p)
{
	return nt_select_match_packet(&r->o->f, r->m, p) && nt_select_packet_has_func(&r->o->f, r->m, p);
}

void nt_run_stats_on_event(struct nt_run *r, const struct nt_packet *p, const struct nt_ev_hdr *h)
{
	if (!r->pkt_filter && h->type != NT_EV_NFT_CHAINDEF && h->type != NT_EV_LOSS &&
	    h->type != NT_EV_COUNT)
		nt_stats_event(r->st, r->m, p, h);
}

void nt_run_stats_output(struct nt_run *r)
{
	struct nt_stats_out so = { .top = r->o->top, .log_status = r->log_error,
				   .log_complete = r->log_complete };

	if (r->o->mode == NT_OUT_TEXT) {
		nt_stats_print_text(r->out, r->st, r->m, &so);
	} else if (r->o->mode == NT_OUT_JSON) {
		nt_jw_obj(&r->jw, "stats");
		nt_stats_json(&r->jw, r->st, r->m, &so);
		nt_jw_end(&r->jw);
	} else {
		nt_stats_ndjson(&r->jw, r->st, r->m, &so);
	}
}

int nt_run_stats_new(struct nt_run *r)
{
	r->st = nt_stats_new();
	if (!r->st) {
		fprintf(stderr, "nft-analyze: out of memory\n");
		return NT_EXIT_RUNTIME;
	}
	return 0;
}

int nt_query_fleet(struct nt_query *q, struct nt_fleet *f)
{
	char err[1200];
	int st = nt_fleet_open(f, q->logs, q->nlogs, err, sizeof(err));

	if (!st)
		return 0;
	fprintf(stderr, "nft-analyze: %s\n", err);
	return st == NT_FLEET_NOMEM ? NT_EXIT_RUNTIME : NT_EXIT_USAGE;
}

/* Several LOGs: whether they are more than one source (the files of one
 * rotation set are one log); a fleet that cannot be opened is "many" (its
 * error then comes from nt_query_fleet()), ERR gets it. */
static int many_logs(struct nt_query *q, char *err, size_t errlen, int *st)
{
	struct nt_fleet f;

	*st = 0;
	if (q->nlogs <= 1)
		return 0;
	*st = nt_fleet_open(&f, q->logs, q->nlogs, err, errlen);
	if (*st)
		return 1;
	q->many = f.nsrc > 1;
	nt_fleet_close(&f);
	return q->many;
}

int nt_query_many(struct nt_query *q)
{
	char err[1200];
	int st;

	if (!q->many_known) {
		q->many_known = 1;
		q->many = many_logs(q, err, sizeof(err), &st);
	}
	return q->many;
}

int nt_query_one_log(struct nt_query *q, const char *cmd)
{
	char err[1200];
	int st;

	if (!many_logs(q, err, sizeof(err), &st))
		return 0;
	if (st) {
		fprintf(stderr, "nft-analyze: %s\n", err);
		return st == NT_FLEET_NOMEM ? NT_EXIT_RUNTIME : NT_EXIT_USAGE;
	}
	fprintf(stderr, "nft-analyze %s: %d logs: %s reads one log (journeys, stats, diff and export "
		"take the logs of several hosts)\n", cmd, q->nlogs, cmd);
	return NT_EXIT_USAGE;
}
