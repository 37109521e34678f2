/* SPDX-License-Identifier: GPL-2.0 */
/* walk.h - read a whole log into a model with per-record / per-packet
 * callbacks (the analyzer's commands, tests). */
#ifndef NT_WALK_H
#define NT_WALK_H

#include <stdint.h>
#include <stdio.h>
#include "model/model.h"

/* Called for every record after nt_model_event() (P may be NULL);
 * not for NT_EV_NFT_CHAINDEF / NT_EV_LOSS records. */
typedef void (*nt_walk_rec_fn)(void *ctx, struct nt_model *m, const struct nt_packet *p,
			       const struct nt_ev_hdr *h);

struct nt_walk {
	const char *path;
	int keep_events;
	nt_packet_cb on_packet;      /* completed packets (ctx) */
	nt_walk_rec_fn on_record;
	void *ctx;
	/* results */
	struct nt_model *m;          /* owned by the caller after nt_walk_log() */
	int log_complete;            /* trailer seen */
	char error[512];             /* why the log ended early / could not be read */
};

/* Status of nt_walk_log() */
#define NT_WALK_OK 0
#define NT_WALK_DAMAGED 1   /* truncated or corrupt: everything before was read (error says where) */
#define NT_WALK_BAD (-2)    /* not readable / not a log / newer format (error says why) */
#define NT_WALK_NOMEM (-12)

/* Read W->path completely into a new model (W->m), finish it.  Returns an
 * NT_WALK_* status; W->m is set unless NT_WALK_BAD / NT_WALK_NOMEM. */
int nt_walk_log(struct nt_walk *w);

#endif
