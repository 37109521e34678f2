/* SPDX-License-Identifier: GPL-2.0 */
/* timeline.h - `nft-analyze timeline LOG -o trace.json`: Chrome / Perfetto
 * trace-event JSON.  Default: one process per packet, one thread per skb of
 * the packet (original + clones), "X" slices for layers and functions, nft
 * base chains as slices, "i" instant events for nft verdicts and drops, flow
 * arrows (trace-event flow v2: "bind_id" with "flow_out" / "flow_in" on the
 * zero-length "clone -> skb K" and "clone of skb P" slices).
 * --by-cpu: one thread per CPU instead (streams without keeping packets). */
#ifndef NT_TIMELINE_H
#define NT_TIMELINE_H

int cmd_timeline(int argc, char **argv);

#endif
