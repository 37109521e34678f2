// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_model.c - libFuzzer target: the analysis model (nft-analyze/model.c)
 * fed hostile metadata blocks (every NTL_B_* JSON parser) and records, plus
 * the live-line formatter (output.c) after every record and, for inputs of
 * odd length (records kept), every completed packet's journey text and JSON.
 *
 * Input: a sequence of chunks
 *   op & 0x80:  metadata block: u8 type, u16 len (LE), JSON[len]
 *   otherwise:  record of type (op & 0x0f) % NT_EV__MAX, nt_ev_size(type)
 *               bytes (short input: zero padded); a variable-size type (BYTES)
 *               first takes one byte N and is nt_ev_size(type) + N (rounded up
 *               to 8) bytes long, its length fields set to match; op & 0x40 folds the skb id
 *               into 0..15 (so packets meet), op & 0x20 makes it a bad size,
 *               op & 0x10 keeps the function id as is (else folded into 0..63:
 *               an id up to 2^20 makes the model build a table that large,
 *               ~0.1 s per input, which would slow the fuzzer down).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/records.h"
#include "formats/ntlog.h"
#include "model/journey.h"
#include "model/model.h"
#include "model/output.h"
#include "model/pcap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *devnull;
static uint64_t completed;
static struct nt_model *cur; /* the model of the input being run */
static struct nt_jw jw;

static struct nt_pcap pcap;

static void on_packet(void *ctx, const struct nt_packet *p)
{
	char flow[256];

	completed++;
	if (p->has_meta)
		nt_fmt_flow(flow, sizeof(flow), &p->meta);
	(void)nt_verdict_name(p->verdict);
	if (cur && p->ev_len) { /* keep_events: the journey's text and JSON */
		nt_journey_print_text(devnull, cur, p);
		nt_journey_json(&jw, cur, p);
		nt_jw_newline(&jw);
		pcap.headers_only = (int)(completed & 1);
		nt_pcap_packet(&pcap, cur, p);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nt_model_opts o = { .sz = sizeof(o), .on_packet = on_packet };
	_Alignas(8) uint8_t rec[512];
	const uint8_t *p = data, *end = data + size;
	struct nt_model *m;
	uint64_t seq = 0;
	char *json;

	if (!devnull) {
		devnull = fopen("/dev/null", "w");
		nt_jw_init(&jw, devnull);
	}
	nt_pcap_init(&pcap, devnull, 0);
	o.keep_events = size & 1;
	m = nt_model_new(&o);
	if (!m)
		return 0;
	cur = m;
	while (p < end) {
		uint8_t op = *p++;

		if (op & 0x80) {
			uint8_t type;
			uint16_t len;

			if (end - p < 3)
				break;
			type = p[0];
			len = (uint16_t)(p[1] | p[2] << 8);
			p += 3;
			if (len > end - p)
				len = (uint16_t)(end - p);
			/* exact-size copy: a parser reading past len is caught */
			json = malloc(len ? len : 1);
			if (!json)
				break;
			memcpy(json, p, len);
			(void)nt_model_meta(m, type, json, len);
			free(json);
			p += len;
		} else {
			unsigned type = (op & 0x0f) % NT_EV__MAX;
			size_t need = nt_ev_size(type), take;
			struct nt_ev_hdr *h = (struct nt_ev_hdr *)rec;
			const struct nt_packet *pk;

			unsigned extra = 0;

			if (!need)
				need = sizeof(*h);
			if (nt_ev_is_var(type) && p < end)
				extra = *p++;
			need += (extra + 7) & ~7u;
			if (need > sizeof(rec))
				abort();
			memset(rec, 0, need);
			take = (size_t)(end - p) < need ? (size_t)(end - p) : need;
			memcpy(rec, p, take);
			p += take;
			h->type = (uint16_t)type;
			if (type == NT_EV_BYTES && !(op & 0x20)) {
				struct nt_ev_bytes *b = (struct nt_ev_bytes *)rec;

				b->reclen = (uint16_t)need;
				b->caplen = (uint16_t)extra;
			}
			if (!(op & 0x10))
				h->id &= 0x3f;
			if (op & 0x40) {
				h->skb &= 0xf;
				if (type == NT_EV_LINK)
					((struct nt_ev_link *)rec)->parent &= 0xf;
			}
			pk = nt_model_event(m, rec, (op & 0x20) ? need - 8 : need);
			if (pk) {
				char flow[256];
				if (pk->has_meta)
					nt_fmt_flow(flow, sizeof(flow), &pk->meta);
			}
			if (!(op & 0x20))
				nt_fmt_event_line(devnull, m, h, ++seq);
		}
	}
	for (uint32_t i = 0; i < nt_model_func_count(m) && i < 8; i++)
		(void)nt_model_func(m, i);
	(void)nt_model_func(m, UINT32_MAX);
	(void)nt_model_header_str(m, "kernel");
	(void)nt_model_drop_reason(m, 2);
	(void)nt_model_ifname(m, 0, 1);
	for (int l = 0; l < nt_model_layer_count(m); l++)
		(void)nt_model_layer_name(m, l);
	{
		char sym[64];
		uint32_t nf;

		(void)nt_model_symbolize(m, 0xffffffff81a2b3c4ull, sym, sizeof(sym));
		(void)nt_model_stack(m, 1, &nf);
	}
	nt_model_finish(m);
	cur = NULL;
	nt_pcap_free(&pcap);
	nt_model_free(m);
	return 0;
}
