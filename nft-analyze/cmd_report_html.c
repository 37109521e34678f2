// SPDX-License-Identifier: GPL-2.0
/* cmd_report_html.c - `nft-analyze report LOG -o report.html`: the HTML report
 * of model/report_html.c over a whole log (cmds.h). */
#include <argp.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model/report_html.h"
#include "model/walk.h"
#include "common/tool.h"
#include "nft-analyze/cli.h"
#include "nft-analyze/cmds.h"

#define CMD "nft-analyze report"

struct ropts {
	const char *log, *out, *title;
	uint64_t max_packets;
	int top;
	struct nt_limits lim;
};

struct rctx {
	struct nt_report_html *rep;
	struct nt_walk *walk;
};

/* ---- CLI ---- */
enum { O_HTML = 256, O_MAXPKT, O_TITLE, O_TOP, O_TEXTONLY, O_TEXTONLY_FLAG };

static const struct argp_option options[] = {
	{ "output", 'o', "FILE", 0, "write the HTML report to FILE, atomically ('-' = stdout)", 0 },
	{ "html", O_HTML, NULL, 0, "HTML report (the default with -o; without -o: to stdout)", 0 },
	{ "max-packets", O_MAXPKT, "N", 0, "packet table: the first N packets to complete (default 1000)", 0 },
	{ "top", O_TOP, "N", 0, "rules shown (as stats --top, default 20)", 0 },
	{ "title", O_TITLE, "TEXT", 0, "page title", 0 },
	/* the text report's selection: named so the error says why */
	{ "packet", O_TEXTONLY, "X", OPTION_HIDDEN, NULL, 0 },
	{ "verdict", O_TEXTONLY, "X", OPTION_HIDDEN, NULL, 0 },
	{ "fate", O_TEXTONLY, "X", OPTION_HIDDEN, NULL, 0 },
	{ "func", O_TEXTONLY, "X", OPTION_HIDDEN, NULL, 0 },
	{ "host", O_TEXTONLY, "X", OPTION_HIDDEN, NULL, 0 },
	{ "src", O_TEXTONLY, "X", OPTION_HIDDEN, NULL, 0 },
	{ "dst", O_TEXTONLY, "X", OPTION_HIDDEN, NULL, 0 },
	{ "port", O_TEXTONLY, "X", OPTION_HIDDEN, NULL, 0 },
	{ "sport", O_TEXTONLY, "X", OPTION_HIDDEN, NULL, 0 },
	{ "dport", O_TEXTONLY, "X", OPTION_HIDDEN, NULL, 0 },
	{ "proto", O_TEXTONLY, "X", OPTION_HIDDEN, NULL, 0 },
	{ "since", O_TEXTONLY, "X", OPTION_HIDDEN, NULL, 0 },
	{ "until", O_TEXTONLY, "X", OPTION_HIDDEN, NULL, 0 },
	{ "limit", O_TEXTONLY, "X", OPTION_HIDDEN, NULL, 0 },
	{ "json", O_TEXTONLY_FLAG, NULL, OPTION_HIDDEN, NULL, 0 },
	{ "ndjson", O_TEXTONLY_FLAG, NULL, OPTION_HIDDEN, NULL, 0 },
	{ 0 }
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct ropts *o = state->input;
	char *end;
	unsigned long long v;

	switch (key) {
	case O_TEXTONLY:
	case O_TEXTONLY_FLAG: {
		/* the option as written: the word before its argument, up to '=' */
		int i = state->next > 0 ? state->next - 1 : 0;
		const char *opt = state->argv[i];

		if (key == O_TEXTONLY && opt[0] != '-' && i > 0)
			opt = state->argv[i - 1];
		argp_error(state, "%.*s is an option of the text report; the HTML report (-o / --html) "
			   "covers every packet of the log", (int)strcspn(opt, "="), opt);
		return 0;
	}
	case 'o': o->out = arg; break;
	case O_HTML: break;
	case O_TITLE: o->title = arg; break;
	case O_MAXPKT:
	case O_TOP:
		errno = 0;
		v = strtoull(arg, &end, 10);
		if (end == arg || *end || errno || *arg == '-' || (key == O_TOP && (!v || v > 1000000)))
			argp_error(state, "%s: '%s' is not a valid number", key == O_TOP ? "--top" :
				   "--max-packets", arg);
		if (key == O_TOP)
			o->top = (int)v;
		else
			o->max_packets = v;
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
	"Write one self-contained HTML report (inline CSS and JS, no network access): summary, "
	"packets by verdict, top drop reasons and rules, time per layer (percentiles and histograms), "
	"and a searchable packet table whose rows expand into the journey with rule text. Its numbers "
	"are those of `nft-analyze stats --json`. Without -o / --html, `report` prints the text report."
	NT_CLI_EXIT_DOC("the report covers");

static void on_record(void *ctx, struct nt_model *m, const struct nt_packet *p, const struct nt_ev_hdr *h)
{
	struct rctx *c = ctx;

	nt_report_html_record(c->rep, m, p, h);
}

static void on_packet(void *ctx, const struct nt_packet *p)
{
	struct rctx *c = ctx;

	nt_report_html_packet(c->rep, c->walk->m, p);
}

static const struct argp_child lim_children[] = {
	{ &nt_cli_limits_argp, 0, "Limits (reaching one: stderr says which, exit 3):", 1 }, { 0 }
};

int cmd_report_html(int argc, char **argv)
{
	struct ropts o = { .max_packets = 1000 };
	struct argp ap = { options, parse_opt, "LOG", doc, lim_children, NULL, NULL };
	struct rctx c = { 0 };
	struct nt_walk w = { 0 };
	struct nt_out out;
	int st, rc = 0, err;

	argp_err_exit_status = 2;
	nt_limits_init(&o.lim);
	if (argp_parse(&ap, argc, argv, 0, NULL, &o))
		return 2;
	c.rep = nt_report_html_new(&(struct nt_report_html_opts){ .file = o.log, .title = o.title,
		.max_packets = o.max_packets, .top = o.top });
	if (!c.rep) {
		fprintf(stderr, "nft-analyze report: out of memory\n");
		rc = 1;
		goto out;
	}
	w.path = o.log;
	w.keep_events = 1;
	w.on_packet = on_packet;
	w.on_record = on_record;
	w.ctx = &c;
	w.limits = &o.lim;
	c.walk = &w;
	st = nt_walk_log(&w);
	rc = nt_cli_walk_failed(CMD, &w, st);
	if (!rc)
		rc = nt_cli_out_open(&out, CMD, o.out);
	if (rc)
		goto out;
	err = nt_report_html_write(c.rep, out.f, w.m, w.error[0] ? w.error : NULL, w.log_complete);
	if (err) {
		nt_out_close(&out, 0);
		fprintf(stderr, "nft-analyze report: out of memory\n");
		rc = 1;
		goto out;
	}
	rc = nt_cli_out_done(&out, CMD, o.out, &w, st);
	rc = nt_cli_limits_done(o.log, w.m, rc);
out:
	nt_report_html_free(c.rep);
	nt_model_free(w.m);
	return rc;
}
