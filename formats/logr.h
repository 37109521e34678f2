/* SPDX-License-Identifier: GPL-2.0 */
/* logr.h - streaming reader of .ntl logs (see FORMAT.md).  Treats the file as
 * hostile: every length is checked before use, nothing is allocated from an
 * unchecked size.  Memory is bounded by the largest block (64 MiB max). */
#ifndef NT_LOGR_H
#define NT_LOGR_H

#include <stddef.h>
#include <stdint.h>
#include "formats/ntlog.h"

struct ntl_reader;

/* The first member of a reader: the records of a coding 2 / 3 EVENTS block,
 * decoded whole (8-byte aligned), that ntl_reader_next() returns in place;
 * ntl_reader_next_row() reads them inline.  Read only outside logr.c. */
struct ntl_reader_rows {
	const uint8_t *row_p, *row_end;
	uint64_t events;         /* records returned so far */
	uint16_t c_size[256];    /* record size per type in the block (0 = absent,
				  * NT_EV_SIZE_VAR = variable) */
	uint8_t row_as_is[256];  /* 1: the block's size of the type is ours */
};

/* What ntl_reader_next() returned */
enum ntl_item_kind {
	NTL_ITEM_META = 1,   /* a metadata block: type = NTL_B_*, data = JSON (NUL terminated);
			      * NTL_B_STACKS: binary (formats/stacks.h), NUL after it too */
	NTL_ITEM_EVENT = 2,  /* one record: type = NT_EV_*, data = record (ts_ns absolute) */
};

struct ntl_item {
	int kind;
	uint16_t type;
	const void *data;    /* valid until the next call */
	size_t len;
	uint64_t offset;     /* file offset of the block holding it */
};

/* Status codes (also the reader's view of why it stopped) */
enum ntl_status {
	NTL_OK = 0,
	NTL_END = 1,          /* clean end of file */
	NTL_E_IO = -1,        /* read error */
	NTL_E_MAGIC = -2,     /* not an .ntl file */
	NTL_E_VERSION = -3,   /* newer major format version */
	NTL_E_TRUNCATED = -4, /* file ends inside a block: everything before was returned */
	NTL_E_CORRUPT = -5,   /* bad block header / zstd frame / record */
	NTL_E_NOMEM = -6,
};

/* Open PATH ("-" = stdin). Returns 0 or an ntl_status < 0; on error *r is NULL
 * and msg (if not NULL) receives a static or thread-local text. */
int ntl_reader_open(struct ntl_reader **r, const char *path, const char **msg);

/* Next item. Returns NTL_OK with *it filled, NTL_END at a clean end, or a
 * negative ntl_status; then ntl_reader_strerror() says where and why
 * ("truncated block at offset 1234: 200 of 4096 bytes"). */
int ntl_reader_next(struct ntl_reader *r, struct ntl_item *it);

/* ntl_reader_next()'s common case, inline: the next record of a decoded
 * coding 2 / 3 block when its type has our fixed size.  1 with *DATA (valid
 * until the next call) and *LEN, the record counted as ntl_reader_next()
 * counts it; 0: call ntl_reader_next() (the same record: nothing consumed). */
static inline int ntl_reader_next_row(struct ntl_reader *r, const void **data, size_t *len)
{
	struct ntl_reader_rows *f = (struct ntl_reader_rows *)r;
	const uint8_t *p = f->row_p;

	if (__builtin_expect(p < f->row_end, 1)) {
		unsigned int t = p[0], sz = f->c_size[t];

		if (__builtin_expect(sz != NT_EV_SIZE_VAR && f->row_as_is[t], 1)) {
			f->row_p = p + ((sz + 7) & ~7u);
			f->events++;
			*data = p;
			*len = sz;
			return 1;
		}
	}
	return 0;
}

/* Same as ntl_reader_open() over a memory buffer (tests, fuzzing); DATA must
 * stay valid until ntl_reader_close(). NAME is used in messages. */
int ntl_reader_open_mem(struct ntl_reader **r, const void *data, size_t len, const char *name,
			const char **msg);

/* Why the reader stopped (after a negative status), prefixed with the file name. */
const char *ntl_reader_strerror(const struct ntl_reader *r);
/* Records returned so far, and input bytes consumed so far. */
uint64_t ntl_reader_events(const struct ntl_reader *r);
uint64_t ntl_reader_offset(const struct ntl_reader *r);
uint32_t ntl_reader_version(const struct ntl_reader *r);
/* Records of types this reader does not know (written by a newer minor
 * version of the format), skipped by their size. */
uint64_t ntl_reader_skipped(const struct ntl_reader *r);
/* Whether a TRAILER block was seen (recording ended cleanly). */
int ntl_reader_complete(const struct ntl_reader *r);
void ntl_reader_close(struct ntl_reader *r);

#endif
