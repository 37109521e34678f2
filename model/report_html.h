/* SPDX-License-Identifier: GPL-2.0 */
/* report_html.h - one self-contained HTML report (inline CSS / JS, no network
 * fetch): summary, verdict bars, per-layer time histograms, top drop reasons
 * and rules, and a searchable packet table (the first max_packets packets to
 * complete) whose rows expand into the journey with rule text.  The summary
 * numbers are the ones of `nft-analyze stats --json` (same stats module,
 * embedded as JSON).  Fed like the stats module: every record, then every
 * completed packet (with its records: model opts keep_events). */
#ifndef NT_REPORT_HTML_H
#define NT_REPORT_HTML_H

#include <stdint.h>
#include <stdio.h>
#include "model/model.h"

struct nt_report_html;

struct nt_report_html_opts {
	const char *file;        /* the log's name, shown in the page */
	const char *title;       /* NULL = "nft-tracer report" */
	uint64_t max_packets;    /* rows of the packet table */
	int top;                 /* rules shown (stats --top), 0 = 20 */
};

/* NULL when out of memory. */
struct nt_report_html *nt_report_html_new(const struct nt_report_html_opts *o);
void nt_report_html_free(struct nt_report_html *r);
/* A record attached to packet P (P may be NULL). */
void nt_report_html_record(struct nt_report_html *r, const struct nt_model *m,
			   const struct nt_packet *p, const struct nt_ev_hdr *h);
/* A completed packet. */
void nt_report_html_packet(struct nt_report_html *r, const struct nt_model *m,
			   const struct nt_packet *p);
/* Write the page to F; log_status: NULL = complete, else why the log ended
 * early.  0 or -ENOMEM (nothing written). */
int nt_report_html_write(struct nt_report_html *r, FILE *f, const struct nt_model *m,
			 const char *log_status, int log_complete);

#endif
