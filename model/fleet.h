/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fleet.h - the logs given to one nft-analyze command (issue #20): grouped
 * into sources (one log: a file, or the files of one rotation set, read as
 * one log by model/walk.c) and hosts (HEADER host: label + machine id hash;
 * a log without identity is a host of its own, "unknown").
 *
 *   - one LOG (a file or "-"): one source, nothing read in advance (the walk
 *     reports what is wrong with it, as for every command);
 *   - several: each file's HEADER is read first (a file that is no log: one
 *     line, NT_FLEET_BAD); files of the same rotation set (HEADER
 *     rotation.set) are one source, in seq order; every other file is a
 *     source; sources of the same host (same label and machine) are that
 *     host's, in the order given.
 * Host labels are unique in the fleet: two machines with one label get
 * "label@<first 8 digits of the machine hash>", several unknown hosts
 * "unknown:<path as given>"; a file given twice is an error.
 */
#ifndef NT_FLEET_H
#define NT_FLEET_H

#include <stddef.h>
#include <stdint.h>
#include "model/ident.h"

struct nt_fleet_src {
	const char **paths;        /* the files (into nt_fleet.paths) */
	int npaths;
	struct nt_ident id;        /* of its (first) HEADER; filled by the walk for a single "-" */
	int host;                  /* index into nt_fleet.host */
};

struct nt_fleet_host {
	char label[160];           /* unique in the fleet */
	int nsrc;
};

struct nt_fleet {
	struct nt_fleet_src *src;
	int nsrc;
	struct nt_fleet_host *host;
	int nhost;
	const char **paths;        /* every path, grouped by source */
};

#define NT_FLEET_OK 0
#define NT_FLEET_BAD (-2)      /* a file is unreadable / no log: ERR says which */
#define NT_FLEET_NOMEM (-12)

/* Group the N logs PATHS (kept by the caller).  On error ERR holds one line. */
int nt_fleet_open(struct nt_fleet *f, const char *const *paths, int n, char *err, size_t errlen);
void nt_fleet_close(struct nt_fleet *f);

#endif
