// SPDX-License-Identifier: GPL-2.0
/* walk.c - read a whole log into a model (walk.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "formats/logr.h"
#include "model/logset.h"
#include "model/hostscope.h"
#include "model/model_int.h"
#include "model/reorder.h"
#include "model/reorder_in.h"
#include "model/walk.h"
#include "model/walk_int.h"

void nt_walk_record(struct nt_walk *w, struct nt_scope *scope, const void *data, size_t len,
		    int *start_set)
{
	nt_walk_record_in(w, scope, data, len, start_set);
}

int nt_walk_open(struct nt_walk *w)
{
	struct nt_model_opts mo = { .sz = sizeof(mo), .keep_events = w->keep_events,
				    .on_packet = w->on_packet, .ctx = w->ctx, .idle_ns = w->idle_ns,
				    .limits = w->limits };
	struct nt_walk_st *s;
	const char *msg = NULL;
	int st;

	w->m = NULL;
	w->st = NULL;
	w->error[0] = 0;
	w->log_complete = 0;
	w->scope_skipped = w->scope_left = 0;
	w->last_ts = 0;
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(w->error, sizeof(w->error), "out of memory");
		return NT_WALK_NOMEM;
	}
	st = nt_logset_open(&s->rd, w->npaths ? w->paths : &w->path, w->npaths ? w->npaths : 1, &msg);
	if (st) {
		snprintf(w->error, sizeof(w->error), "%s", msg ? msg : "cannot open the log");
		free(s);
		return st == NTL_E_NOMEM ? NT_WALK_NOMEM : NT_WALK_BAD;
	}
	w->version = nt_logset_version(s->rd);
	s->rd1 = nt_logset_single(s->rd);
	w->m = nt_model_new(&mo);
	s->ro = w->m ? nt_reorder_new(w->reorder_ns == UINT64_MAX ? 0 : w->reorder_ns ? w->reorder_ns :
				      NT_REORDER_WINDOW_NS, 0) : NULL;
	if (!s->ro) {
		nt_logset_close(s->rd);
		nt_model_free(w->m);
		w->m = NULL;
		free(s);
		snprintf(w->error, sizeof(w->error), "out of memory");
		return NT_WALK_NOMEM;
	}
	w->st = s;
	return NT_WALK_OK;
}

/* the end of the log (or of what could be read): every record left */
static void walk_end(struct nt_walk *w, struct nt_walk_st *s)
{
	const void *rec;
	size_t len;

	s->end = 1;
	while (!w->stop && !md_oom(w->m) && (rec = nt_reorder_pop_in(s->ro, &len, 1)))
		nt_walk_record_in(w, s->scope, rec, len, &s->start_set);
}

/* A metadata block: the model, the caller's callbacks, the host scope of
 * a HEADER.  0, or -1 when out of memory (the walk ends: S->ret, W->error). */
int nt_walk_meta(struct nt_walk *w, struct nt_walk_st *s, uint16_t type, const void *data, size_t len,
		 uint64_t offset)
{
	if (nt_model_meta(w->m, type, data, len) && w->on_bad_meta)
		w->on_bad_meta(w->ctx, type, offset);
	if (w->on_meta)
		w->on_meta(w->ctx, type, data, len);
	if (type == NTL_B_HEADER && !s->scope) {
		uint32_t ns = nt_scope_header_netns(data, len);

		if (ns && !(s->scope = nt_scope_new(ns))) {
			s->ret = NT_WALK_NOMEM;
			s->end = 1;
			snprintf(w->error, sizeof(w->error), "out of memory");
			return -1;
		}
	}
	return 0;
}

