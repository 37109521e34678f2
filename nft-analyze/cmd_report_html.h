/* SPDX-License-Identifier: GPL-2.0 */
/* cmd_report_html.h - `nft-analyze report LOG -o report.html`: one
 * self-contained HTML file (model/report_html.h; first --max-packets packets,
 * default 1000, in the packet table). */
#ifndef NT_CMD_REPORT_HTML_H
#define NT_CMD_REPORT_HTML_H

int cmd_report_html(int argc, char **argv);
/* Whether a `report` command line asks for HTML (-o / --output / --html). */
int nt_report_html_wanted(int argc, char **argv);

#endif
