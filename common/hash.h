/* SPDX-License-Identifier: GPL-2.0 */
/* hash.h - FNV-1a, the one hash of the tree's hash tables and keys (chain
 * keys in the log are FNV-1a: changing it changes the format). */
#ifndef NT_HASH_H
#define NT_HASH_H

#include <stddef.h>
#include <stdint.h>

#define NT_FNV_OFFSET 0xcbf29ce484222325ull
#define NT_FNV_PRIME 0x100000001b3ull

static inline uint64_t nt_fnv1a(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * NT_FNV_PRIME;
	return h;
}

static inline uint64_t nt_fnv1a_str(const char *s)
{
	uint64_t h = NT_FNV_OFFSET;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * NT_FNV_PRIME;
	return h;
}

#endif
