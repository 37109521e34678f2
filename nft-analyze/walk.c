// SPDX-License-Identifier: GPL-2.0
/* walk.c - log walk, atomic output file, string table (walk.h). */
#include <argp.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "formats/logr.h"
#include "nft-analyze/walk.h"

int nt_walk_log(struct nt_walk *w)
{
	struct nt_model_opts mo = { .sz = sizeof(mo), .keep_events = w->keep_events,
				    .on_packet = w->on_packet, .ctx = w->ctx };
	struct ntl_reader *rd = NULL;
	struct ntl_item it;
	const char *msg = NULL;
	int st, ret = NT_WALK_OK;

	w->m = NULL;
	w->error[0] = 0;
	w->log_complete = 0;
	st = ntl_reader_open(&rd, w->path, &msg);
	if (st) {
		snprintf(w->error, sizeof(w->error), "%s", msg ? msg : "cannot open the log");
		return st == NTL_E_NOMEM ? NT_WALK_NOMEM : NT_WALK_BAD;
	}
	w->m = nt_model_new(&mo);
	if (!w->m) {
		ntl_reader_close(rd);
		snprintf(w->error, sizeof(w->error), "out of memory");
		return NT_WALK_NOMEM;
	}
	while ((st = ntl_reader_next(rd, &it)) == NTL_OK) {
		const struct nt_ev_hdr *h = it.data;
		const struct nt_packet *p;

		if (it.kind == NTL_ITEM_META) {
			nt_model_meta(w->m, it.type, it.data, it.len);
			continue;
		}
		p = nt_model_event(w->m, it.data, it.len);
		if (w->on_record && it.len >= sizeof(*h) && h->type != NT_EV_NFT_CHAINDEF &&
		    h->type != NT_EV_LOSS)
			w->on_record(w->ctx, w->m, p, h);
	}
	if (st < 0) {
		snprintf(w->error, sizeof(w->error), "%s", ntl_reader_strerror(rd));
		ret = st == NTL_E_NOMEM ? NT_WALK_NOMEM : NT_WALK_DAMAGED;
	}
	w->log_complete = ntl_reader_complete(rd);
	ntl_reader_close(rd);
	nt_model_finish(w->m);
	return ret;
}

int nt_out_open(struct nt_out *o, const char *path)
{
	int fd, err;

	memset(o, 0, sizeof(*o));
	if (!path || !strcmp(path, "-")) {
		o->f = stdout;
		return 0;
	}
	o->path = strdup(path);
	if (!o->path || asprintf(&o->tmp, "%s.tmp.XXXXXX", path) < 0) {
		free(o->path);
		o->path = NULL;
		return -ENOMEM;
	}
	fd = mkstemp(o->tmp);
	if (fd < 0) {
		err = -errno;
		goto fail;
	}
	fchmod(fd, 0644);
	o->f = fdopen(fd, "w");
	if (!o->f) {
		err = -errno;
		close(fd);
		unlink(o->tmp);
		goto fail;
	}
	return 0;
fail:
	free(o->path);
	free(o->tmp);
	o->path = o->tmp = NULL;
	return err;
}

int nt_out_close(struct nt_out *o, int ok)
{
	int err = 0;

	if (!o->f)
		return 0;
	if (o->f == stdout) {
		if (fflush(stdout) || ferror(stdout))
			err = -EIO;
		o->f = NULL;
		return err;
	}
	if (ferror(o->f))
		err = -EIO;
	if (fclose(o->f) && !err)
		err = -errno;
	o->f = NULL;
	if (ok && !err && rename(o->tmp, o->path))
		err = -errno;
	if (!ok || err)
		unlink(o->tmp);
	free(o->path);
	free(o->tmp);
	o->path = o->tmp = NULL;
	return err;
}

/* ---- string table: open addressing over an array of strdup'ed strings ---- */
struct nt_strtab {
	char **strs;
	uint32_t n, cap;
	uint32_t *slots;   /* id + 1, 0 = empty */
	uint32_t mask;
};

static uint64_t str_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ull;
	}
	return h;
}

struct nt_strtab *nt_strtab_new(void)
{
	struct nt_strtab *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->mask = 255;
	t->slots = calloc(t->mask + 1, sizeof(*t->slots));
	if (!t->slots || nt_strtab_id(t, "") != 0) {
		nt_strtab_free(t);
		return NULL;
	}
	return t;
}

void nt_strtab_free(struct nt_strtab *t)
{
	if (!t)
		return;
	for (uint32_t i = 0; i < t->n; i++)
		free(t->strs[i]);
	free(t->strs);
	free(t->slots);
	free(t);
}

static int strtab_grow(struct nt_strtab *t)
{
	uint32_t nmask = t->mask * 2 + 1;
	uint32_t *ns = calloc(nmask + 1, sizeof(*ns));

	if (!ns)
		return -ENOMEM;
	for (uint32_t i = 0; i < t->n; i++) {
		uint32_t j = (uint32_t)str_hash(t->strs[i]) & nmask;

		while (ns[j])
			j = (j + 1) & nmask;
		ns[j] = i + 1;
	}
	free(t->slots);
	t->slots = ns;
	t->mask = nmask;
	return 0;
}

uint32_t nt_strtab_id(struct nt_strtab *t, const char *s)
{
	uint32_t j;

	if (!s)
		s = "";
	j = (uint32_t)str_hash(s) & t->mask;
	while (t->slots[j]) {
		if (!strcmp(t->strs[t->slots[j] - 1], s))
			return t->slots[j] - 1;
		j = (j + 1) & t->mask;
	}
	if ((t->n + 1) * 2 > t->mask + 1) {
		if (strtab_grow(t))
			return UINT32_MAX;
		return nt_strtab_id(t, s);
	}
	if (t->n == t->cap) {
		uint32_t cap = t->cap ? t->cap * 2 : 64;
		char **n = realloc(t->strs, cap * sizeof(*n));

		if (!n)
			return UINT32_MAX;
		t->strs = n;
		t->cap = cap;
	}
	t->strs[t->n] = strdup(s);
	if (!t->strs[t->n])
		return UINT32_MAX;
	t->slots[j] = t->n + 1;
	return t->n++;
}

const char *nt_strtab_str(const struct nt_strtab *t, uint32_t id)
{
	return id < t->n ? t->strs[id] : "";
}

uint32_t nt_strtab_count(const struct nt_strtab *t)
{
	return t->n;
}

void nt_html_esc(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: putc(*s, f);
		}
	}
}

int nt_walk_argp_log(struct argp_state *state, int key, char *arg, const char **log)
{
	return nt_walk_argp_log_msg(state, key, arg, log, NULL);
}

int nt_walk_argp_log_msg(struct argp_state *state, int key, char *arg, const char **log,
			 const char *missing)
{
	switch (key) {
	case ARGP_KEY_ARG:
		if (*log)
			argp_error(state, "one LOG only ('%s' is extra)", arg);
		*log = arg;
		return 0;
	case ARGP_KEY_END:
		if (!*log)
			argp_error(state, "%s", missing ? missing : "missing LOG (an .ntl file written by nft-record)");
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}
