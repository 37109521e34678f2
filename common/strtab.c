// SPDX-License-Identifier: GPL-2.0
/* strtab.c - string intern table (strtab.h): copies in an array by id, looked
 * up through the string hash table (strmap.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/strmap.h"
#include "common/strtab.h"

struct nt_strtab {
	char **strs;             /* by id */
	uint32_t n, cap;
	struct nt_strmap map;    /* string (strs[id]) -> id */
};

struct nt_strtab *nt_strtab_new(void)
{
	struct nt_strtab *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	if (nt_strmap_init(&t->map, 128) || nt_strtab_id(t, "") != 0) {
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
	nt_strmap_free(&t->map);
	free(t);
}

uint32_t nt_strtab_id(struct nt_strtab *t, const char *s)
{
	int found;
	void *v;

	if (!s)
		s = "";
	v = nt_strmap_get(&t->map, s, &found);
	if (found)
		return (uint32_t)(uintptr_t)v;
	if (t->n == UINT32_MAX - 1)
		return UINT32_MAX;
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
	if (nt_strmap_put(&t->map, t->strs[t->n], (void *)(uintptr_t)t->n) < 0) {
		free(t->strs[t->n]);
		return UINT32_MAX;
	}
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
