// SPDX-License-Identifier: GPL-2.0
/*
 * kallsyms.c - one read, in-place parse, hash table by name, lazy address index.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/hash.h"
#include "common/kallsyms.h"
#include "common/util.h"

struct nt_ksyms {
	char *buf;
	size_t len;
	struct nt_ksym *syms;
	size_t n;
	size_t bad;
	bool all_zero;
	uint32_t *next;  /* next symbol index with the same name, UINT32_MAX = end */
	uint32_t *table; /* hash slot -> first index + 1 (0 = empty) */
	size_t tmask;
	uint32_t *by_addr; /* lazily built, sorted by (addr, file order) */
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = nt_fnv1a_str(s);

	return h ^ (h >> 29);
}

static int hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Parse one line [p, e) (no newline); fills s.  0 ok, -1 bad. */
static int parse_line(char *p, char *e, struct nt_ksym *s)
{
	uint64_t a = 0;
	int digits = 0, v;

	while (p < e && (v = hex_val(*p)) >= 0) {
		a = a << 4 | (unsigned)v;
		p++;
		digits++;
	}
	if (!digits || digits > 16 || p + 3 > e || *p != ' ')
		return -1;
	s->addr = a;
	s->type = p[1];
	if (p[2] != ' ')
		return -1;
	p += 3;
	s->name = p;
	while (p < e && *p != ' ' && *p != '\t')
		p++;
	if (p == s->name)
		return -1;
	s->module = NULL;
	if (p < e) {
		*p++ = 0;
		while (p < e && (*p == ' ' || *p == '\t'))
			p++;
		if (p < e && *p == '[') {
			char *m = ++p;
			while (p < e && *p != ']')
				p++;
			*p = 0; /* ']' or the line's end (the '\n' slot) */
			if (*m)
				s->module = m;
		}
	}
	*e = 0;
	return 0;
}

static int index_names(struct nt_ksyms *ks)
{
	size_t sz = 16;

	while (sz < ks->n * 2)
		sz <<= 1;
	ks->table = calloc(sz, sizeof(*ks->table));
	ks->next = malloc((ks->n ? ks->n : 1) * sizeof(*ks->next));
	if (!ks->table || !ks->next)
		return -ENOMEM;
	ks->tmask = sz - 1;
	/* Insert in reverse so chains end up in file order. */
	for (size_t i = ks->n; i-- > 0;) {
		size_t h = hash_str(ks->syms[i].name) & ks->tmask;
		for (;;) {
			uint32_t f = ks->table[h];
			if (!f) {
				ks->table[h] = (uint32_t)i + 1;
				ks->next[i] = UINT32_MAX;
				break;
			}
			if (!strcmp(ks->syms[f - 1].name, ks->syms[i].name)) {
				ks->next[i] = f - 1;
				ks->table[h] = (uint32_t)i + 1;
				break;
			}
			h = (h + 1) & ks->tmask;
		}
	}
	return 0;
}

static int parse_all(struct nt_ksyms *ks)
{
	char *p = ks->buf, *end = ks->buf + ks->len;
	size_t cap = 1024;

	/* Estimate the line count to allocate once: ~40 bytes a line. */
	if (ks->len / 32 > cap)
		cap = ks->len / 32;
	ks->syms = malloc(cap * sizeof(*ks->syms));
	if (!ks->syms)
		return -ENOMEM;
	ks->all_zero = true;
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *e = nl ? nl : end;
		if (e > p && e[-1] == '\r')
			e--;
		if (e > p) {
			if (ks->n == cap) {
				struct nt_ksym *ns;
				cap *= 2;
				ns = realloc(ks->syms, cap * sizeof(*ns));
				if (!ns)
					return -ENOMEM;
				ks->syms = ns;
			}
			if (ks->n >= UINT32_MAX - 1)
				return -EINVAL;
			if (!parse_line(p, e, &ks->syms[ks->n])) {
				if (ks->syms[ks->n].addr)
					ks->all_zero = false;
				ks->n++;
			} else {
				ks->bad++;
			}
		}
		p = (nl ? nl : end) + 1;
	}
	if (!ks->n)
		return -EINVAL;
	return index_names(ks);
}

/* Take ownership of buf (len bytes, one spare byte at buf[len]). */
static int load_owned(char *buf, size_t len, struct nt_ksyms **out)
{
	struct nt_ksyms *ks = calloc(1, sizeof(*ks));
	int err;

	if (!ks) {
		free(buf);
		return -ENOMEM;
	}
	buf[len] = 0;
	ks->buf = buf;
	ks->len = len;
	err = parse_all(ks);
	if (err) {
		nt_ksyms__free(ks);
		return err;
	}
	*out = ks;
	return 0;
}

int nt_ksyms__load_buf(const char *buf, size_t len, struct nt_ksyms **out)
{
	char *copy = malloc(len + 1);

	if (!copy)
		return -ENOMEM;
	memcpy(copy, buf, len);
	return load_owned(copy, len, out);
}

