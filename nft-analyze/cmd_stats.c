// SPDX-License-Identifier: GPL-2.0
/* cmd_stats.c - `nft-analyze stats`: the TRACE STATISTICS block (options: query.h). */
#include <argp.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/sat.h"
#include "common/tool.h"
#include "model/fleetstats.h"
#include "nft-analyze/cmds.h"
#include "nft-analyze/query.h"

static const char doc[] =
	"Print the TRACE STATISTICS block: totals, events by layer and function, packets by "
	"verdict and deciding rule, drops by reason, time per layer (p50/p90/p99/max per packet) "
	"and loss counters.  Several logs: their statistics merged, then per host rows (totals, "
	"packets by verdict, drops by rule and reason, time per layer)."
	NT_QUERY_EXIT_DOC;

static const struct argp_child children[] = { { &nt_query_argp, 0, NULL, 0 }, { 0 } };
static const struct argp cmd_argp = { NULL, NULL, "LOG...", doc, children, NULL, NULL };

static void stats_on_packet(struct nt_run *r, const struct nt_packet *p)
{
	if (!r->pkt_filter)
		nt_stats_packet(r->st, r->m, p);
	else if (nt_run_packet_selected(r, p))
		nt_stats_packet_records(r->st, r->m, p);
}

/* ---- several logs (model/fleetstats.h) ---- */
struct fleet_run {
	struct nt_fstats *fs;
	int host;
};

static void fleet_on_packet(struct nt_run *r, const struct nt_packet *p)
{
	struct fleet_run *fr = r->user;

	stats_on_packet(r, p);
	if (!r->pkt_filter || nt_run_packet_selected(r, p))
		nt_fstats_packet(fr->fs, fr->host, r->m, p);
}

static int stats_fleet(struct nt_query *o)
{
	struct nt_fleet fl;
	struct fleet_run fr = { 0 };
	struct nt_jw jw;
	struct nt_limits all;
	int rc = nt_query_fleet(o, &fl), worst = NT_EXIT_OK;

	if (rc)
		return rc;
	memset(&all, 0, sizeof(all));
	fr.fs = nt_fstats_new();
	if (!fr.fs) {
		nt_fleet_close(&fl);
		fprintf(stderr, "nft-analyze: out of memory\n");
		return NT_EXIT_RUNTIME;
	}
	for (int i = 0; i < fl.nsrc; i++) {
		struct nt_run r;

		fr.host = fl.src[i].host;
		if (nt_fstats_host(fr.fs, fr.host, fl.host[fr.host].label, fl.src[i].id.kernel)) {
			worst = NT_EXIT_RUNTIME;
			break;
		}
		nt_run_init(&r, o, nt_run_stats_on_event, fleet_on_packet);
		r.src = &fl.src[i];
		r.user = &fr;
		if (nt_run_stats_new(&r)) {
			worst = nt_run_finish(&r, NT_EXIT_RUNTIME);
			break;
		}
		rc = nt_run_log(&r, nt_select_packet_level(&o->f));
		if (rc == NT_EXIT_OK || rc == NT_EXIT_PARTIAL)
			nt_fstats_log(fr.fs, fr.host, r.st, r.m, r.log_error, r.log_complete);
		if (r.m) {
			const struct nt_limits *l = nt_model_limits(r.m);

			for (int k = 0; k < NT_LIM__N; k++) {
				all.max[k] = l->max[k];
				all.hits[k] = nt_sat_add(all.hits[k], l->hits[k]);
			}
		}
		rc = nt_run_finish(&r, rc);
		if (rc == NT_EXIT_USAGE || rc == NT_EXIT_RUNTIME) {
			worst = rc;
			break;
		}
		if (rc > worst)
			worst = rc;
	}
	if (worst != NT_EXIT_USAGE && worst != NT_EXIT_RUNTIME) {
		if (nt_fstats_oom(fr.fs)) {
			fprintf(stderr, "nft-analyze: out of memory\n");
			worst = NT_EXIT_RUNTIME;
		} else if (o->mode == NT_OUT_TEXT) {
			nt_fstats_print_text(stdout, fr.fs, o->top);
		} else {
			nt_jw_init_buffered(&jw, stdout);
			if (o->mode == NT_OUT_JSON) {
				nt_jw_obj(&jw, NULL);
				nt_jw_obj(&jw, "stats");
				nt_fstats_json(&jw, fr.fs, o->top);
				nt_jw_end(&jw);
				nt_jw_limits_of(&jw, &all); /* the logs' counts summed */
				nt_jw_end(&jw);
				nt_jw_newline(&jw);
			} else {
				nt_fstats_ndjson(&jw, fr.fs, o->top);
			}
			nt_jw_free(&jw);
		}
		if (fflush(stdout) || ferror(stdout)) {
			fprintf(stderr, "nft-analyze: writing the output failed: %s\n", strerror(errno));
			worst = NT_EXIT_RUNTIME;
		}
	}
	nt_fstats_free(fr.fs);
	nt_fleet_close(&fl);
	return worst;
}

int cmd_stats(int argc, char **argv)
{
	struct nt_query q, *o = &q;
	struct nt_run r;
	int rc;

	if (nt_query_parse(&q, &cmd_argp, argc, argv))
		return NT_EXIT_USAGE;
	if (nt_query_many(o))
		return stats_fleet(o);
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
