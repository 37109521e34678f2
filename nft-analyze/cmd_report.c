// SPDX-License-Identifier: GPL-2.0
/* cmd_report.c - `nft-analyze report`: dropped packets, log summary, statistics; with -o FILE.html the HTML report (options: query.h). */
#include <argp.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/tool.h"
#include "model/journey.h"
#include "nft-analyze/cmds.h"
#include "nft-analyze/query.h"

static const char doc[] =
	"Print the journeys of dropped packets, a log summary and the statistics: the PACKET "
	"TRACE blocks of the first --limit (default 10) dropped packets (nftables' verdict DROP, "
	"or fate dropped by the kernel), then the log's host, "
	"kernel and backend, then the TRACE STATISTICS block."
	NT_QUERY_EXIT_DOC;

/* The HTML report's options, listed in --help; with one of them the HTML
 * report's own parser runs (cmd_report_html.c), so reaching this parser
 * means --max-packets / --title without -o or --html. */
enum { O_HTML = 300, O_MAXPKT, O_TITLE };
static const struct argp_option html_options[] = {
	{ NULL, 0, NULL, 0, "HTML report (instead of the text report; the filters above do not "
	  "apply to it, it covers every packet):", 3 },
	{ "output", 'o', "FILE", 0, "write the HTML report to FILE, atomically ('-' = stdout)", 3 },
	{ "html", O_HTML, NULL, 0, "HTML report to stdout (the default with -o)", 3 },
	{ "max-packets", O_MAXPKT, "N", 0, "with -o / --html: packet table of the first N packets to "
	  "complete (default 1000)", 3 },
	{ "title", O_TITLE, "TEXT", 0, "with -o / --html: page title", 3 },
	{ 0 }
};

static error_t html_parse(int key, char *arg, struct argp_state *state)
{
	(void)arg;
	switch (key) {
	case O_MAXPKT:
	case O_TITLE:
		argp_error(state, "--%s belongs to the HTML report: add -o FILE.html or --html",
			   key == O_MAXPKT ? "max-packets" : "title");
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp html_argp = { html_options, html_parse, NULL, NULL, NULL, NULL, NULL };
static const struct argp_child children[] = { { &nt_query_argp, 0, NULL, 0 },
					      { &html_argp, 0, NULL, 0 }, { 0 } };
static const struct argp cmd_argp = { NULL, NULL, "LOG...", doc, children, NULL, NULL };

static void report_on_packet(struct nt_run *r, const struct nt_packet *p)
{
	int sel = !r->pkt_filter || nt_run_packet_selected(r, p);

	if (!sel)
		return;
	if (r->pkt_filter)
		nt_stats_packet_records(r->st, r->m, p);
	else
		nt_stats_packet(r->st, r->m, p);
	/* dropped by nftables, or by the kernel after nftables let it pass */
	if ((p->verdict != NT_V_DROP && p->fate != NT_FATE_DROPPED) ||
	    (r->o->limit && r->shown >= r->o->limit))
		return;
	r->shown++;
	if (r->o->mode == NT_OUT_TEXT) {
		nt_journey_print_text(r->out, r->m, p);
	} else if (r->o->mode == NT_OUT_JSON) {
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

	return v ? nt_esc_t(v) : "?";
}

static int report_text(int argc, char **argv)
{
	struct nt_query q, *o = &q;
	struct nt_run r;
	int rc;

	if (nt_query_parse(&q, &cmd_argp, argc, argv))
		return NT_EXIT_USAGE;
	if (nt_query_one_log(&q, "report"))
		return NT_EXIT_USAGE;
	if (!o->limit)
		o->limit = 10;
	nt_run_init(&r, o, nt_run_stats_on_event, report_on_packet);
	if (nt_run_stats_new(&r))
		return nt_run_finish(&r, NT_EXIT_RUNTIME);
	if (o->mode == NT_OUT_JSON) {
		nt_jw_obj(&r.jw, NULL);
		nt_jw_arr(&r.jw, "dropped");
	}
	if (o->mode == NT_OUT_TEXT)
		fprintf(r.out, "DROPPED PACKETS (first %" PRIu64 ")\n\n", o->limit);
	rc = nt_run_log(&r, 1);
	if (rc == NT_EXIT_USAGE || rc == NT_EXIT_RUNTIME)
		return nt_run_finish(&r, rc);
	if (o->mode == NT_OUT_TEXT) {
		if (!r.shown)
			fprintf(r.out, "(no dropped packets)\n\n");
		fprintf(r.out, "LOG: %s\n  host %s, kernel %s, backend %s, started %s, %s\n\n", o->log,
			hdr(r.m, "hostname"), hdr(r.m, "kernel"), hdr(r.m, "backend"),
			hdr(r.m, "start_time"), r.log_error ? "damaged" :
			r.log_complete ? "complete" : "no trailer");
	} else if (o->mode == NT_OUT_JSON) {
		nt_jw_end(&r.jw);
		nt_jw_obj(&r.jw, "log");
		nt_jw_log_fields(&r.jw, r.m, o->log);
		nt_jw_end(&r.jw);
	} else {
		nt_jw_obj(&r.jw, NULL);
		nt_jw_str(&r.jw, "section", "log");
		nt_jw_log_fields(&r.jw, r.m, o->log);
		nt_jw_end(&r.jw);
		nt_jw_newline(&r.jw);
	}
	nt_run_stats_output(&r);
	if (o->mode == NT_OUT_JSON) {
		nt_run_limits_member(&r);
		nt_jw_end(&r.jw);
		nt_jw_newline(&r.jw);
	}
	return nt_run_finish(&r, rc);
}


/* -o FILE / --output / --html: the HTML report (cmd_report_html.c) */
static int html_wanted(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "--html") || !strncmp(argv[i], "--output", 8) ||
		    !strncmp(argv[i], "-o", 2))
			return 1;
	}
	return 0;
}

int cmd_report(int argc, char **argv)
{
	return html_wanted(argc, argv) ? cmd_report_html(argc, argv) : report_text(argc, argv);
}
