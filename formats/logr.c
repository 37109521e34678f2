// SPDX-License-Identifier: GPL-2.0
/* logr.c - streaming reader of .ntl logs (byte layout: formats/FORMAT.md).
 *
 * The input is hostile: every length is checked against the limits of
 * ntlog.h, and for regular files against the bytes left in the file, before
 * anything is allocated.  One block is held at a time.  The reader stops at
 * the first damage with one message saying where and why; everything before
 * it has been returned. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "formats/logr.h"
#include "formats/logcodec.h"
#include "formats/evcode2.h"

/* Room for the largest record: fixed records are at most a few hundred bytes,
 * variable ones (format 2) at most 65535. */
#define NTL_REC_MAX 65536
#define NTL_TYPES 256     /* type byte range */

/* Record sizes of format version 1 (no type table in its EVENTS blocks) */
static const uint16_t v1_sizes[NTL_TYPES] = {
	[NT_EV_FUNC] = 24, [NT_EV_META] = 88, [NT_EV_NFT_CHAIN] = 48, [NT_EV_NFT_RULE] = 64,
	[NT_EV_NFT_CHAINDEF] = 176, [NT_EV_DROP] = 40, [NT_EV_LINK] = 40, [NT_EV_LOSS] = 40,
	[NT_EV_FREE] = 24,
};

struct ntl_reader {
	struct ntl_reader_rows f; /* first: what ntl_reader_next_row() reads (logr.h) */
	char name[256];
	int fd;
	int own_fd;
	const uint8_t *mem;      /* memory source (ntl_reader_open_mem) */
	size_t mem_len;
	uint64_t size;           /* bytes in the input, UINT64_MAX if unknown (pipe) */
	uint64_t off;            /* offset of the next unread byte */
	uint32_t major, minor;
	ZSTD_DCtx *dctx;
	uint8_t *stored;
	size_t stored_cap;
	uint8_t *raw;            /* decompressed payload (+1 for a NUL) */
	size_t raw_cap;
	/* an EVENTS block of coding 2 or 3, decoded into its records (8-byte
	 * aligned, formats/evcode2.h): ntl_reader_next() returns them where
	 * they are, from f.row_p up to f.row_end */
	uint8_t *rows;
	size_t rows_cap;
	struct ntl_c2_state *c2; /* its decoding state (allocated at the first such block) */
	/* an EVENTS block of coding 1 (formats 1 and 2.0) being returned: column
	 * cursors (logcodec.h layout); each record is rebuilt into rec by
	 * ntl_reader_next(), one at a time */
	const uint8_t *c_ty, *c_fl, *c_cpu, *c_id, *c_ts, *c_skb, *c_body;
	uint32_t c_i, c_n;
	uint64_t c_pts, c_pskb;
	uint16_t our_size[NTL_TYPES]; /* ours (nt_ev_size), NT_EV_SIZE_VAR, 0 = unknown */
	uint64_t skipped;        /* records of types unknown to this reader */
	uint64_t rec[NTL_REC_MAX / 8];
	uint64_t block_off;
	uint64_t blocks;
	int complete;
	int status;              /* sticky final status once != NTL_OK */
	char msg[700];
};

static __thread char ntl_reader_open_msg[700];

/* The reader's message "NAME: TEXT", for damage after the preamble
 * "NAME: TEXT: K events read before it" (WITH_EVENTS). */
static int r_vset(struct ntl_reader *r, int status, int with_events, const char *fmt, va_list ap)
{
	char buf[400];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (with_events)
		snprintf(r->msg, sizeof(r->msg), "%s: %s: %" PRIu64 " events read before it", r->name, buf,
			 r->f.events);
	else
		snprintf(r->msg, sizeof(r->msg), "%s: %s", r->name, buf);
	r->status = status;
	return status;
}

