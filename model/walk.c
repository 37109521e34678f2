// SPDX-License-Identifier: GPL-2.0
/* walk.c - read a whole log into a model (walk.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "formats/logr.h"
#include "model/reorder.h"
#include "model/walk.h"

/* One record out of the reorder window: the --since / --until window, the
 * model, the caller's callback. */
static void walk_record(struct nt_walk *w, const void *data, size_t len, int *start_set)
{
	const struct nt_ev_hdr *h = data;
	const struct nt_packet *p;
	int internal = len < sizeof(*h) || h->type == NT_EV_NFT_CHAINDEF || h->type == NT_EV_LOSS ||
		       h->type == NT_EV_COUNT;

	if (w->window && !internal) {
		if (!*start_set && h->ts_ns) {
			nt_select_set_start(w->window, h->ts_ns);
			*start_set = 1;
		}
		if (!nt_select_in_window(w->window, h->ts_ns))
			return;
	}
	p = nt_model_event(w->m, data, len);
	if (w->on_record && len >= sizeof(*h) && (w->all_records || !internal))
		w->on_record(w->ctx, w->m, p, h);
}

int nt_walk_log(struct nt_walk *w)
{
	struct nt_model_opts mo = { .sz = sizeof(mo), .keep_events = w->keep_events,
				    .on_packet = w->on_packet, .ctx = w->ctx, .idle_ns = w->idle_ns };
	struct ntl_reader *rd = NULL;
	struct ntl_item it;
	const char *msg = NULL;
	int st, ret = NT_WALK_OK, start_set = 0, nomem = 0;
	struct nt_reorder *ro;
	const void *rec;
	size_t len;

	w->m = NULL;
	w->error[0] = 0;
	w->log_complete = 0;
	st = ntl_reader_open(&rd, w->path, &msg);
	if (st) {
		snprintf(w->error, sizeof(w->error), "%s", msg ? msg : "cannot open the log");
		return st == NTL_E_NOMEM ? NT_WALK_NOMEM : NT_WALK_BAD;
	}
	w->version = ntl_reader_version(rd);
	w->m = nt_model_new(&mo);
	if (!w->m) {
		ntl_reader_close(rd);
		snprintf(w->error, sizeof(w->error), "out of memory");
		return NT_WALK_NOMEM;
	}
	ro = nt_reorder_new(w->reorder_ns == UINT64_MAX ? 0 : w->reorder_ns ? w->reorder_ns :
			    NT_REORDER_WINDOW_NS, 0);
	if (!ro) {
		ntl_reader_close(rd);
		nt_model_free(w->m);
		w->m = NULL;
		snprintf(w->error, sizeof(w->error), "out of memory");
		return NT_WALK_NOMEM;
	}
	while (!w->stop && (st = ntl_reader_next(rd, &it)) == NTL_OK) {
		if (it.kind == NTL_ITEM_META) {
			if (nt_model_meta(w->m, it.type, it.data, it.len) && w->on_bad_meta)
				w->on_bad_meta(w->ctx, it.type, it.offset);
			continue;
		}
		/* a chain definition is metadata: in force from where it is read;
		 * without a window records go straight on */
		if (it.len < sizeof(struct nt_ev_hdr) || w->reorder_ns == UINT64_MAX ||
		    ((const struct nt_ev_hdr *)it.data)->type == NT_EV_NFT_CHAINDEF) {
			walk_record(w, it.data, it.len, &start_set);
			continue;
		}
		if (nt_reorder_push(ro, it.data, it.len)) {
			nomem = 1;
			break;
		}
		while (!w->stop && (rec = nt_reorder_pop(ro, &len, 0)))
			walk_record(w, rec, len, &start_set);
	}
	/* the end of the log (or of what could be read): every record left */
	while (!w->stop && (rec = nt_reorder_pop(ro, &len, 1)))
		walk_record(w, rec, len, &start_set);
	{
		const struct nt_reorder_stats *rs = nt_reorder_stats(ro);

		nt_model_note_order(w->m, rs->reordered, rs->late, rs->max_late_ns);
	}
	nt_reorder_free(ro);
	if (nomem) {
		snprintf(w->error, sizeof(w->error), "out of memory");
		ret = NT_WALK_NOMEM;
	} else if (st < 0) {
		snprintf(w->error, sizeof(w->error), "%s", ntl_reader_strerror(rd));
		ret = st == NTL_E_NOMEM ? NT_WALK_NOMEM : NT_WALK_DAMAGED;
	}
	w->log_complete = ntl_reader_complete(rd);
	ntl_reader_close(rd);
	if (!w->stop)
		nt_model_finish(w->m);
	return ret;
}
