/* SPDX-License-Identifier: GPL-2.0 */
/* func.bpf.h - see nt.bpf.c */
