/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fleetstats.h - the TRACE STATISTICS of several logs (issue #20): every
 * log's statistics (model/stats.c, with its own model) merged by name, and
 * per host rows: totals, packets by verdict, drops by rule and reason, time
 * per layer.  The merged time percentiles come from the merged histograms
 * (model/hist.h: exact merge), so they are what one log of all the packets
 * would give.  Memory: per host, one count per distinct function / rule /
 * reason name and one histogram per layer.
 */
#ifndef NT_FLEETSTATS_H
#define NT_FLEETSTATS_H

#include <stdio.h>
#include "model/model.h"
#include "model/output.h"
#include "model/stats.h"

struct nt_fstats;

struct nt_fstats *nt_fstats_new(void);
void nt_fstats_free(struct nt_fstats *f);
/* Host HOST (index; label LABEL, kernel KERNEL) of the next calls; 0 or -ENOMEM. */
int nt_fstats_host(struct nt_fstats *f, int host, const char *label, const char *kernel);
/* A completed packet of host HOST (drops by rule and reason). */
void nt_fstats_packet(struct nt_fstats *f, int host, const struct nt_model *m,
		      const struct nt_packet *p);
/* One log of host HOST: its statistics S (model M: losses, duration) and
 * whether it was read whole (LOG_STATUS NULL) / had its trailer. */
void nt_fstats_log(struct nt_fstats *f, int host, struct nt_stats *s, const struct nt_model *m,
		   const char *log_status, int log_complete);
/* Out of memory at some point (results incomplete). */
int nt_fstats_oom(const struct nt_fstats *f);

void nt_fstats_print_text(FILE *out, struct nt_fstats *f, int top);
/* Members of the "stats" object (--json), or one line per row (--ndjson,
 * per host rows with "host"). */
void nt_fstats_json(struct nt_jw *w, struct nt_fstats *f, int top);
void nt_fstats_ndjson(struct nt_jw *w, struct nt_fstats *f, int top);

#endif
