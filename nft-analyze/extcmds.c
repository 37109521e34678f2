// SPDX-License-Identifier: GPL-2.0
/* extcmds.c - dispatch of the issue 7 subcommands (extcmds.h). */
#include <string.h>

#include "nft-analyze/diff.h"
#include "nft-analyze/extcmds.h"
#include "nft-analyze/flame.h"
#include "nft-analyze/report_html.h"
#include "nft-analyze/timeline.h"

struct ext_cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	int (*wanted)(int argc, char **argv); /* NULL = always */
	const char *summary;
};

static const struct ext_cmd ext_cmds[] = {
	{ "diff", cmd_diff, NULL, "Compare two logs (exit 0 equivalent, 1 different, 2 bad input)" },
	{ "timeline", cmd_timeline, NULL, "Chrome / Perfetto trace-event JSON (-o trace.json)" },
	{ "flame", cmd_flame, NULL, "Folded stacks for flamegraphs, or the flamegraph itself (--svg)" },
	{ "report", cmd_report_html, nt_report_html_wanted,
	  "(with -o FILE.html / --html) one self-contained HTML report" },
};

int nt_ext_cmd(int argc, char **argv, int *rc)
{
	static char name[64];

	if (argc < 2)
		return 0;
	for (size_t i = 0; i < sizeof(ext_cmds) / sizeof(ext_cmds[0]); i++) {
		const struct ext_cmd *c = &ext_cmds[i];

		if (strcmp(argv[1], c->name) || (c->wanted && !c->wanted(argc, argv)))
			continue;
		strcpy(name, "nft-analyze ");
		strncat(name, c->name, sizeof(name) - strlen(name) - 1);
		argv[1] = name;
		*rc = c->fn(argc - 1, argv + 1);
		return 1;
	}
	return 0;
}

void nt_ext_usage(FILE *f)
{
	for (size_t i = 0; i < sizeof(ext_cmds) / sizeof(ext_cmds[0]); i++)
		fprintf(f, "  %-10s %s\n", ext_cmds[i].name, ext_cmds[i].summary);
}
