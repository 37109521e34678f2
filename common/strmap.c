// SPDX-License-Identifier: GPL-2.0
/* strmap.c - linear probing, FNV-1a, grows at 50 % load. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/hash.h"
#include "common/strmap.h"

static size_t hash_str(const char *s)
{
	uint64_t h = nt_fnv1a_str(s);

	return (size_t)(h ^ (h >> 31));
}

static int alloc_table(struct nt_strmap *m, size_t sz)
{
	m->keys = calloc(sz, sizeof(*m->keys));
	m->vals = calloc(sz, sizeof(*m->vals));
	if (!m->keys || !m->vals) {
		free(m->keys);
		free(m->vals);
		m->keys = NULL;
		m->vals = NULL;
		return -ENOMEM;
	}
	m->mask = sz - 1;
	m->n = 0;
	return 0;
}

int nt_strmap_init(struct nt_strmap *m, size_t cap_hint)
{
	size_t sz = 16;

	while (sz < cap_hint * 2)
		sz <<= 1;
	return alloc_table(m, sz);
}

static size_t slot_of(const struct nt_strmap *m, const char *key)
{
	size_t h = hash_str(key) & m->mask;

	while (m->keys[h] && strcmp(m->keys[h], key))
		h = (h + 1) & m->mask;
	return h;
}

static int grow(struct nt_strmap *m)
{
	struct nt_strmap old = *m;
	int err = alloc_table(m, (old.mask + 1) * 2);

	if (err) {
		*m = old;
		return err;
	}
	for (size_t i = 0; i <= old.mask; i++) {
		if (old.keys[i]) {
			size_t s = slot_of(m, old.keys[i]);
			m->keys[s] = old.keys[i];
			m->vals[s] = old.vals[i];
			m->n++;
		}
	}
	free(old.keys);
	free(old.vals);
	return 0;
}

int nt_strmap_put(struct nt_strmap *m, const char *key, void *val)
{
	size_t s;

	if ((m->n + 1) * 2 > m->mask + 1 && grow(m))
		return -ENOMEM;
	s = slot_of(m, key);
	if (m->keys[s])
		return 1;
	m->keys[s] = key;
	m->vals[s] = val;
	m->n++;
	return 0;
}

void *nt_strmap_get(const struct nt_strmap *m, const char *key, int *found)
{
	size_t s;

	if (!m->keys) {
		if (found)
			*found = 0;
		return NULL;
	}
	s = slot_of(m, key);
	if (found)
		*found = m->keys[s] != NULL;
	return m->keys[s] ? m->vals[s] : NULL;
}

void nt_strmap_free(struct nt_strmap *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}
