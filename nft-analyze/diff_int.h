/* SPDX-License-Identifier: GPL-2.0 */
/*
 * diff_int.h - nft-analyze diff, shared by its files (private):
 *   cmd_diff.c     options, the command
 *   diff_engine.c  each log reduced to one compact summary per packet (flow
 *                  key, verdict, nft path as rule TEXT, set of functions, drop
 *                  reason) plus per-layer time samples; records are not kept
 *                  after their packet completes.  Summaries are sorted by
 *                  (flow, packet id) and merged: the n-th packet of a flow in
 *                  BASE is compared with the n-th packet of the same flow in NEW.
 *   diff_print.c   the differences as text or JSON / NDJSON
 */
#ifndef NT_DIFF_INT_H
#define NT_DIFF_INT_H

#include <stddef.h>
#include <stdint.h>

#include "common/strtab.h"
#include "model/walk.h"

enum dclass { C_VERDICT, C_RULE, C_FUNC, C_LATENCY, C_DROP, C_FLOW, C__N };
extern const char *const nt_diff_class_names[C__N];

struct flowkey {
	uint8_t l3, l4proto;
	uint16_t sport, dport;
	uint8_t pad[2];
	uint8_t saddr[16], daddr[16];
	uint32_t host;        /* sets of logs: strtab id of the host label (0: none) */
};

struct dpkt {
	struct flowkey k;
	uint64_t id;
	int32_t verdict;
	uint32_t path;        /* strtab: nft steps "inet filter input: TEXT [ACCEPT]; ..." */
	uint32_t reason;      /* strtab: drop reason name, 0 = not dropped */
	uint32_t funcs_off, nfuncs; /* sorted unique strtab ids in side.fpool */
};

struct u64vec { uint64_t *v; size_t n, cap; };

struct side {
	const char *file;
	/* a set of logs (diff BASE... -- NEW...): every file, grouped by host
	 * (model/fleet.h); packets compared per host and flow */
	const char *const *files;
	int nfiles;
	char label[600];      /* "FILE" or "FILE and N more (M hosts)" */
	uint32_t cur_host;
	struct nt_walk w;
	struct dpkt *pk;
	size_t npk, cappk;
	uint32_t *fpool;
	size_t nfp, capfp;
	struct u64vec *lat;   /* by strtab id of the layer name */
	uint32_t nlat;
	uint64_t *drops;      /* by strtab id of the reason */
	uint32_t ndrops;
	size_t flows;
	int err;
};

struct dopts {
	const char *base, *new_;
	const char *const *bases, *const *news; /* sets: BASE... -- NEW... */
	int nbases, nnews;
	int json;
	unsigned ignore;      /* 1 << C_* */
	double threshold;     /* percent */
	uint64_t floor_ns;
	int ephemeral;        /* zero ports >= 32768 in flow keys (default; --exact-ports: 0) */
	int latency;          /* compare time per layer (--latency-threshold / --latency-floor) */
	int partial;          /* compare damaged logs */
	struct nt_limits lim; /* --max-* */
};

struct diffent {
	int cls;
	struct flowkey k;
	uint64_t n, total, first;
	int64_t a, b;         /* verdicts, strtab ids, ns ... */
	double pct;
	int change;           /* +1 appeared, -1 vanished */
};

struct dctx {
	struct dopts *o;
	struct nt_strtab *st;
	struct side *cur;
	struct diffent *d;
	size_t nd, capd;
	uint32_t *tmp;        /* function ids of the packet being summarised */
	size_t ntmp, captmp;
	uint32_t *layer_of;   /* func strtab id -> layer strtab id */
	uint32_t nlayer_of;
	int oom;
};

/* diff_engine.c: 0 or an NT_EXIT_DIFF_* code (message printed) */
int nt_diff_load(struct dctx *c, struct side *s);
/* Compare the loaded sides into c->d; returns the matched packets (c->oom set
 * when out of memory). */
size_t nt_diff_compare(struct dctx *c, struct side *b, struct side *n);
void nt_diff_side_free(struct side *s);

/* diff_print.c */
void nt_diff_print_text(struct dctx *c, struct side *b, struct side *n, size_t matched,
			unsigned *counts);
void nt_diff_print_json(struct dctx *c, struct side *b, struct side *n, size_t matched,
			unsigned *counts, int ndjson);

#endif
