// SPDX-License-Identifier: GPL-2.0
/* cmd_events.c - `nft-analyze events`: every record as a line or JSON object (options: query.h). */
#include <argp.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/tool.h"
#include "model/output.h"
#include "nft-analyze/cmds.h"
#include "nft-analyze/query.h"

static const char doc[] =
	"Print every record as the prototype's live line: "
	"\"[   1] FUNC       Device     __netif_receive_skb_core       10.0.0.1:54321 → 10.0.0.2:443\"; "
	"NFT_CHAIN / NFT_RULE lines end with the verdict, e.g. \" [ACCEPT]\". With --verdict, "
	"lines are printed per packet when the packet completes."
	NT_QUERY_EXIT_DOC;

static const struct argp_child children[] = { { &nt_query_argp, 0, NULL, 0 }, { 0 } };
static const struct argp cmd_argp = { NULL, NULL, "LOG...", doc, children, NULL, NULL };

static void emit_event(struct nt_run *r, const struct nt_packet *p, const struct nt_ev_hdr *h)
{
	if (h->type == NT_EV_NFT_CHAINDEF)
		return;
	if (r->o->f.func && !nt_select_record_func(&r->o->f, r->m, h))
		return;
	if (r->o->limit && r->seq >= r->o->limit) {
		r->w.stop = 1;
		return;
	}
	r->seq++;
	if (r->o->mode == NT_OUT_TEXT) {
		nt_fmt_event_line_p(r->out, r->m, p, h, r->seq);
	} else {
		nt_jw_event(&r->jw, r->m, p, h, r->seq);
		if (r->o->mode == NT_OUT_NDJSON)
			nt_jw_newline(&r->jw);
	}
}

static void events_on_event(struct nt_run *r, const struct nt_packet *p, const struct nt_ev_hdr *h)
{
	struct nt_select *f = &r->o->f;

	if (f->has_verdict || f->has_fate || f->pred)
		return; /* printed per packet, at completion (--filter: once its bytes are in) */
	if (r->pkt_filter) {
		int flow = f->has_host || f->has_src || f->has_dst || f->port >= 0 ||
			   f->sport >= 0 || f->dport >= 0 || f->proto >= 0 || f->packet || f->pred;

		if (flow && (!p || !nt_select_match_packet(f, r->m, p)))
			return;
	}
	emit_event(r, p, h);
}

static void events_on_packet(struct nt_run *r, const struct nt_packet *p)
{
	const struct nt_ev_hdr *h;

	if (!nt_select_match_packet(&r->o->f, r->m, p))
		return;
	for (size_t off = 0; off + sizeof(*h) <= p->ev_len && !r->w.stop; off += nt_ev_len(h)) {
		h = (const void *)(p->ev + off);
		emit_event(r, p, h);
	}
}

int cmd_events(int argc, char **argv)
{
	struct nt_query q, *o = &q;
	struct nt_run r;
	int rc, per_packet;

	if (nt_query_parse(&q, &cmd_argp, argc, argv))
		return NT_EXIT_USAGE;
	if (nt_query_one_log(&q, "events"))
		return NT_EXIT_USAGE;
	per_packet = o->f.has_verdict || o->f.has_fate || o->f.pred;
	nt_run_init(&r, o, events_on_event, per_packet ? events_on_packet : NULL);
	nt_run_json_open(&r, "events");
	rc = nt_run_log(&r, per_packet);
	if (rc == NT_EXIT_USAGE || rc == NT_EXIT_RUNTIME)
		return nt_run_finish(&r, rc);
	nt_run_json_close(&r);
	return nt_run_finish(&r, rc);
}