static int r_set(struct ntl_reader *r, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int r_bad(struct ntl_reader *r, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int r_set(struct ntl_reader *r, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	r_vset(r, status, 0, fmt, ap);
	va_end(ap);
	return status;
}

/* r_set() for damage found after the preamble (every such message ends with
 * how many records were returned before it) */
static int r_bad(struct ntl_reader *r, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	r_vset(r, status, 1, fmt, ap);
	va_end(ap);
	return status;
}

/* Read up to LEN bytes; returns bytes read (< LEN only at end of input) or -errno. */
static ssize_t src_read(struct ntl_reader *r, void *buf, size_t len)
{
	size_t got = 0;

	if (r->mem) {
		size_t left = r->off < r->mem_len ? r->mem_len - (size_t)r->off : 0;

		got = len < left ? len : left;
		memcpy(buf, r->mem + r->off, got);
		r->off += got;
		return (ssize_t)got;
	}
	while (got < len) {
		ssize_t n = read(r->fd, (uint8_t *)buf + got, len - got);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	r->off += got;
	return (ssize_t)got;
}

static int grow(uint8_t **buf, size_t *cap, size_t need)
{
	uint8_t *p;

	if (need <= *cap)
		return 0;
	p = realloc(*buf, need);
	if (!p)
		return -ENOMEM;
	*buf = p;
	*cap = need;
	return 0;
}

static int read_preamble(struct ntl_reader *r)
{
	static const uint8_t zstd_magic[4] = { 0x28, 0xb5, 0x2f, 0xfd };
	uint8_t pre[NTL_PREAMBLE_LEN];
	ssize_t n = src_read(r, pre, sizeof(pre));

	if (n < 0)
		return r_set(r, NTL_E_IO, "read: %s", strerror((int)-n));
	if (n == 0)
		return r_set(r, NTL_E_MAGIC, "empty file: not an nft-tracer log");
	if (n >= 4 && !memcmp(pre, zstd_magic, 4))
		return r_set(r, NTL_E_MAGIC,
			     "not an nft-tracer log (bad magic): it is a zstd file, decompress it first");
	if (memcmp(pre, NTL_FILE_MAGIC, (size_t)n < 8 ? (size_t)n : 8))
		return r_set(r, NTL_E_MAGIC, "not an nft-tracer log (bad magic)");
	if (n < (ssize_t)sizeof(pre))
		return r_set(r, NTL_E_TRUNCATED,
			     "truncated at offset %zd (file preamble of %d bytes, %zd present): 0 events read before it",
			     n, NTL_PREAMBLE_LEN, n);
	r->major = ntl_get32(pre + 8);
	r->minor = ntl_get32(pre + 12);
	if (r->major > NT_FORMAT_VERSION)
		return r_set(r, NTL_E_VERSION,
			     "format version %u is newer than this nft-analyze (%u): upgrade nft-tracer",
			     r->major, NT_FORMAT_VERSION);
	if (r->major == 0)
		return r_set(r, NTL_E_CORRUPT, "format version 0 is invalid: corrupt preamble");
	return NTL_OK;
}

static int reader_new(struct ntl_reader **rp, const char *name)
{
	struct ntl_reader *r = calloc(1, sizeof(*r));

	*rp = NULL;
	if (!r)
		return NTL_E_NOMEM;
	snprintf(r->name, sizeof(r->name), "%s", name);
	for (unsigned int t = 1; t < NT_EV__MAX; t++)
		r->our_size[t] = nt_ev_is_var(t) ? NT_EV_SIZE_VAR : (uint16_t)nt_ev_size(t);
	r->fd = -1;
	r->size = UINT64_MAX;
	r->dctx = ZSTD_createDCtx();
	if (!r->dctx) {
		free(r);
		return NTL_E_NOMEM;
	}
	*rp = r;
	return 0;
}

static int reader_start(struct ntl_reader **rp, struct ntl_reader *r, const char **msg)
{
	int st = read_preamble(r);

	if (st != NTL_OK) {
		snprintf(ntl_reader_open_msg, sizeof(ntl_reader_open_msg), "%s", r->msg);
		if (msg)
			*msg = ntl_reader_open_msg;
		ntl_reader_close(r);
		return st;
	}
	*rp = r;
	return 0;
}

int ntl_reader_open(struct ntl_reader **rp, const char *path, const char **msg)
{
	struct ntl_reader *r;
	struct stat st;
	int err;

	*rp = NULL;
	err = reader_new(&r, !strcmp(path, "-") ? "<stdin>" : path);
	if (err) {
		if (msg)
			*msg = "out of memory";
		return err;
	}
	if (!strcmp(path, "-")) {
		r->fd = STDIN_FILENO;
	} else {
		r->fd = open(path, O_RDONLY | O_CLOEXEC);
		if (r->fd < 0) {
			snprintf(ntl_reader_open_msg, sizeof(ntl_reader_open_msg), "%s: %s", path,
				 strerror(errno));
			if (msg)
				*msg = ntl_reader_open_msg;
			ntl_reader_close(r);
			return NTL_E_IO;
		}
		r->own_fd = 1;
	}
	if (!fstat(r->fd, &st)) {
		if (S_ISDIR(st.st_mode)) {
			snprintf(ntl_reader_open_msg, sizeof(ntl_reader_open_msg),
				 "%s: is a directory, not an nft-tracer log", r->name);
			if (msg)
				*msg = ntl_reader_open_msg;
			ntl_reader_close(r);
			return NTL_E_IO;
		}
		if (S_ISREG(st.st_mode))
			r->size = (uint64_t)st.st_size;
	}
	return reader_start(rp, r, msg);
}

int ntl_reader_open_mem(struct ntl_reader **rp, const void *data, size_t len, const char *name,
			const char **msg)
{
	struct ntl_reader *r;
	int err;

	*rp = NULL;
	err = reader_new(&r, name ? name : "<memory>");
	if (err) {
		if (msg)
			*msg = "out of memory";
		return err;
	}
	r->mem = data;
	r->mem_len = len;
	r->size = len;
	if (!data)
		r->mem = (const uint8_t *)"";
	return reader_start(rp, r, msg);
}

/* An EVENTS payload P (LEN bytes) of coding 2 or 3, its type table already
 * in r->f.c_size: decoded into its records (r->rows), which
 * ntl_reader_next() returns in place. */
static int decode_rows(struct ntl_reader *r, const uint8_t *p, size_t len)
{
	const char *why = "?";
	unsigned int coding = p[0], nt = p[1];
	size_t rows_len;
	uint32_t n, nvar;
	int err;

	r->f.row_p = r->f.row_end = NULL;
	if (!r->c2 && !(r->c2 = calloc(1, sizeof(*r->c2))))
		return r_bad(r, NTL_E_NOMEM, "out of memory at offset %" PRIu64 " for an EVENTS block",
			     r->block_off);
	err = (coding == NTL_EV_CODING3 ? ntl_c3_decode : ntl_c2_decode)(
		p + 2 + 2 * (size_t)nt, len - 2 - 2 * (size_t)nt, r->f.c_size, &r->rows, &r->rows_cap,
		&rows_len, &n, &nvar, r->c2, &why);
	if (err)
		return r_bad(r, strcmp(why, "out of memory") ? NTL_E_CORRUPT : NTL_E_NOMEM,
			     "corrupt at offset %" PRIu64 ": EVENTS block (coding %u): %s",
			     r->block_off, coding, why);
	for (unsigned int t = 0; t < NTL_TYPES; t++)
		r->f.row_as_is[t] = r->our_size[t] && r->our_size[t] == r->f.c_size[t];
	if (nvar) {
		/* a variable-size record of ours at least as long as its fixed part */
		const uint8_t *q = r->rows;

		for (uint32_t i = 0; i < n; i++) {
			unsigned int t = q[0], sz = r->f.c_size[t];

			if (sz == NT_EV_SIZE_VAR) {
				sz = ntl_get16(q + 24);
				if (r->our_size[t] == NT_EV_SIZE_VAR && sz < nt_ev_size(t))
					return r_bad(r, NTL_E_CORRUPT,
						     "corrupt at offset %" PRIu64 ": EVENTS block: record %u (type %u) has length %u",
						     r->block_off, i, t, sz);
			}
			q += (sz + 7) & ~7u;
		}
	}
	r->f.row_p = r->rows;
	r->f.row_end = r->rows + rows_len;
	return NTL_OK;
}

/* Check the column layout (logcodec.h) of an EVENTS payload and set the
 * column cursors; ntl_reader_next() rebuilds the records one by one.
 * Format 1: no type table (v1_sizes); format 2: coding byte + type table. */
static int decode_events(struct ntl_reader *r, const uint8_t *p, size_t len)
{
	const uint8_t *ty, *body;
	uint64_t n, total;

	if (r->major == 1) {
		memcpy(r->f.c_size, v1_sizes, sizeof(r->f.c_size));
	} else {
		unsigned int nt;

		if (len < 2)
			return r_bad(r, NTL_E_CORRUPT, "corrupt at offset %" PRIu64 ": EVENTS block of %zu bytes, less than its type table",
				     r->block_off, len);
		if (p[0] != NTL_EV_CODING && p[0] != NTL_EV_CODING2 && p[0] != NTL_EV_CODING3)
			return r_bad(r, NTL_E_CORRUPT,
				     "corrupt at offset %" PRIu64 ": EVENTS block with unknown coding %u (written by a newer nft-tracer? upgrade)",
				     r->block_off, p[0]);
		nt = p[1];
		if (len < 2 + 2 * (size_t)nt)
			return r_bad(r, NTL_E_CORRUPT, "corrupt at offset %" PRIu64 ": EVENTS block of %zu bytes, less than its type table",
				     r->block_off, len);
		memset(r->f.c_size, 0, sizeof(r->f.c_size));
		for (unsigned int t = 1; t <= nt; t++) {
			uint16_t sz = ntl_get16(p + 2 * t);

			if (sz && sz != NT_EV_SIZE_VAR && sz < 24)
				return r_bad(r, NTL_E_CORRUPT,
					     "corrupt at offset %" PRIu64 ": EVENTS block: type %u has records of %u bytes (less than the 24-byte header)",
					     r->block_off, t, sz);
			r->f.c_size[t] = sz;
		}
		if (p[0] == NTL_EV_CODING2 || p[0] == NTL_EV_CODING3)
			return decode_rows(r, p, len);
		p += 2 + 2 * (size_t)nt;
		len -= 2 + 2 * (size_t)nt;
	}
	if (len < 4)
		return r_bad(r, NTL_E_CORRUPT, "corrupt at offset %" PRIu64 ": EVENTS block of %zu bytes, less than its 4-byte record count",
			     r->block_off, len);
	n = ntl_get32(p);
	if (n * 24 > len - 4)
		return r_bad(r, NTL_E_CORRUPT,
			     "corrupt at offset %" PRIu64 ": EVENTS block: %" PRIu64 " records do not fit in %zu bytes",
			     r->block_off, n, len);
	ty = p + 4;
	body = ty + 24 * n;
	total = 4 + n * 24;
	for (uint64_t i = 0; i < n; i++) {
		unsigned int sz = r->f.c_size[ty[i]];

		if (!sz)
			return r_bad(r, NTL_E_CORRUPT,
				     "corrupt at offset %" PRIu64 ": EVENTS block: record %" PRIu64 " has unknown type %u",
				     r->block_off, i, ty[i]);
		if (sz == NT_EV_SIZE_VAR) {
			/* the body starts with the record's total length */
			if (total + 2 > len)
				return r_bad(r, NTL_E_CORRUPT,
					     "corrupt at offset %" PRIu64 ": EVENTS block: record %" PRIu64 " (type %u) lacks its length",
					     r->block_off, i, ty[i]);
			sz = ntl_get16(p + total);
			if (sz < 26 || (r->our_size[ty[i]] == NT_EV_SIZE_VAR && sz < nt_ev_size(ty[i])))
				return r_bad(r, NTL_E_CORRUPT,
					     "corrupt at offset %" PRIu64 ": EVENTS block: record %" PRIu64 " (type %u) has length %u",
					     r->block_off, i, ty[i], sz);
		}
		total += sz - 24;
		if (total > len)
			break;
	}
	if (total != len)
		return r_bad(r, NTL_E_CORRUPT,
			     "corrupt at offset %" PRIu64 ": EVENTS block: record sizes add up to %s%" PRIu64 " bytes, block has %zu",
			     r->block_off, total > len ? "more than " : "", total, len);
	(void)body;
	r->c_ty = ty;
	r->c_fl = ty + n;
	r->c_cpu = r->c_fl + n;
	r->c_id = r->c_cpu + 2 * n;
	r->c_ts = r->c_id + 4 * n;
	r->c_skb = r->c_ts + 8 * n;
	r->c_body = r->c_skb + 8 * n;
	r->c_i = 0;
	r->c_n = (uint32_t)n;
	r->c_pts = 0;
	r->c_pskb = 0;
	return NTL_OK;
}

static int read_block(struct ntl_reader *r, struct ntl_item *it)
{
	uint8_t hdr[NTL_BLOCK_HDR_LEN];
	uint32_t magic, stored_len, raw_len;
	uint16_t type, flags;
	const uint8_t *payload;
	ssize_t n;

	r->block_off = r->off;
	n = src_read(r, hdr, sizeof(hdr));
	if (n < 0)
		return r_bad(r, NTL_E_IO, "read at offset %" PRIu64 ": %s", r->off, strerror((int)-n));
	if (n == 0)
		return NTL_END;
	if (n < (ssize_t)sizeof(hdr))
		return r_bad(r, NTL_E_TRUNCATED,
			     "truncated at offset %" PRIu64 " (block header of %d bytes, %zd present)",
			     r->block_off, NTL_BLOCK_HDR_LEN, n);
	magic = ntl_get32(hdr);
	type = ntl_get16(hdr + 4);
	flags = ntl_get16(hdr + 6);
	stored_len = ntl_get32(hdr + 8);
	raw_len = ntl_get32(hdr + 12);
	if (magic != NTL_BLOCK_MAGIC)
		return r_bad(r, NTL_E_CORRUPT,
			     "corrupt at offset %" PRIu64 ": bad block magic 0x%08x (expected \"NTBK\")",
			     r->block_off, magic);
	if (flags & ~NTL_BF_KNOWN)
		return r_bad(r, NTL_E_CORRUPT,
			     "corrupt at offset %" PRIu64 ": block has unknown flags 0x%04x",
			     r->block_off, flags);
	if (stored_len > NTL_MAX_BLOCK_STORED || raw_len > NTL_MAX_BLOCK_RAW ||
	    (type != NTL_B_EVENTS && raw_len > NTL_MAX_META_RAW))
		return r_bad(r, NTL_E_CORRUPT,
			     "corrupt at offset %" PRIu64 ": block lengths %u stored / %u raw exceed the limit of %u bytes",
			     r->block_off, stored_len, raw_len, NTL_MAX_BLOCK_RAW);
	if (!(flags & NTL_BF_ZSTD) && stored_len != raw_len)
		return r_bad(r, NTL_E_CORRUPT,
			     "corrupt at offset %" PRIu64 ": uncompressed block with %u stored != %u raw bytes",
			     r->block_off, stored_len, raw_len);
	if (type == NTL_B_EVENTS && !(flags & NTL_BF_COLUMNS))
		return r_bad(r, NTL_E_CORRUPT,
			     "corrupt at offset %" PRIu64 ": EVENTS block without the column coding flag",
			     r->block_off);
	if (r->size != UINT64_MAX && r->off + stored_len > r->size)
		return r_bad(r, NTL_E_TRUNCATED,
			     "truncated at offset %" PRIu64 " (block of %u bytes, %" PRIu64 " present)",
			     r->block_off, stored_len, r->size - r->off);
	if (r->mem) {
		payload = r->mem + r->off;
		r->off += stored_len;
	} else {
		if (grow(&r->stored, &r->stored_cap, stored_len ? stored_len : 1))
			return r_bad(r, NTL_E_NOMEM, "out of memory at offset %" PRIu64 " for a block of %u bytes", r->block_off, stored_len);
		n = src_read(r, r->stored, stored_len);
		if (n < 0)
			return r_bad(r, NTL_E_IO, "read at offset %" PRIu64 ": %s", r->off, strerror((int)-n));
		if ((size_t)n < stored_len)
			return r_bad(r, NTL_E_TRUNCATED,
				     "truncated at offset %" PRIu64 " (block of %u bytes, %zd present)",
				     r->block_off, stored_len, n);
		payload = r->stored;
	}
	if (grow(&r->raw, &r->raw_cap, (size_t)raw_len + 1))
		return r_bad(r, NTL_E_NOMEM, "out of memory at offset %" PRIu64 " for a block of %u bytes", r->block_off, raw_len);
	if (flags & NTL_BF_ZSTD) {
		unsigned long long fcs = ZSTD_getFrameContentSize(payload, stored_len);
		size_t fsz = ZSTD_findFrameCompressedSize(payload, stored_len);
		size_t got;

		if (fcs != raw_len || ZSTD_isError(fsz) || fsz != stored_len)
			return r_bad(r, NTL_E_CORRUPT,
				     "corrupt at offset %" PRIu64 ": block of %u bytes is not one zstd frame of %u bytes",
				     r->block_off, stored_len, raw_len);
		got = ZSTD_decompressDCtx(r->dctx, r->raw, raw_len + 1, payload, stored_len);
		if (ZSTD_isError(got) || got != raw_len)
			return r_bad(r, NTL_E_CORRUPT,
				     "corrupt at offset %" PRIu64 ": bad zstd frame in block of %u bytes (%s)",
				     r->block_off, stored_len,
				     ZSTD_isError(got) ? ZSTD_getErrorName(got) : "wrong size");
	} else {
		memcpy(r->raw, payload, raw_len);
	}
	r->blocks++;
	if (type == NTL_B_EVENTS)
		return decode_events(r, r->raw, raw_len);
	r->raw[raw_len] = 0;
	if (type == NTL_B_TRAILER)
		r->complete = 1;
	/* the metadata blocks: JSON, but STACKS (binary, formats/stacks.h); CLOCK included */
	if ((type >= NTL_B_HEADER && type <= NTL_B_CLOCK) || type == NTL_B_TRAILER) {
		it->kind = NTL_ITEM_META;
		it->type = type;
		it->data = r->raw;
		it->len = raw_len;
		it->offset = r->block_off;
		return 2; /* an item (not an ntl_status) */
	}
	return NTL_OK; /* unknown block type: skipped by length */
}

/* memcpy() of a record body with a constant size per record size: inline
 * moves instead of a variable-length copy (rep movs) for every record. */
static inline void body_copy(void *dst, const uint8_t *src, unsigned int n)
{
	switch (n) {
	case 8: memcpy(dst, src, 8); break;
	case 16: memcpy(dst, src, 16); break;
	case 24: memcpy(dst, src, 24); break;
	case 40: memcpy(dst, src, 40); break;
	case 64: memcpy(dst, src, 64); break;
	case 72: memcpy(dst, src, 72); break;
	default: memcpy(dst, src, n); break;
	}
}

/* *IT: the decoded record P of SZ bytes, in place */
static inline int row_item(struct ntl_reader *r, const uint8_t *p, unsigned int sz,
			   struct ntl_item *it)
{
	it->kind = NTL_ITEM_EVENT;
	it->type = p[0];
	it->data = p;
	it->len = sz;
	it->offset = r->block_off;
	r->f.events++;
	return NTL_OK;
}

/* A decoded record P (SZ bytes, as the block sizes its type) whose type this
 * reader sizes otherwise: copied into r->rec at our size (an older, shorter
 * layout: zeros after it; a newer, longer one: the known prefix), or
 * skipped (a type this reader does not know).  NTL_OK: *IT filled. */
static int row_other(struct ntl_reader *r, const uint8_t *p, unsigned int sz, struct ntl_item *it)
{
	unsigned int t = p[0], our = r->our_size[t];

	if (!our || (our == NT_EV_SIZE_VAR) != (r->f.c_size[t] == NT_EV_SIZE_VAR)) {
		r->skipped++;
		return 1;
	}
	if (our == NT_EV_SIZE_VAR)
		our = sz; /* (not reached: a variable size is taken as it is) */
	memcpy(r->rec, p, sz < our ? sz : our);
	if (sz < our)
		memset((uint8_t *)r->rec + sz, 0, our - sz);
	it->kind = NTL_ITEM_EVENT;
	it->type = (uint16_t)t;
	it->data = r->rec;
	it->len = our;
	it->offset = r->block_off;
	r->f.events++;
	return NTL_OK;
}

/* ntl_reader_next() past its fast path: a record to copy or skip, a
 * record of a coding 1 block, the next block, the end or an error */
static __attribute__((noinline)) int next_slow(struct ntl_reader *r, struct ntl_item *it)
{
	int st;

	if (r->status)
		return r->status;
	for (;;) {
		while (r->f.row_p < r->f.row_end) {
			const uint8_t *p = r->f.row_p;
			unsigned int t = p[0], sz = r->f.c_size[t];

			if (sz == NT_EV_SIZE_VAR)
				sz = ntl_get16(p + 24); /* checked by the decoder */
			r->f.row_p += (sz + 7) & ~7u;
			if (r->f.row_as_is[t])
				return row_item(r, p, sz, it);
			st = row_other(r, p, sz, it);
			if (st == NTL_OK)
				return st;
		}
		while (r->c_i < r->c_n) {
			struct nt_ev_hdr *h = (struct nt_ev_hdr *)r->rec;
			uint32_t i = r->c_i++;
			unsigned int t = r->c_ty[i];
			unsigned int bsz = r->f.c_size[t], our = r->our_size[t];
			uint64_t d, x;

			if (bsz == NT_EV_SIZE_VAR)
				bsz = ntl_get16(r->c_body); /* checked by decode_events() */
			memcpy(&d, r->c_ts + 8 * (size_t)i, 8);
			memcpy(&x, r->c_skb + 8 * (size_t)i, 8);
			r->c_pts += d;
			r->c_pskb ^= x;
			if (!our || (our == NT_EV_SIZE_VAR) != (r->f.c_size[t] == NT_EV_SIZE_VAR)) {
				/* a type this reader does not know (a newer minor
				 * version): skipped by its size */
				r->c_body += bsz - sizeof(*h);
				r->skipped++;
				continue;
			}
			if (our == NT_EV_SIZE_VAR)
				our = bsz;
			h->type = (uint8_t)t;
			h->flags = r->c_fl[i];
			memcpy(&h->cpu, r->c_cpu + 2 * (size_t)i, 2);
			memcpy(&h->id, r->c_id + 4 * (size_t)i, 4);
			h->ts_ns = r->c_pts;
			h->skb = r->c_pskb;
			if (bsz == our) {
				if (our > sizeof(*h))
					body_copy(h + 1, r->c_body, our - sizeof(*h));
			} else if (bsz < our) {
				/* an older, shorter layout (format 1 META): the
				 * fields added at the end are zero */
				memcpy(h + 1, r->c_body, bsz - sizeof(*h));
				memset((uint8_t *)r->rec + bsz, 0, our - bsz);
			} else {
				/* a newer, longer layout: the known prefix */
				memcpy(h + 1, r->c_body, our - sizeof(*h));
			}
			r->c_body += bsz - sizeof(*h);
			it->kind = NTL_ITEM_EVENT;
			it->type = h->type;
			it->data = h;
			it->len = our;
			it->offset = r->block_off;
			r->f.events++;
			return NTL_OK;
		}
		st = read_block(r, it);
		if (st == 2)
			return NTL_OK;
		if (st != NTL_OK) {
			if (st == NTL_END)
				r->status = NTL_END;
			return st;
		}
	}
}

/* The fast path: the next decoded record of a coding 2 or 3 block, returned
 * where it is (rows are only set while r->status is NTL_OK) */
int ntl_reader_next(struct ntl_reader *r, struct ntl_item *it)
{
	const uint8_t *p = r->f.row_p;

	if (__builtin_expect(p < r->f.row_end, 1)) {
		unsigned int t = p[0], sz = r->f.c_size[t];

		if (__builtin_expect(sz != NT_EV_SIZE_VAR && r->f.row_as_is[t], 1)) {
			r->f.row_p = p + ((sz + 7) & ~7u);
			return row_item(r, p, sz, it);
		}
	}
	return next_slow(r, it);
}

uint64_t ntl_reader_skipped(const struct ntl_reader *r)
{
	return r->skipped;
}

const char *ntl_reader_strerror(const struct ntl_reader *r)
{
	if (!r)
		return ntl_reader_open_msg;
	if (r->status == NTL_END || r->status == NTL_OK)
		return "no error";
	return r->msg;
}

uint32_t ntl_reader_version(const struct ntl_reader *r)
{
	return r->major;
}

int ntl_reader_complete(const struct ntl_reader *r)
{
	return r->complete;
}

uint64_t ntl_reader_events(const struct ntl_reader *r)
{
	return r->f.events;
}

uint64_t ntl_reader_offset(const struct ntl_reader *r)
{
	return r->off;
}

void ntl_reader_close(struct ntl_reader *r)
{
	if (!r)
		return;
	if (r->own_fd && r->fd >= 0)
		close(r->fd);
	ZSTD_freeDCtx(r->dctx);
	free(r->stored);
	free(r->raw);
	free(r->rows);
	if (r->c2)
		free(r->c2->drows);
	free(r->c2);
	free(r);
}
