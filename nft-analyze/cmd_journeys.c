// SPDX-License-Identifier: GPL-2.0
/* cmd_journeys.c - `nft-analyze journeys`: one PACKET TRACE block per packet (options: query.h). */
#include <argp.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/tool.h"
#include "model/journey.h"
#include "nft-analyze/cmds.h"
#include "nft-analyze/query.h"

static const char doc[] =
	"Print one PACKET TRACE block per packet, in order of completion: header (protocol, "
	"addresses, counts, verdict), functions by layer with µs offsets from the packet's first "
	"record, nftables chains and rules with table, chain, handle and rule text, clone "
	"branches and the drop reason.  Logs of several hosts: a packet that left one host and "
	"entered another is one JOURNEY, its parts grouped by host (matched on the wire: headers "
	"as translated, TCP segment ranges, clock offsets estimated from the matches; ambiguous "
	"matches are not stitched, and counted)."
	NT_QUERY_EXIT_DOC;

static const struct argp_child children[] = { { &nt_query_argp, 0, NULL, 0 }, { 0 } };
static const struct argp cmd_argp = { NULL, NULL, "LOG...", doc, children, NULL, NULL };

/* Text output: every journey into one builder over a 256 KiB buffer
 * (r->user), written past stdio when full (model/output.h nt_tb_init_mem):
 * not an 8 KiB builder per packet copied into stdout's buffer. */
struct jtext {
	struct nt_tb tb;
	char mem[256 << 10];
};

static void journeys_on_packet(struct nt_run *r, const struct nt_packet *p)
{
	if (r->w.stop || !nt_run_packet_selected(r, p))
		return;
	if (r->o->limit && r->shown >= r->o->limit) {
		r->w.stop = 1;
		return;
	}
	r->shown++;
	r->seq++;
	if (r->o->mode == NT_OUT_TEXT && r->user) {
		nt_journey_text(&((struct jtext *)r->user)->tb, r->m, p);
	} else if (r->o->mode == NT_OUT_TEXT) {
		nt_journey_print_text(r->out, r->m, p);
	} else {
		nt_journey_json(&r->jw, r->m, p);
		if (r->o->mode == NT_OUT_NDJSON)
			nt_jw_newline(&r->jw);
	}
	if (r->o->f.packet)
		r->w.stop = 1;
}

int cmd_journeys(int argc, char **argv)
{
	struct nt_query q, *o = &q;
	struct nt_run r;
	struct jtext *jt = NULL;
	int rc;

	if (nt_query_parse(&q, &cmd_argp, argc, argv))
		return NT_EXIT_USAGE;
	if (nt_query_many(o))
		return nt_journeys_fleet(o);
	nt_run_init(&r, o, NULL, journeys_on_packet);
	if (o->mode == NT_OUT_TEXT && (jt = malloc(sizeof(*jt)))) { /* else one builder per packet */
		nt_tb_init_mem(&jt->tb, r.out, jt->mem, sizeof(jt->mem));
		r.user = jt;
	}
	nt_run_json_open(&r, "journeys");
	rc = nt_run_log(&r, 1);
	if (jt) { /* before anything else is written */
		nt_tb_flush(&jt->tb);
		r.user = NULL;
		free(jt);
	}
	if (rc == NT_EXIT_USAGE || rc == NT_EXIT_RUNTIME)
		return nt_run_finish(&r, rc);
	nt_run_json_close(&r);
	if (o->mode == NT_OUT_TEXT) {
		const struct nt_model_totals *t = nt_model_totals(r.m);

		if (r.w.stop)
			fprintf(r.out, "%" PRIu64 " packet%s shown (stopped reading: %s)", r.shown,
				r.shown == 1 ? "" : "s", o->f.packet ? "--packet found" : "--limit reached");
		else
			fprintf(r.out, "%" PRIu64 " of %" PRIu64 " packets shown", r.shown, t->packets);
		if (!r.w.stop && t->incomplete)
			fprintf(r.out, " (%" PRIu64 " incomplete: still open at the end of the log)", t->incomplete);
		fprintf(r.out, "\n");
	}
	return nt_run_finish(&r, rc);
}
