/* SPDX-License-Identifier: GPL-2.0 */
/* stats.h - the TRACE STATISTICS of nft-analyze: totals, events by layer and
 * function, packets by verdict and deciding rule, time per layer
 * (p50/p90/p99/max over packets), loss counters.  Fixed memory per function /
 * layer / rule; no allocation per event. */
#ifndef NT_STATS_H
#define NT_STATS_H

#include <stdio.h>
#include "model/model.h"
#include "model/output.h"

struct nt_stats;

struct nt_stats *nt_stats_new(void);
void nt_stats_free(struct nt_stats *s);
/* A record attached to packet P (P may be NULL). */
void nt_stats_event(struct nt_stats *s, const struct nt_model *m, const struct nt_packet *p,
		    const struct nt_ev_hdr *h);
/* Every record stored in P (keep_events), then nt_stats_packet(). */
void nt_stats_packet_records(struct nt_stats *s, const struct nt_model *m,
			     const struct nt_packet *p);
/* A completed packet. */
void nt_stats_packet(struct nt_stats *s, const struct nt_model *m, const struct nt_packet *p);

struct nt_stats_out {
	int top;                  /* functions / rules shown, 0 = 20 */
	const char *log_status;   /* NULL = complete, else why the log ended early */
	int log_complete;         /* trailer seen */
};
void nt_stats_print_text(FILE *out, struct nt_stats *s, const struct nt_model *m,
			 const struct nt_stats_out *o);
/* Members of the "stats" object (the caller opens / closes it). */
void nt_stats_json(struct nt_jw *w, struct nt_stats *s, const struct nt_model *m,
		   const struct nt_stats_out *o);
/* One object per line: {"section":"totals"|"layer"|"function"|"verdict"|"rule"|"layer_time"|"loss", ...} */
void nt_stats_ndjson(struct nt_jw *w, struct nt_stats *s, const struct nt_model *m,
		     const struct nt_stats_out *o);

#endif
