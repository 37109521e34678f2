/* SPDX-License-Identifier: GPL-2.0 */
/*
 * query.h - what the packet commands (events, journeys, stats, report) share:
 * the common options (output mode, --limit, --top, --idle, the selection
 * --packet --verdict --func --host ... --since --until, and LOG) as an argp
 * child every command's own parser includes, and one run over the log
 * (model/walk.c's nt_walk_log) with per-record / per-packet callbacks.
 */
#ifndef NT_QUERY_H
#define NT_QUERY_H

#include <argp.h>
#include <stdint.h>
#include <stdio.h>

#include "common/limits.h"
#include "model/fleet.h"
#include "model/output.h"
#include "model/select.h"
#include "model/stats.h"
#include "model/walk.h"
#include "nft-analyze/pcapsel.h"

enum nt_out_mode { NT_OUT_TEXT, NT_OUT_JSON, NT_OUT_NDJSON };

struct nt_query {
	const char *log;         /* the first LOG */
	const char *const *logs; /* every LOG (several: model/fleet.h groups them; the files of
				  * one rotation set are one log, model/logset.h) */
	int nlogs;
	int many_known, many;    /* nt_query_many(), computed once */
	int mode;                /* enum nt_out_mode */
	struct nt_select f;
	int top;
	uint64_t limit;          /* journeys / events shown, 0 = all */
	uint64_t idle_ns;        /* 0 = model default */
	uint64_t reorder_ns;     /* 0 = walk default (1 s), UINT64_MAX = none */
	struct nt_limits lim;    /* --max-* (common/limits.h) */
	struct nt_pcapsel *pcap; /* --filter EXPR, NULL = none (f.pred) */
};

/* The common options; input: struct nt_query. */
extern const struct argp nt_query_argp;

/* Exit codes' paragraph of every packet command's --help. */
#define NT_QUERY_EXIT_DOC \
	"\vLOG... is one log, - for stdin, the files of one rotation set (nft-record --rotate: " \
	"read in sequence as one log), or several logs: of one host or of several hosts " \
	"(HEADER host; README: Many hosts).\n" \
	"Exit codes: 0 ok; 1 runtime error (out of memory, output write error); " \
	"2 usage error or unusable log (unreadable, not an nft-tracer log, newer format); " \
	"3 log truncated or corrupt: results of everything before the damage were printed " \
	"and stderr says where and why it stopped."

/* Parse ARGV (argv[0] = "nft-analyze NAME") with the command's parser AP (whose
 * first child is nt_query_argp); stdout gets a large buffer.  0 or
 * NT_EXIT_USAGE (message printed). */
int nt_query_parse(struct nt_query *q, const struct argp *ap, int argc, char **argv);

struct nt_run;
typedef void (*nt_run_event_fn)(struct nt_run *r, const struct nt_packet *p,
				const struct nt_ev_hdr *h);
typedef void (*nt_run_packet_fn)(struct nt_run *r, const struct nt_packet *p);

/* One run of a packet command over its log. */
struct nt_run {
	struct nt_query *o;
	struct nt_model *m;
	struct nt_stats *st;
	struct nt_jw jw;
	FILE *out;
	uint64_t seq;            /* lines / objects printed */
	uint64_t shown;          /* journeys printed */
	int pkt_filter;          /* a packet-level selection is set */
	nt_run_event_fn on_event;   /* every record (CHAINDEF / LOSS included) in the window */
	nt_run_packet_fn on_packet; /* completed packets */
	const char *log_error;   /* why the log ended early (NULL: clean) */
	int log_complete;
	struct nt_walk w;        /* w.stop: enough output (--packet found, --limit reached) */
	/* several logs (model/fleet.h): the source read, its host; NULL = o->log */
	const struct nt_fleet_src *src;
	void *user;              /* the command's own state */
};

/* Q's run printing to stdout through a buffered JSON writer. */
void nt_run_init(struct nt_run *r, struct nt_query *q, nt_run_event_fn on_event,
		 nt_run_packet_fn on_packet);
/* Read the log: NT_EXIT_OK, NT_EXIT_PARTIAL (damaged: log_error says why),
 * NT_EXIT_USAGE (unusable log) or NT_EXIT_RUNTIME (out of memory); for the
 * last two nothing is to be printed but nt_run_finish(). */
int nt_run_log(struct nt_run *r, int keep_events);
/* Flush (NDJSON: a last {"limits_hit": [...]} line when a limit was
 * reached), report the log's damage and the limits reached on stderr (exit 3),
 * release; returns RC or NT_EXIT_RUNTIME when the output could not be
 * written. */
int nt_run_finish(struct nt_run *r, int rc);
/* --json of events / journeys: {"ARRAY": [ ... ], "summary": {...}} (and
 * "limits_hit" when a limit was reached); no-ops in the other modes */
void nt_run_json_open(struct nt_run *r, const char *array);
void nt_run_json_close(struct nt_run *r);
/* Whether P passes the packet-level selection (flow, id, verdict, function). */
int nt_run_packet_selected(struct nt_run *r, const struct nt_packet *p);
/* stats / report: the statistics of every record (no packet-level selection) */
void nt_run_stats_on_event(struct nt_run *r, const struct nt_packet *p, const struct nt_ev_hdr *h);
/* stats / report: the statistics block in the run's output mode */
void nt_run_stats_output(struct nt_run *r);
/* --json documents of stats / report: the "limits_hit" member when a limit was reached */
void nt_run_limits_member(struct nt_run *r);
/* stats / report: a new statistics table (NT_EXIT_RUNTIME when out of memory) */
int nt_run_stats_new(struct nt_run *r);

/* The LOGs grouped into sources and hosts (model/fleet.h): 0, or NT_EXIT_USAGE /
 * NT_EXIT_RUNTIME with the one line printed (CMD: "nft-analyze stats"). */
int nt_query_fleet(struct nt_query *q, struct nt_fleet *f);
/* Commands that read one log: 0, or NT_EXIT_USAGE with one line when several
 * were given (CMD: "events"). */
int nt_query_one_log(struct nt_query *q, const char *cmd);
/* Whether the logs are those of several hosts (or several recordings): more
 * than one source (the files of one rotation set are one log). */
int nt_query_many(struct nt_query *q);

#endif
