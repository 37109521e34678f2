/* SPDX-License-Identifier: GPL-2.0 */
/* tp.bpf.h - see nt.bpf.c */
