/* SPDX-License-Identifier: GPL-2.0 */
/* walk.h - the one log reader loop: a whole log into a model, with
 * per-record / per-packet callbacks, an optional time window, and a stop a
 * callback can ask for (every nft-analyze command, tests). */
#ifndef NT_WALK_H
#define NT_WALK_H

#include <stdint.h>
#include <stdio.h>
#include "model/model.h"
#include "model/select.h"

struct nt_walk_st;

/* Called for every record after nt_model_event() (P may be NULL); not for
 * NT_EV_NFT_CHAINDEF / NT_EV_LOSS records unless all_records. */
typedef void (*nt_walk_rec_fn)(void *ctx, struct nt_model *m, const struct nt_packet *p,
			       const struct nt_ev_hdr *h);

struct nt_walk {
	const char *path;            /* a file, or "-" for stdin */
	/* or, when npaths > 0: the files of one rotation set, read as one log
	 * (model/logset.h: in seq order, a gap or a damaged file = damage) */
	const char *const *paths;
	int npaths;
	int keep_events;
	uint64_t idle_ns;            /* model opts idle_ns (0 = default) */
	nt_packet_cb on_packet;      /* completed packets (ctx) */
	nt_walk_rec_fn on_record;
	int all_records;             /* on_record also for NT_EV_NFT_CHAINDEF / NT_EV_LOSS */
	/* a metadata block whose JSON the model cannot use (it is ignored) */
	void (*on_bad_meta)(void *ctx, uint16_t type, uint64_t offset);
	/* every metadata block (after the model had it), NULL = none */
	void (*on_meta)(void *ctx, uint16_t type, const char *json, size_t len);
	void *ctx;
	/* NULL, or: records (but CHAINDEF / LOSS) outside its --since / --until
	 * window are skipped, not even given to the model; the window starts at
	 * the first record with a time (nt_select_set_start) */
	struct nt_select *window;
	/* reorder window on the input (model/reorder.h): 0 = default 1 s,
	 * UINT64_MAX = none (records in file order) */
	uint64_t reorder_ns;
	int stop;                    /* set by a callback: stop reading, the model
				      * is then not finished */
	const struct nt_limits *limits; /* NULL: the defaults (common/limits.h) */
	/* nt_walk_log() only: read, decode and reorder on a second thread while
	 * this one runs the model and the callbacks (same calls, same order);
	 * environment NT_WALK_THREADS=0 turns it off */
	int threads;
	/* results */
	struct nt_model *m;          /* owned by the caller after nt_walk_log() */
	int log_complete;            /* trailer seen */
	uint32_t version;            /* the log's format major version (set once it is open) */
	/* a log of one namespace as a host (HEADER host.netns, model/hostscope.h):
	 * records of its skbs outside it skipped, packets ended where they left */
	uint64_t scope_skipped, scope_left;
	uint64_t last_ts;            /* ts of the latest record given to the model (0: none) */
	struct nt_walk_st *st;       /* private: nt_walk_open() .. nt_walk_close() */
	char error[800];             /* why the log ended early / could not be read */
};

/* Status of nt_walk_log() */
#define NT_WALK_OK 0
#define NT_WALK_DAMAGED 1   /* truncated or corrupt: everything before was read (error says where) */
#define NT_WALK_BAD (-2)    /* not readable / not a log / newer format (error says why) */
#define NT_WALK_NOMEM (-12)  /* out of memory (the model too): no result at all (error says so) */

/* Read W->path completely (or until W->stop) into a new model (W->m), finish
 * it.  Returns an NT_WALK_* status; W->m is set unless NT_WALK_BAD, or
 * NT_WALK_NOMEM before the first record. */
int nt_walk_log(struct nt_walk *w);

/* The same in steps (several logs read side by side, model/stitch.c):
 * nt_walk_open() (an NT_WALK_* status: W->m set unless NT_WALK_BAD / NOMEM),
 * nt_walk_step() until it returns 0 (one block item per call: 1), then
 * nt_walk_close() (finishes the model; returns the status nt_walk_log() would). */
int nt_walk_open(struct nt_walk *w);
int nt_walk_step(struct nt_walk *w);
int nt_walk_close(struct nt_walk *w);

#endif
