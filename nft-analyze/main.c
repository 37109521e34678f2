// SPDX-License-Identifier: GPL-2.0
/* nft-analyze - offline analysis of .ntl logs.  Thin main: one command table
 * (bpftool's cmds[] style); every command has its own file and argp parser
 * (cmds.h). */
#include <stdio.h>
#include <string.h>

#include "common/records.h"
#include "common/tool.h"
#include "nft-analyze/cmds.h"

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);   /* argv[0] = "nft-analyze NAME" */
	const char *summary;
};

static const struct cmd cmds[] = {
	{ "events", cmd_events, "Print every record as the prototype's live line" },
	{ "journeys", cmd_journeys, "Print one PACKET TRACE block per packet, in order of completion" },
	{ "stats", cmd_stats, "Print the TRACE STATISTICS block" },
	{ "report", cmd_report, "Print the journeys of dropped packets, a log summary and the "
	  "statistics; with -o FILE.html / --html one self-contained HTML report" },
	{ "diff", cmd_diff, "Compare two logs (exit 0 equivalent, 1 different, 2 bad input, 3 runtime error)" },
	{ "timeline", cmd_timeline, "Chrome / Perfetto trace-event JSON (-o trace.json)" },
	{ "flame", cmd_flame, "Folded stacks for flamegraphs, or the flamegraph itself (--svg)" },
	{ "pcap", cmd_pcap, "Captured packet bytes as pcapng for Wireshark / tshark (-o FILE.pcapng)" },
	{ "export", cmd_export, "Rows for ClickHouse (--format clickhouse): packets, hops, nft_steps, "
	  "drops; to stdout, files or --to URL" },
};

static void usage_top(FILE *f)
{
	fprintf(f,
		"Usage: nft-analyze COMMAND [OPTION...] LOG...\n"
		"Offline analysis of nft-tracer logs (.ntl): no root, BPF or BTF needed.  journeys,\n"
		"stats, diff and export take the logs of several hosts (journeys across hosts).\n"
		"The files of one rotation set (nft-record --rotate) are one log, for every command.\n\n"
		"Commands:\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-10s %s\n", cmds[i].name, cmds[i].summary);
	fprintf(f,
		"\n'nft-analyze COMMAND --help' lists the options of a command (--json, --ndjson,\n"
		"filters --packet --verdict --func --host --port --proto --since --until ...).\n\n"
		"Exit codes: 0 ok; 1 runtime error; 2 usage error or unusable log (unreadable, not an\n"
		"nft-tracer log, newer format); 3 log truncated or corrupt: results of everything\n"
		"before the damage were printed, stderr says where and why.  diff: as cmp(1),\n"
		"0 equivalent, 1 different, 2 usage error or unusable log, 3 runtime error.\n");
}

int main(int argc, char **argv)
{
	char name[64];

	if (argc < 2) {
		usage_top(stderr);
		return NT_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage_top(stdout);
		return NT_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("nft-analyze %s (log format %d)\n", NT_VERSION, NT_FORMAT_VERSION);
		return NT_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(argv[1], cmds[i].name))
			continue;
		snprintf(name, sizeof(name), "nft-analyze %s", cmds[i].name);
		argv[1] = name;
		return cmds[i].fn(argc - 1, argv + 1);
	}
	fprintf(stderr, "nft-analyze: unknown command '%s' (", argv[1]);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(stderr, "%s%s", i ? ", " : "", cmds[i].name);
	fprintf(stderr, "; see nft-analyze --help)\n");
	return NT_EXIT_USAGE;
}
