// SPDX-License-Identifier: GPL-2.0
/* stream.c - live event lines through the packet model (see stream.h). */
#include <errno.h>
#include <stdlib.h>

#include "common/records.h"
#include "formats/ntlog.h"
#include "model/model.h"
#include "nft-record/stream.h"

struct nt_stream {
	FILE *out;
	struct nt_model *m;
	uint64_t seq;
	int quiet;
	struct nt_record_hooks hooks;
};

static void on_meta(void *ctx, uint16_t type, const char *json, size_t len)
{
	struct nt_stream *s = ctx;

	if (type != NTL_B_TRAILER) /* the log is complete: nothing more to print */
		nt_model_meta(s->m, type, json, len);
}

static int on_event(void *ctx, const void *rec, size_t len)
{
	struct nt_stream *s = ctx;
	const struct nt_ev_hdr *h = rec;

	nt_model_event(s->m, rec, len);
	if (h->type != NT_EV_NFT_CHAINDEF) /* as nft-analyze events: no line */
		nt_fmt_event_line(s->out, s->m, rec, ++s->seq);
	return 0;
}

/* Every second: flush the lines; a reader that went away (| head) stops the
 * recording like Ctrl-C (the log is closed completely).  Other write errors
 * (a full disk behind stdout) do not. */
static int on_progress(void *ctx, const struct nt_record_progress *p)
{
	struct nt_stream *s = ctx;

	if (p->done) /* the last lines: nt_stream_free() */
		return 0;
	if (fflush(s->out) == EOF || ferror(s->out)) {
		if ((errno ? errno : EIO) == EPIPE) {
			if (!s->quiet)
				fprintf(stderr, "nft-record: --stream output closed: stopping\n");
			return 1;
		}
	}
	return 0;
}

struct nt_stream *nt_stream_new(FILE *out, int quiet)
{
	struct nt_model_opts o = { .sz = sizeof(o) };
	struct nt_stream *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->out = out;
	s->quiet = quiet;
	s->m = nt_model_new(&o);
	if (!s->m) {
		free(s);
		return NULL;
	}
	s->hooks = (struct nt_record_hooks){ .ctx = s, .meta = on_meta, .event = on_event,
					     .progress = on_progress };
	return s;
}

const struct nt_record_hooks *nt_stream_hooks(struct nt_stream *s)
{
	return &s->hooks;
}

void nt_stream_free(struct nt_stream *s)
{
	if (!s)
		return;
	fflush(s->out);
	nt_model_free(s->m);
	free(s);
}
