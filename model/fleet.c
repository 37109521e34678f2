// SPDX-License-Identifier: GPL-2.0
/* fleet.c - the logs of one command grouped into sources and hosts (fleet.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "formats/logr.h"
#include "formats/ntlog.h"
#include "model/fleet.h"

/* Identity of file PATH from its first block (the HEADER). */
static int read_ident(const char *path, struct nt_ident *id, char *err, size_t errlen)
{
	struct ntl_reader *rd;
	struct ntl_item it;
	const char *msg = NULL;
	int st;

	if (!strcmp(path, "-")) {
		snprintf(err, errlen, "-: stdin can only be the one LOG, not one of several");
		return NT_FLEET_BAD;
	}
	st = ntl_reader_open(&rd, path, &msg);
	if (st) {
		snprintf(err, errlen, "%s", msg ? msg : path);
		return st == NTL_E_NOMEM ? NT_FLEET_NOMEM : NT_FLEET_BAD;
	}
	st = ntl_reader_next(rd, &it);
	if (st == NTL_OK && it.kind == NTL_ITEM_META && it.type == NTL_B_HEADER) {
		nt_ident_parse(id, it.data, it.len);
		st = 0;
	} else if (st == NTL_E_NOMEM) {
		snprintf(err, errlen, "out of memory");
		st = NT_FLEET_NOMEM;
	} else { /* damaged before its HEADER: the walk says where */
		nt_ident_parse(id, "", 0); /* no HEADER: unknown (the walk says the rest) */
		st = 0;
	}
	ntl_reader_close(rd);
	return st;
}

/* An earlier path of PATHS[0..I) naming the same file as PATHS[I], else NULL. */
static const char *given_twice(const char *const *paths, int i)
{
	struct stat a, b;

	if (stat(paths[i], &a))
		return NULL;
	for (int j = 0; j < i; j++)
		if (!stat(paths[j], &b) && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
			return paths[j];
	return NULL;
}

/* Host of source S: an existing one with its label and machine, or a new one. */
static int host_of(struct nt_fleet *f, int s)
{
	const struct nt_ident *id = &f->src[s].id;

	if (id->known) {
		for (int i = 0; i < s; i++) {
			const struct nt_ident *o = &f->src[i].id;

			if (o->known && !strcmp(o->label, id->label) &&
			    !strcmp(o->machine_id_hash, id->machine_id_hash))
				return f->src[i].host;
		}
	}
	f->host[f->nhost] = (struct nt_fleet_host){ 0 };
	return f->nhost++;
}

/* Unique labels: "label", "label@machine8", "unknown:file". */
static void label_hosts(struct nt_fleet *f)
{
	for (int h = 0; h < f->nhost; h++) {
		const struct nt_fleet_src *s = NULL;
		int clash = 0;

		for (int i = 0; i < f->nsrc && !s; i++)
			if (f->src[i].host == h)
				s = &f->src[i];
		for (int i = 0; i < f->nsrc; i++)
			if (f->src[i].host != h && !strcmp(f->src[i].id.label, s->id.label))
				clash = 1;
		if (!s->id.known && clash)
			snprintf(f->host[h].label, sizeof(f->host[h].label), "unknown:%s", s->paths[0]);
		else if (clash && s->id.machine_id_hash[0])
			snprintf(f->host[h].label, sizeof(f->host[h].label), "%s@%.8s", s->id.label,
				 s->id.machine_id_hash);
		else
			snprintf(f->host[h].label, sizeof(f->host[h].label), "%s", s->id.label);
	}
}

/* Files of one rotation set (HEADER rotation.set) are one source, in seq
 * order; every other file is a source of its own. */
int nt_fleet_open(struct nt_fleet *f, const char *const *paths, int n, char *err, size_t errlen)
{
	struct nt_ident *ids;
	int *src_of, *idx, k = 0;

	memset(f, 0, sizeof(*f));
	err[0] = 0;
	if (n < 1)
		n = 1;
	f->src = calloc((size_t)n, sizeof(*f->src));
	f->host = calloc((size_t)n, sizeof(*f->host));
	f->paths = calloc((size_t)n, sizeof(*f->paths));
	ids = calloc((size_t)n, sizeof(*ids));
	src_of = calloc((size_t)n, sizeof(*src_of));
	idx = calloc((size_t)n, sizeof(*idx));
	if (!f->src || !f->host || !f->paths || !ids || !src_of || !idx) {
		free(ids);
		free(src_of);
		free(idx);
		nt_fleet_close(f);
		snprintf(err, errlen, "out of memory");
		return NT_FLEET_NOMEM;
	}
	for (int i = 0; i < n; i++) {
		int st = 0;

		if (n == 1) {
			nt_ident_parse(&ids[i], "", 0); /* the walk fills it (on_meta) */
		} else if (given_twice(paths, i)) {
			snprintf(err, errlen, "%s: given twice (also as %s)", paths[i], given_twice(paths, i));
			st = NT_FLEET_BAD;
		} else {
			st = read_ident(paths[i], &ids[i], err, errlen);
		}
		if (st) {
			free(ids);
			free(src_of);
			free(idx);
			nt_fleet_close(f);
			return st;
		}
		src_of[i] = -1;
		for (int j = 0; j < i && ids[i].rot_set[0]; j++)
			if (!strcmp(ids[j].rot_set, ids[i].rot_set))
				src_of[i] = src_of[j];
		if (src_of[i] < 0)
			src_of[i] = f->nsrc++;
	}
	for (int s = 0; s < f->nsrc; s++) { /* its files, lowest seq first */
		struct nt_fleet_src *src = &f->src[s];
		int first = k;

		for (int i = 0; i < n; i++) {
			int j = k++;

			if (src_of[i] != s) {
				k--;
				continue;
			}
			while (j > first && ids[idx[j - 1]].rot_seq > ids[i].rot_seq) {
				idx[j] = idx[j - 1];
				j--;
			}
			idx[j] = i;
		}
		src->paths = &f->paths[first];
		src->npaths = k - first;
		src->id = ids[idx[first]];
		for (int j = first; j < k; j++)
			f->paths[j] = paths[idx[j]];
	}
	free(ids);
	free(src_of);
	free(idx);
	for (int s = 0; s < f->nsrc; s++)
		f->src[s].host = host_of(f, s);
	for (int i = 0; i < f->nsrc; i++)
		f->host[f->src[i].host].nsrc++;
	label_hosts(f);
	return NT_FLEET_OK;
}

void nt_fleet_close(struct nt_fleet *f)
{
	free(f->src);
	free(f->host);
	free(f->paths);
	memset(f, 0, sizeof(*f));
}