int nt_ksyms__load(const char *path, struct nt_ksyms **out)
{
	size_t len = 0;
	char *buf = NULL;
	int err = nt_read_file(path, 1 << 20, &buf, &len);

	if (err)
		return err;
	return load_owned(buf, len, out);
}

void nt_ksyms__free(struct nt_ksyms *ks)
{
	if (!ks)
		return;
	free(ks->buf);
	free(ks->syms);
	free(ks->next);
	free(ks->table);
	free(ks->by_addr);
	free(ks);
}

size_t nt_ksyms__count(const struct nt_ksyms *ks)
{
	return ks->n;
}

size_t nt_ksyms__bad_lines(const struct nt_ksyms *ks)
{
	return ks->bad;
}

const struct nt_ksym *nt_ksyms__get(const struct nt_ksyms *ks, size_t i)
{
	return i < ks->n ? &ks->syms[i] : NULL;
}

bool nt_ksyms__all_zero(const struct nt_ksyms *ks)
{
	return ks->all_zero;
}

size_t nt_ksyms__by_name(const struct nt_ksyms *ks, const char *name, const struct nt_ksym **res,
			 size_t max)
{
	size_t h = hash_str(name) & ks->tmask, cnt = 0;
	uint32_t f;

	if (!ks->table) /* nt_ksyms__compact() */
		return 0;
	while ((f = ks->table[h])) {
		if (!strcmp(ks->syms[f - 1].name, name)) {
			for (uint32_t i = f - 1; i != UINT32_MAX; i = ks->next[i]) {
				if (cnt < max)
					res[cnt] = &ks->syms[i];
				cnt++;
			}
			return cnt;
		}
		h = (h + 1) & ks->tmask;
	}
	return 0;
}

int nt_ksyms__compact(struct nt_ksyms *ks)
{
	size_t need = 0, off = 0;
	const char *prev_mod = NULL, *new_mod = NULL;
	struct nt_ksym *ns;
	char *pool;

	for (size_t i = 0; i < ks->n; i++)
		need += strlen(ks->syms[i].name) + 1 +
			(ks->syms[i].module ? strlen(ks->syms[i].module) + 1 : 0);
	pool = malloc(need + 1);
	if (!pool)
		return -ENOMEM;
	for (size_t i = 0; i < ks->n; i++) {
		struct nt_ksym *s = &ks->syms[i];
		size_t l = strlen(s->name) + 1;

		memcpy(pool + off, s->name, l);
		s->name = pool + off;
		off += l;
		if (!s->module)
			continue;
		/* a module's symbols are contiguous: its name is stored once a run */
		if (!prev_mod || strcmp(prev_mod, s->module)) {
			l = strlen(s->module) + 1;
			memcpy(pool + off, s->module, l);
			prev_mod = s->module;
			new_mod = pool + off;
			off += l;
		}
		s->module = new_mod;
	}
	free(ks->buf);
	ks->buf = pool;
	ks->len = off;
	free(ks->next);
	free(ks->table);
	ks->next = NULL;
	ks->table = NULL;
	ks->tmask = 0;
	ns = realloc(ks->syms, (ks->n ? ks->n : 1) * sizeof(*ns));
	if (ns)
		ks->syms = ns;
	return 0;
}

static const struct nt_ksyms *sort_ks; /* qsort has no context argument */

static int cmp_addr(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	uint64_t ax = sort_ks->syms[x].addr, ay = sort_ks->syms[y].addr;

	if (ax != ay)
		return ax < ay ? -1 : 1;
	return x < y ? -1 : x > y;
}

const struct nt_ksym *nt_ksyms__by_addr(struct nt_ksyms *ks, uint64_t addr)
{
	size_t lo = 0, hi;

	if (!ks->by_addr) {
		bool sorted = true;
		ks->by_addr = malloc(ks->n * sizeof(*ks->by_addr));
		if (!ks->by_addr)
			return NULL;
		for (size_t i = 0; i < ks->n; i++) {
			ks->by_addr[i] = (uint32_t)i;
			if (i && ks->syms[i].addr < ks->syms[i - 1].addr)
				sorted = false;
		}
		if (!sorted) {
			sort_ks = ks;
			qsort(ks->by_addr, ks->n, sizeof(*ks->by_addr), cmp_addr);
			sort_ks = NULL;
		}
	}
	/* first index whose addr > addr */
	hi = ks->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ks->syms[ks->by_addr[mid]].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	/* step back to the first symbol (file order) at that address */
	uint64_t a = ks->syms[ks->by_addr[lo - 1]].addr;
	while (lo > 1 && ks->syms[ks->by_addr[lo - 2]].addr == a)
		lo--;
	return &ks->syms[ks->by_addr[lo - 1]];
}
