/* SPDX-License-Identifier: GPL-2.0 */
/* walk_int.h - the walk's state, shared by walk.c and its reader thread
 * (walkpipe.c). */
#ifndef NT_WALK_INT_H
#define NT_WALK_INT_H

#include <stdint.h>
#include "model/walk.h"

struct nt_logset;
struct nt_reorder;
struct nt_scope;

/* The state of a walk between nt_walk_open() and nt_walk_close(). */
struct nt_walk_st {
	struct nt_logset *rd;      /* a file, or the files of one rotation set */
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
/* One metadata block: 0, or -1 when out of memory (S->ret, W->error set). */
int nt_walk_meta(struct nt_walk *w, struct nt_walk_st *s, uint16_t type, const void *data, size_t len,
		 uint64_t offset);
/* The whole walk with the reading, decoding and reorder window on a second
 * thread: 0 when done, -1 when the thread could not start (nothing read). */
int nt_walk_piped(struct nt_walk *w);

#endif
