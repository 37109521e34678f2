/* SPDX-License-Identifier: GPL-2.0 */
/* walk_int.h - the walk's state, shared by walk.c and its reader thread
 * (walkpipe.c). */
#ifndef NT_WALK_INT_H
#define NT_WALK_INT_H

#include <stddef.h>
#include <stdint.h>
#include "common/records.h"
#include "model/hostscope.h"
#include "model/model.h"
#include "model/select.h"
#include "model/walk.h"

struct nt_logset;
struct nt_reorder;
struct nt_scope;

/* The state of a walk between nt_walk_open() and nt_walk_close(). */
struct nt_walk_st {
	struct nt_logset *rd;      /* a file, or the files of one rotation set */
	struct ntl_reader *rd1;    /* a set of one file: its reader (nt_logset_single()) */
	struct nt_reorder *ro;
	struct nt_scope *scope;
	int start_set, ret, end;
	int keep;                  /* nt_logset_keep_mode(), read again after each metadata block */
	/* piped (walkpipe.c): the reader thread reads ahead, so the counts
	 * nt_walk_close() reports are those of what the model was given */
	int piped, complete;
	uint64_t reordered, late, max_late_ns;
};

/* One record out of the reorder window into the model and the callbacks. */
void nt_walk_record(struct nt_walk *w, struct nt_scope *scope, const void *data, size_t len,
		    int *start_set);
/* nt_walk_record(), inlined in the walks' loops (walk.c, walkpipe.c): one
 * record out of the reorder window: the host scope, the --since / --until
 * window, the model, the caller's callback. */
static inline __attribute__((always_inline)) void nt_walk_record_in(struct nt_walk *w, struct nt_scope *scope,
								     const void *data, size_t len, int *start_set)
{
	const struct nt_ev_hdr *h = data;
	const struct nt_packet *p;
	struct nt_ev_free synth;
	int internal;

	if (scope && len >= sizeof(*h)) {
		int a = nt_scope_record(scope, data, len, &synth);

		if (a & NT_SCOPE_SYNTH)
			nt_walk_record(w, NULL, &synth, sizeof(synth), start_set);
		if (!(a & NT_SCOPE_PASS))
			return;
	}
	internal = len < sizeof(*h) || h->type == NT_EV_NFT_CHAINDEF || h->type == NT_EV_LOSS ||
		   h->type == NT_EV_COUNT;
	if (w->window && !internal) {
		if (!*start_set && h->ts_ns) {
			nt_select_set_start(w->window, h->ts_ns);
			*start_set = 1;
		}
		if (!nt_select_in_window(w->window, h->ts_ns))
			return;
	}
	if (len >= sizeof(*h) && h->ts_ns)
		w->last_ts = h->ts_ns;
	p = nt_model_event(w->m, data, len);
	if (w->on_record && len >= sizeof(*h) && (w->all_records || !internal))
		w->on_record(w->ctx, w->m, p, h);
}

/* One metadata block: 0, or -1 when out of memory (S->ret, W->error set). */
int nt_walk_meta(struct nt_walk *w, struct nt_walk_st *s, uint16_t type, const void *data, size_t len,
		 uint64_t offset);
/* The whole walk with the reading, decoding and reorder window on a second
 * thread: 0 when done, -1 when the thread could not start (nothing read). */
int nt_walk_piped(struct nt_walk *w);

#endif
