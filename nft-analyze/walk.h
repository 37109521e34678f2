/* SPDX-License-Identifier: GPL-2.0 */
/* walk.h - helpers shared by diff, timeline, flame and report (issue 7):
 * read a whole log into a model with per-record / per-packet callbacks,
 * an output file written atomically (temp + rename), a string intern table. */
#ifndef NT_WALK_H
#define NT_WALK_H

#include <stdint.h>
#include <stdio.h>
#include "nft-analyze/model.h"

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

struct argp_state;
/* argp tail shared by the one-LOG commands: takes the LOG argument (one only),
 * requires it at the end; returns 0 when KEY was handled, else ARGP_ERR_UNKNOWN. */
int nt_walk_argp_log(struct argp_state *state, int key, char *arg, const char **log);
/* The same with the usage error MISSING when no LOG was given (NULL: the
 * default "missing LOG (an .ntl file written by nft-record)"). */
int nt_walk_argp_log_msg(struct argp_state *state, int key, char *arg, const char **log,
			 const char *missing);

/* Output file: "-" or NULL = stdout; else written to PATH.tmp.XXXXXX (0644)
 * and renamed over PATH by nt_out_close(ok = 1). */
struct nt_out {
	FILE *f;
	char *path, *tmp;
};
int nt_out_open(struct nt_out *o, const char *path);          /* 0 or -errno */
int nt_out_close(struct nt_out *o, int ok);                   /* 0 or -errno */

/* String intern table: id 0 = "" (never NULL). */
struct nt_strtab;
struct nt_strtab *nt_strtab_new(void);
void nt_strtab_free(struct nt_strtab *t);
uint32_t nt_strtab_id(struct nt_strtab *t, const char *s);  /* UINT32_MAX when out of memory */
const char *nt_strtab_str(const struct nt_strtab *t, uint32_t id);
uint32_t nt_strtab_count(const struct nt_strtab *t);

/* Write S escaped for HTML text / attributes. */
void nt_html_esc(FILE *f, const char *s);

#endif
