/* SPDX-License-Identifier: GPL-2.0 */
/* flame.h - `nft-analyze flame LOG [-o out.folded] [--svg]`: folded stacks
 * "layer;function N" (N = records, or ns with --time; nft rules as
 * "nftables;family table chain;rule text [VERDICT]"; --by-verdict adds the
 * packet's verdict as the root frame) for flamegraph.pl / speedscope, or the
 * flamegraph drawn as one self-contained SVG (--svg). */
#ifndef NT_FLAME_H
#define NT_FLAME_H

int cmd_flame(int argc, char **argv);

#endif
