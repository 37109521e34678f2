/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kallsyms.h - fast /proc/kallsyms (or saved copy) parser.
 *
 * The whole file is read once into one buffer; symbols point into it.
 * Lookups: name -> symbols (hash table, O(1)), address -> symbol (sorted
 * index built on first use), and all-zero address detection (kptr_restrict
 * hides addresses from non-root readers).
 * An nt_ksyms object is read-only after load except for the lazily built
 * address index: call nt_ksyms__by_addr() once from one thread before sharing.
 */
#ifndef NT_KALLSYMS_H
#define NT_KALLSYMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nt_ksym {
	uint64_t addr;
	const char *name;
	const char *module; /* NULL for vmlinux, else the name inside "[...]" */
	char type;          /* 't', 'T', 'd', 'D', 'b', 'W' ... as in the file */
};

struct nt_ksyms;

/* Load a kallsyms file.  0 or -errno (-ENOENT, -EACCES, -ENOMEM; -EINVAL when
 * not a single line parses).  An all-zero file loads fine: check
 * nt_ksyms__all_zero(). */
int nt_ksyms__load(const char *path, struct nt_ksyms **out);
/* Same from a memory buffer (copied). */
int nt_ksyms__load_buf(const char *buf, size_t len, struct nt_ksyms **out);
void nt_ksyms__free(struct nt_ksyms *ks);

size_t nt_ksyms__count(const struct nt_ksyms *ks);
/* Lines of the file that did not parse (skipped). */
size_t nt_ksyms__bad_lines(const struct nt_ksyms *ks);
const struct nt_ksym *nt_ksyms__get(const struct nt_ksyms *ks, size_t i);
/* true when every address is 0 (file read without privileges). */
bool nt_ksyms__all_zero(const struct nt_ksyms *ks);

/* true for text (function) symbol types: t T w W. */
static inline bool nt_ksym_is_text(const struct nt_ksym *s)
{
	return s->type == 't' || s->type == 'T' || s->type == 'w' || s->type == 'W';
}

/* All symbols named name, in file order: stores up to max pointers in res and
 * returns the total number of matches (may exceed max). */
size_t nt_ksyms__by_name(const struct nt_ksyms *ks, const char *name, const struct nt_ksym **res,
			 size_t max);

/* Keep only what address lookups need: the names (and module names) move to
 * a pool of their own, the file text and the name index are freed (~11 MB ->
 * ~6 MB for 122k symbols).  nt_ksyms__by_name() finds nothing afterwards.
 * 0 or -ENOMEM (ks unchanged). */
int nt_ksyms__compact(struct nt_ksyms *ks);

/* The symbol with the greatest address <= addr (the function containing addr);
 * NULL if addr is below every symbol.  Among equal addresses, the first in file
 * order.  Builds the address index on first call. */
const struct nt_ksym *nt_ksyms__by_addr(struct nt_ksyms *ks, uint64_t addr);

#endif /* NT_KALLSYMS_H */
