/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cmds.h - the commands of nft-analyze, one file each (cmd_NAME.c), each with
 * its own argp parser; main.c's cmds[] table dispatches on argv[1].  argv[0]
 * is "nft-analyze NAME"; they return the exit code (common/tool.h).
 */
#ifndef NT_CMDS_H
#define NT_CMDS_H

/* The packet commands: common options and run in query.h. */
int cmd_events(int argc, char **argv);     /* every record: line / JSON object */
int cmd_journeys(int argc, char **argv);   /* one PACKET TRACE block per packet */
/* journeys of several logs: stitched across hosts (fleet_journeys.c) */
struct nt_query;
int nt_journeys_fleet(struct nt_query *q);
int cmd_stats(int argc, char **argv);      /* TRACE STATISTICS */
/* dropped packets + log summary + statistics; with -o / --output / --html the
 * HTML report (cmd_report_html(), over model/report_html.c) */
int cmd_report(int argc, char **argv);
int cmd_report_html(int argc, char **argv);

/* `nft-analyze diff BASE NEW`: compares two recordings of the same scenario,
 * packets matched by flow (5-tuple + direction) and order within the flow.
 * Difference classes: verdict, rule, func, latency, drop, flow.  Exit codes
 * as cmp(1): 0 equivalent, 1 differences, 2 usage error / unusable log,
 * 3 runtime error (NT_EXIT_DIFF_*). */
int cmd_diff(int argc, char **argv);

/* `nft-analyze timeline LOG -o trace.json`: Chrome / Perfetto trace-event
 * JSON.  Default: one process per packet, one thread per skb of the packet
 * (original + clones), "X" slices for layers and functions, nft base chains
 * as slices, "i" instant events for nft verdicts and drops, flow arrows
 * (trace-event flow v2: "bind_id" with "flow_out" / "flow_in" on the
 * zero-length "clone -> skb K" and "clone of skb P" slices).  --by-cpu: one
 * thread per CPU instead (streams without keeping packets). */
int cmd_timeline(int argc, char **argv);

/* `nft-analyze flame LOG [-o out.folded] [--svg]`: folded stacks
 * "layer;function N" (N = records, or ns with --time; nft rules as
 * "nftables;family table chain;rule text [VERDICT]"; --by-verdict adds the
 * packet's verdict as the root frame) for flamegraph.pl / speedscope, or the
 * flamegraph drawn as one self-contained SVG (--svg). */
int cmd_flame(int argc, char **argv);

/* `nft-analyze pcap LOG -o FILE.pcapng`: the captured packet bytes (nft-record
 * --capture-bytes) as pcapng, one packet per header version with a comment
 * (packet id, verdict, rule, drop, conntrack, path); --headers-only. */
int cmd_pcap(int argc, char **argv);

/* `nft-analyze export --format clickhouse LOG...`: rows of the tables of
 * formats/clickhouse.sql (model/export.h) to stdout (--table), files (-o DIR)
 * or ClickHouse's HTTP interface (--to URL, chpost.c). */
int cmd_export(int argc, char **argv);

#endif
