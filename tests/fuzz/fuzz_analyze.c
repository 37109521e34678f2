// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_analyze.c - libFuzzer target: a whole hostile .ntl log through the
 * analyzer's pipeline as nft-analyze runs it: reader -> model (keep_events)
 * -> per-record live line, JSON event and statistics -> per-packet journey
 * (text + JSON), pcapng export (model/pcap.c) and statistics -> TRACE
 * STATISTICS in text, JSON and NDJSON.
 * Output goes to /dev/null; sanitizers and the bounds of every item check it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "formats/logr.h"
#include "model/journey.h"
#include "model/model.h"
#include "model/output.h"
#include "model/pcap.h"
#include "model/stats.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *devnull;

struct run {
	struct nt_model *m;
	struct nt_stats *st;
	struct nt_jw jw;
	struct nt_pcap pcap;
};

static void on_packet(void *ctx, const struct nt_packet *p)
{
	struct run *r = ctx;

	nt_stats_packet(r->st, r->m, p);
	nt_journey_print_text(devnull, r->m, p);
	nt_journey_json(&r->jw, r->m, p);
	nt_jw_newline(&r->jw);
	nt_pcap_packet(&r->pcap, r->m, p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nt_model_opts o = { .sz = sizeof(o), .keep_events = 1, .on_packet = on_packet };
	struct nt_stats_out so = { .top = 5 };
	struct ntl_reader *rd = NULL;
	struct run r = { 0 };
	struct ntl_item it;
	uint64_t seq = 0;
	int rc;

	if (!devnull)
		devnull = fopen("/dev/null", "w");
	if (ntl_reader_open_mem(&rd, data, size, "fuzz.ntl", NULL) < 0)
		return 0;
	o.ctx = &r;
	r.m = nt_model_new(&o);
	r.st = nt_stats_new();
	if (!r.m || !r.st)
		abort();
	nt_jw_init_buffered(&r.jw, devnull);
	nt_pcap_init(&r.pcap, devnull, (int)(size & 1)); /* odd sizes: --headers-only */
	while ((rc = ntl_reader_next(rd, &it)) == NTL_OK) {
		if (it.kind == NTL_ITEM_META) {
			nt_model_meta(r.m, it.type, it.data, it.len);
			continue;
		}
		const struct nt_ev_hdr *h = it.data;
		const struct nt_packet *p = nt_model_event(r.m, it.data, it.len);

		seq++;
		nt_fmt_event_line_p(devnull, r.m, p, h, seq);
		nt_jw_event(&r.jw, r.m, p, h, seq);
		nt_jw_newline(&r.jw);
		if (h->type != NT_EV_NFT_CHAINDEF && h->type != NT_EV_LOSS)
			nt_stats_event(r.st, r.m, p, h);
	}
	so.log_status = rc < 0 ? ntl_reader_strerror(rd) : NULL;
	so.log_complete = ntl_reader_complete(rd);
	nt_model_finish(r.m);
	nt_stats_print_text(devnull, r.st, r.m, &so);
	nt_jw_obj(&r.jw, NULL);
	nt_jw_obj(&r.jw, "stats");
	nt_stats_json(&r.jw, r.st, r.m, &so);
	nt_jw_end(&r.jw);
	nt_jw_end(&r.jw);
	nt_jw_newline(&r.jw);
	nt_stats_ndjson(&r.jw, r.st, r.m, &so);
	nt_jw_free(&r.jw);
	nt_pcap_free(&r.pcap);
	nt_stats_free(r.st);
	nt_model_free(r.m);
	ntl_reader_close(rd);
	return 0;
}
