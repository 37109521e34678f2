/* SPDX-License-Identifier: GPL-2.0 */
/* strtab.h - the string intern table: one id per distinct string, in order
 * of first sight (over the string hash table, strmap.h). */
#ifndef NT_STRTAB_H
#define NT_STRTAB_H

#include <stdint.h>

/* String intern table: id 0 = "" (never NULL). */
struct nt_strtab;
struct nt_strtab *nt_strtab_new(void);
void nt_strtab_free(struct nt_strtab *t);
uint32_t nt_strtab_id(struct nt_strtab *t, const char *s);  /* UINT32_MAX when out of memory */
const char *nt_strtab_str(const struct nt_strtab *t, uint32_t id);
uint32_t nt_strtab_count(const struct nt_strtab *t);

#endif
