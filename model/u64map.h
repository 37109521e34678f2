/* SPDX-License-Identifier: GPL-2.0 */
/* u64map.h - the model's open addressing map u64 -> u32: linear probing,
 * backward-shift delete; key 0 is never stored.  Private to model/. */
#ifndef NT_U64MAP_H
#define NT_U64MAP_H

#include <stdint.h>

struct u64map {
	uint64_t *keys;   /* 0 = empty (key 0 is never stored) */
	uint32_t *vals;
	uint32_t mask, count;
};

static inline uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	return x;
}

int map_init(struct u64map *mp, uint32_t cap);     /* 0 or -ENOMEM */
void map_free(struct u64map *mp);
int map_put(struct u64map *mp, uint64_t key, uint32_t val);
void map_del(struct u64map *mp, uint64_t key);

static inline uint32_t *map_find(const struct u64map *mp, uint64_t key)
{
	uint32_t i = (uint32_t)mix64(key) & mp->mask;

	if (!key) /* 0 marks empty slots: never a key */
		return NULL;
	for (;;) {
		if (mp->keys[i] == key)
			return &mp->vals[i];
		if (!mp->keys[i])
			return NULL;
		i = (i + 1) & mp->mask;
	}
}

#endif
