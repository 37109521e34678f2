// SPDX-License-Identifier: GPL-2.0
/* cmd_stats.c - `nft-analyze stats`: the TRACE STATISTICS block (options: query.h). */
#include <argp.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/tool.h"
#include "nft-analyze/cmds.h"
#include "nft-analyze/query.h"

static const char doc[] =
	"Print the TRACE STATISTICS block: totals, events by layer and function, packets by "
	"verdict and deciding rule, drops by reason, time per layer (p50/p90/p99/max per packet) "
	"and loss counters."
	NT_QUERY_EXIT_DOC;

static const struct argp_child children[] = { { &nt_query_argp, 0, NULL, 0 }, { 0 } };
static const struct argp cmd_argp = { NULL, NULL, "LOG", doc, children, NULL, NULL };

static void stats_on_packet(struct nt_run *r, const struct nt_packet *p)
{
	if (!r->pkt_filter)
		nt_stats_packet(r->st, r->m, p);
	else if (nt_run_packet_selected(r, p))
		nt_stats_packet_records(r->st, r->m, p);
}

int cmd_stats(int argc, char **argv)
{
	struct nt_query q, *o = &q;
	struct nt_run r;
	int rc;

	if (nt_query_parse(&q, &cmd_argp, argc, argv))
		return NT_EXIT_USAGE;
	nt_run_init(&r, o, nt_run_stats_on_event, stats_on_packet);
	if (nt_run_stats_new(&r))
		return nt_run_finish(&r, NT_EXIT_RUNTIME);
	rc = nt_run_log(&r, nt_select_packet_level(&o->f));
	if (rc == NT_EXIT_USAGE || rc == NT_EXIT_RUNTIME)
		return nt_run_finish(&r, rc);
	if (o->mode == NT_OUT_JSON)
		nt_jw_obj(&r.jw, NULL);
	nt_run_stats_output(&r);
	if (o->mode == NT_OUT_JSON) {
		nt_run_limits_member(&r);
		nt_jw_end(&r.jw);
		nt_jw_newline(&r.jw);
	}
	return nt_run_finish(&r, rc);
}
