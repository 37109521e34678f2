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

/* Every row of the statistics, unsorted and uncut (no --top), for merging the
 * statistics of several logs (model/fleetstats.c).  Any callback may be NULL. */
struct hist;
struct nt_stats_totals {
	uint64_t events, packets, chain_recs, rule_recs, incomplete, dropped;
};
struct nt_stats_visit {
	void (*totals)(void *ctx, const struct nt_stats_totals *t);
	void (*layer)(void *ctx, const char *layer, uint64_t events);
	void (*func)(void *ctx, const char *func, const char *layer, uint64_t events);
	void (*verdict)(void *ctx, const char *verdict, uint64_t packets);
	/* LABEL as the text output prints it ("inet filter input #4 DROP"), TEXT
	 * the rule's text (NULL: none) */
	void (*rule)(void *ctx, const char *label, const char *text, uint64_t packets);
	void (*reason)(void *ctx, const char *reason, uint64_t packets);
	void (*layer_time)(void *ctx, const char *layer, const struct hist *h);
};
void nt_stats_visit(struct nt_stats *s, const struct nt_model *m, const struct nt_stats_visit *v,
		    void *ctx);
/* The label of the deciding rule of P as "Packets by Rule" prints it, "" when
 * nftables decided nothing. */
void nt_stats_rule_label(char *buf, size_t len, const struct nt_model *m, const struct nt_packet *p);

#endif
