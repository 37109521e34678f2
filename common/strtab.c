// SPDX-License-Identifier: GPL-2.0
/* strtab.c - string intern table (strtab.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/strtab.h"

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
