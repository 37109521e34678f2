// SPDX-License-Identifier: GPL-2.0
/* report_html.c - nft-analyze report -o FILE.html (report_html.h). */
#include <stdio.h>
#include <string.h>

#include "nft-analyze/report_html.h"

int nt_report_html_wanted(int argc, char **argv)
{
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "--html") || !strncmp(argv[i], "--output", 8) ||
		    !strncmp(argv[i], "-o", 2))
			return 1;
	}
	return 0;
}

int cmd_report_html(int argc, char **argv)
{
	fprintf(stderr, "nft-analyze report: HTML not implemented yet\n");
	return 1;
}
