// SPDX-License-Identifier: GPL-2.0
/* record_keep.c - `nft-record --keep EXPR` in the recorder core: the merge
 * queue's records go through the analyzer's reorder window (model/reorder.c:
 * 1 s, 4 MiB; nftables' netlink trace steps can reach the recorder after the
 * merge queue let later records of their packet go) and then the tail-based
 * keep engine (keep.c) instead of straight to the log; only the journeys of
 * matching packets are written, whole, when the packet ends: a packet is
 * judged on what the analyzer would see of it in a full recording.  Counters
 * (NT_CNT_KEEP_*) go into the log every second and at the end, and into the
 * summary line. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "model/reorder.h"
#include "nft-record/keep.h"
#include "nft-record/record_int.h"

/* The merge queue's output. */
int nt_record_sorted_emit(void *ctx, const void *rec, size_t len)
{
	struct rec *r = ctx;

	const void *o;
	size_t olen;
	int e = 0;

	if (!r->keep)
		return nt_record_emit(r, rec, len);
	if (nt_reorder_push(r->keep_ro, rec, len)) {
		r->keep_ro_nomem++; /* lost: written with the reorder counters */
		return 0;
	}
	while (!e && (o = nt_reorder_pop(r->keep_ro, &olen, 0)))
		e = nt_keep_record(r->keep, o, olen);
	return e;
}

int nt_record_keep_setup(struct rec *r)
{
	struct nt_keep_expr *e = &r->keep_expr;
	struct nt_keep_opts ko = { .sz = sizeof(ko), .expr = e, .write = nt_record_emit, .ctx = r };

	if (!r->o->keep)
		return 0;
	*e = *r->o->keep;
	for (int i = 0; i < e->n; i++) {
		struct nt_keep_pred *p = &e->p[i];
		int j;

		if (p->kind != NT_KEEP_RULE || !p->netns_name[0])
			continue;
		for (j = 0; j < r->nns; j++)
			if (!strcmp(r->ns[j].name, p->netns_name))
				break;
		if (j == r->nns) {
			fprintf(stderr, "nft-record: --keep: rule=%s:...: namespace '%s' is not recorded (add --netns %s)\n",
				p->netns_name, p->netns_name, p->netns_name);
			return NT_EXIT_USAGE;
		}
		p->netns = r->ns[j].inum;
	}
	r->keep = nt_keep_new(&ko);
	r->keep_ro = nt_reorder_new(NT_REORDER_WINDOW_NS, NT_REORDER_MAX_BYTES);
	if (!r->keep || !r->keep_ro) {
		fprintf(stderr, "nft-record: out of memory\n");
		return NT_EXIT_RUNTIME;
	}
	if (r->fb) /* one clear line: the kernel-side buffer of function mode is not built */
		fprintf(stderr, "nft-record: --keep with %s probes: journeys are selected in user space; every record still crosses the ring buffer (no kernel-side keep yet)\n",
			r->fb->name);
	return 0;
}

/* COUNT records of the keep counters (cumulative): those that changed, or
 * all with FORCE. */
void nt_record_keep_counts(struct rec *r, int force)
{
	static const uint32_t ids[] = { NT_CNT_KEEP_SEEN, NT_CNT_KEEP_KEPT, NT_CNT_KEEP_DISCARDED,
					NT_CNT_KEEP_CUT };
	const struct nt_keep_stats *s;
	uint64_t v[4];

	if (!r->keep)
		return;
	s = nt_keep_stats(r->keep);
	v[0] = s->seen, v[1] = s->kept, v[2] = s->discarded, v[3] = s->cut;
	for (int i = 0; i < 4; i++) {
		struct nt_ev_count c = { .h = { .type = NT_EV_COUNT, .cpu = 0xffff, .ts_ns = nt_mono_ns() },
					 .value = v[i], .counter = ids[i] };

		if (v[i] == r->keep_written[i] && !force)
			continue;
		r->keep_written[i] = v[i];
		c.value = v[i] - r->keep_base[i]; /* from 0 in every file (--rotate) */
		nt_record_emit(r, &c, sizeof(c));
	}
	if (r->keep_ro_nomem != r->keep_ro_written || (force && r->keep_ro_nomem)) {
		struct nt_ev_loss l = { .h = { .type = NT_EV_LOSS, .cpu = 0xffff, .ts_ns = nt_mono_ns() },
					.count = r->keep_ro_nomem - r->keep_ro_base, .source = NT_LOSS_USER };

		r->keep_ro_written = r->keep_ro_nomem;
		nt_record_emit(r, &l, sizeof(l));
	}
}

/* --rotate: the next file counts from 0 (the counters were just written). */
void nt_record_keep_rotated(struct rec *r)
{
	memcpy(r->keep_base, r->keep_written, sizeof(r->keep_base));
	r->keep_ro_base = r->keep_ro_written;
}

/* The end: packets still open are decided on what they have. */
void nt_record_keep_finish(struct rec *r)
{
	const struct nt_keep_stats *s;

	const void *o;
	size_t olen;

	if (!r->keep)
		return;
	while ((o = nt_reorder_pop(r->keep_ro, &olen, 1)))
		nt_keep_record(r->keep, o, olen);
	nt_keep_finish(r->keep);
	nt_record_keep_counts(r, 1);
	s = nt_keep_stats(r->keep);
	nt_record_say(r, "nft-record: --keep %s: %llu packets ended, %llu kept, %llu discarded, %llu records cut%s\n",
		      r->keep_expr.text, (unsigned long long)s->seen, (unsigned long long)s->kept,
		      (unsigned long long)s->discarded, (unsigned long long)s->cut,
		      r->keep_ro_nomem ? " (records lost: out of memory)" : "");
}

void nt_record_keep_free(struct rec *r)
{
	nt_keep_free(r->keep);
	r->keep = NULL;
	nt_reorder_free(r->keep_ro);
	r->keep_ro = NULL;
}
