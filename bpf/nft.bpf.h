/* SPDX-License-Identifier: GPL-2.0 */
/* nft.bpf.h - see nt.bpf.c */