/* nt_walk_step(), inlined in nt_walk_log()'s loop */
static inline __attribute__((always_inline)) int walk_step(struct nt_walk *w)
{
	struct nt_walk_st *s = w->st;
	struct ntl_item it;
	const void *rec, *data;
	size_t len, dlen;
	int st;

	if (!s || s->end || w->stop)
		return 0;
	if (md_oom(w->m)) { /* nt_walk_close() says so; nothing more is read */
		s->end = 1;
		return 0;
	}
	/* a record of a decoded block, in place (most of them), or whatever
	 * comes next */
	if (!s->rd1 || !ntl_reader_next_row(s->rd1, &data, &dlen)) {
		st = nt_logset_next(s->rd, &it);
		if (st != NTL_OK) {
			if (st < 0) {
				snprintf(w->error, sizeof(w->error), "%s", nt_logset_strerror(s->rd));
				s->ret = st == NTL_E_NOMEM ? NT_WALK_NOMEM : NT_WALK_DAMAGED;
			}
			walk_end(w, s);
			return 0;
		}
		if (it.kind == NTL_ITEM_META) {
			s->keep = nt_logset_keep_mode(s->rd); /* (set by a HEADER: not a call per record) */
			return nt_walk_meta(w, s, it.type, it.data, it.len, it.offset) ? 0 : 1;
		}
		data = it.data;
		dlen = it.len;
	}
	/* a chain definition is metadata: in force from where it is read;
	 * without a window records go straight on, and so do those of a
	 * keep-mode log (whole journeys, nft-record --keep) */
	if (dlen < sizeof(struct nt_ev_hdr) || w->reorder_ns == UINT64_MAX || s->keep ||
	    ((const struct nt_ev_hdr *)data)->type == NT_EV_NFT_CHAINDEF) {
		nt_walk_record_in(w, s->scope, data, dlen, &s->start_set);
		return 1;
	}
	if (nt_reorder_push_in(s->ro, data, dlen)) {
		snprintf(w->error, sizeof(w->error), "%s: out of memory (the reorder window)", w->path);
		s->ret = NT_WALK_NOMEM;
		walk_end(w, s);
		return 0;
	}
	while (!w->stop && !md_oom(w->m) && (rec = nt_reorder_pop_in(s->ro, &len, 0)))
		nt_walk_record_in(w, s->scope, rec, len, &s->start_set);
	return 1;
}

int nt_walk_step(struct nt_walk *w)
{
	return walk_step(w);
}

int nt_walk_close(struct nt_walk *w)
{
	struct nt_walk_st *s = w->st;
	const struct nt_reorder_stats *rs;
	int ret;

	if (!s)
		return NT_WALK_BAD;
	ret = s->ret;
	rs = nt_reorder_stats(s->ro);
	if (s->piped) /* what the model was given: the reader thread may have read ahead */
		nt_model_note_order(w->m, s->reordered, s->late, s->max_late_ns);
	else
		nt_model_note_order(w->m, rs->reordered, rs->late, rs->max_late_ns);
	nt_reorder_free(s->ro);
	if (s->scope) {
		uint64_t resets;

		nt_scope_counts(s->scope, &w->scope_skipped, &w->scope_left, &resets);
		nt_scope_free(s->scope);
	}
	w->log_complete = s->piped ? s->complete : nt_logset_complete(s->rd);
	nt_logset_close(s->rd);
	free(s);
	w->st = NULL;
	if (!w->stop && !md_oom(w->m))
		nt_model_finish(w->m);
	if (md_oom(w->m)) {
		const struct nt_model_totals *t = nt_model_totals(w->m);

		/* never a partial result passed off as whole: no output, exit 1 */
		snprintf(w->error, sizeof(w->error), "%s: out of memory after %llu records (%llu packets "
			 "open): lower --max-open-packets or --max-kept-bytes, or give it more memory",
			 w->path, (unsigned long long)t->events, (unsigned long long)t->open);
		ret = NT_WALK_NOMEM;
	}
	return ret;
}

int nt_walk_log(struct nt_walk *w)
{
	int st = nt_walk_open(w);

	if (st)
		return st;
	if (!w->threads || nt_walk_piped(w))
		while (walk_step(w) > 0)
			;
	return nt_walk_close(w);
}
