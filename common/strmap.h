/* SPDX-License-Identifier: GPL-2.0 */
/* strmap.h - the string hash table: C string (not copied) -> pointer; open
 * addressing.  The intern table (strtab.h) is built on it. */
#ifndef NT_STRMAP_H
#define NT_STRMAP_H

#include <stddef.h>

struct nt_strmap {
	const char **keys;
	void **vals;
	size_t mask;
	size_t n;
};

/* 0 or -ENOMEM.  cap_hint: expected number of keys. */
int nt_strmap_init(struct nt_strmap *m, size_t cap_hint);
/* Insert key (the caller keeps it alive).  Returns 0 when added, 1 when the key
 * was already present (value unchanged), -ENOMEM. */
int nt_strmap_put(struct nt_strmap *m, const char *key, void *val);
/* Value of key, or NULL; *found (if not NULL) tells presence apart from a NULL value. */
void *nt_strmap_get(const struct nt_strmap *m, const char *key, int *found);
void nt_strmap_free(struct nt_strmap *m);

#endif
