/* SPDX-License-Identifier: GPL-2.0 */
/* diff.h - `nft-analyze diff BASE NEW`: compares two recordings of the same
 * scenario, packets matched by flow (5-tuple + direction) and order within
 * the flow.  Difference classes: verdict, rule, func, latency, drop, flow.
 * Exit codes: 0 equivalent, 1 differences, 2 usage error / unusable log,
 * 3 runtime error (README "## nft-analyze diff, timeline, flame, report"). */
#ifndef NT_DIFF_H
#define NT_DIFF_H

#include "common/tool.h" /* NT_EXIT_DIFF_* */

/* argv[0] is the command name ("nft-analyze diff"). */
int cmd_diff(int argc, char **argv);

#endif
