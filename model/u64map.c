// SPDX-License-Identifier: GPL-2.0
/* u64map.c - the model's u64 -> u32 map (u64map.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model/u64map.h"
int map_init(struct u64map *mp, uint32_t cap)
{
	mp->keys = calloc(cap, sizeof(*mp->keys));
	mp->vals = calloc(cap, sizeof(*mp->vals));
	mp->mask = cap - 1;
	mp->count = 0;
	return mp->keys && mp->vals ? 0 : -ENOMEM;
}

void map_free(struct u64map *mp)
{
	free(mp->keys);
	free(mp->vals);
	memset(mp, 0, sizeof(*mp));
}


int map_grow(struct u64map *mp)
{
	struct u64map n;
	int err = map_init(&n, (mp->mask + 1) * 2);

	if (err) {
		map_free(&n);
		return err;
	}
	for (uint32_t i = 0; i <= mp->mask; i++)
		if (mp->keys[i])
			map_put(&n, mp->keys[i], mp->vals[i]);
	map_free(mp);
	*mp = n;
	return 0;
}

int map_put(struct u64map *mp, uint64_t key, uint32_t val)
{
	uint32_t i;

	if (!key)
		return 0;
	if ((mp->count + 1) * 2 > mp->mask + 1 && map_grow(mp))
		return -ENOMEM;
	i = (uint32_t)mix64(key) & mp->mask;
	while (mp->keys[i] && mp->keys[i] != key)
		i = (i + 1) & mp->mask;
	if (!mp->keys[i])
		mp->count++;
	mp->keys[i] = key;
	mp->vals[i] = val;
	return 0;
}

void map_del(struct u64map *mp, uint64_t key)
{
	uint32_t i = (uint32_t)mix64(key) & mp->mask, j;

	if (!key)
		return;
	while (mp->keys[i] != key) {
		if (!mp->keys[i])
			return;
		i = (i + 1) & mp->mask;
	}
	mp->count--;
	/* backward shift */
	j = i;
	for (;;) {
		uint32_t home;

		j = (j + 1) & mp->mask;
		if (!mp->keys[j])
			break;
		home = (uint32_t)mix64(mp->keys[j]) & mp->mask;
		/* move j to i if home is not cyclically in (i, j] */
		if ((j > i && (home <= i || home > j)) || (j < i && (home <= i && home > j))) {
			mp->keys[i] = mp->keys[j];
			mp->vals[i] = mp->vals[j];
			i = j;
		}
	}
	mp->keys[i] = 0;
}
