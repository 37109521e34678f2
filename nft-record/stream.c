// SPDX-License-Identifier: GPL-2.0
/* stream.c - live event lines through the analyzer's model (see stream.h). */
#include <errno.h>
#include <stdlib.h>

#include "nft-record/stream.h"
#include "common/records.h"
#include "model/model.h"

struct nt_stream {
	FILE *out;
	struct nt_model *m;
	uint64_t seq;
};

struct nt_stream *nt_stream_new(FILE *out)
{
	struct nt_model_opts o = { .sz = sizeof(o) };
	struct nt_stream *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->out = out;
	s->m = nt_model_new(&o);
	if (!s->m) {
		free(s);
		return NULL;
	}
	return s;
}

void nt_stream_meta(struct nt_stream *s, uint16_t type, const char *json, size_t len)
{
	nt_model_meta(s->m, type, json, len);
}

void nt_stream_event(struct nt_stream *s, const void *rec, size_t len)
{
	const struct nt_ev_hdr *h = rec;

	nt_model_event(s->m, rec, len);
	if (h->type == NT_EV_NFT_CHAINDEF) /* as nft-analyze events: no line */
		return;
	nt_fmt_event_line(s->out, s->m, rec, ++s->seq);
}

int nt_stream_flush(struct nt_stream *s)
{
	if (fflush(s->out) == EOF || ferror(s->out))
		return errno ? -errno : -EIO;
	return 0;
}

void nt_stream_free(struct nt_stream *s)
{
	if (!s)
		return;
	fflush(s->out);
	nt_model_free(s->m);
	free(s);
}
