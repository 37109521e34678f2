/* SPDX-License-Identifier: GPL-2.0 */
/* report_html.h - `nft-analyze report LOG -o report.html`: one self-contained
 * HTML file (inline CSS / JS, no network fetch): summary, verdict bars,
 * per-layer time histograms, top drop reasons and rules, and a searchable
 * packet table (first --max-packets packets, default 1000) whose rows expand
 * into the journey with rule text.  The summary numbers are the ones of
 * `nft-analyze stats --json` (same stats module, embedded as JSON). */
#ifndef NT_REPORT_HTML_H
#define NT_REPORT_HTML_H

int cmd_report_html(int argc, char **argv);
/* Whether a `report` command line asks for HTML (-o / --output / --html). */
int nt_report_html_wanted(int argc, char **argv);

#endif
