// SPDX-License-Identifier: GPL-2.0
/* logw.c - writer of .ntl logs (byte layout: formats/FORMAT.md).
 *
 * Records are appended to a fixed, preallocated row buffer (no allocation on
 * the event path).  When the buffer is full, or the block spans more than
 * block_ns of record time, it is transformed into the column layout of an
 * EVENTS block, compressed into one zstd frame (with content checksum) and
 * written with a single write() of header + payload, so a crash leaves only
 * complete blocks plus at most one partial block at the end of the file. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "formats/logw.h"
#include "formats/logcodec.h"
#include "formats/evcode2.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the .ntl writer assumes a little-endian host");

struct ntl_writer {
	int fd;
	int own_fd;
	int err;                 /* sticky: first write error (-errno) */
	int fsync;
	ZSTD_CCtx *cctx;
	uint32_t block_bytes;
	uint64_t block_ns;
	uint8_t *rows;           /* block_bytes: records as appended */
	uint32_t rows_len;
	uint32_t rows_count;
	uint64_t first_ts;
	uint8_t *cols;           /* coded payload of the open block (coding 1 or 2) */
	size_t cols_cap;
	int coding;              /* EVENTS coding written: 2 (default) or 1 */
	struct ntl_c2_state *c2; /* coding 2 state, reset per block */
	uint8_t *out;            /* block header + compressed payload */
	size_t out_cap;
	uint64_t bytes;
	uint64_t events;
	char msg[256];
	char *path;              /* a regular file we created / truncated: removed when */
	dev_t dev;               /* nothing but the preamble could be written (issue #16) */
	ino_t ino;
};

static __thread char ntl_open_msg[256];

static void unlink_ours(struct ntl_writer *w);

const char *ntl_writer_open_error(void)
{
	return ntl_open_msg[0] ? ntl_open_msg : "no error";
}

static int w_fail(struct ntl_writer *w, int err, const char *what)
{
	if (!w->err)
		w->err = err;
	snprintf(w->msg, sizeof(w->msg), "%s: %s", what, strerror(-err));
	return err;
}

static int write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int ntl_writer_open(struct ntl_writer **wp, const char *path, const struct ntl_writer_opts *opts)
{
	struct ntl_writer *w = NULL;
	uint8_t pre[NTL_PREAMBLE_LEN];
	int level = 3, err;
	size_t bound;

	*wp = NULL;
	ntl_open_msg[0] = 0;
	w = calloc(1, sizeof(*w));
	if (!w) {
		err = -ENOMEM;
		goto fail;
	}
	w->fd = -1;
	w->block_bytes = NTL_DEFAULT_BLOCK_RAW;
	w->block_ns = 1000000000ull;
	if (opts && opts->sz >= sizeof(*opts)) {
		if (opts->zstd_level)
			level = opts->zstd_level;
		if (opts->block_bytes)
			w->block_bytes = opts->block_bytes;
		if (opts->block_ns)
			w->block_ns = opts->block_ns;
		w->fsync = opts->fsync;
	}
	w->coding = NTL_EV_CODING3;
	if (opts && opts->sz >= sizeof(*opts) && (opts->coding == 1 || opts->coding == 2))
		w->coding = opts->coding;
	if (w->block_bytes < 256 || w->block_bytes > NTL_MAX_EVENTS_ROWS) {
		snprintf(ntl_open_msg, sizeof(ntl_open_msg),
			 "block size %u out of range (256 .. %u bytes)", w->block_bytes,
			 NTL_MAX_EVENTS_ROWS);
		err = -EINVAL;
		goto fail;
	}
	w->rows = malloc(w->block_bytes);
	/* columns: type table + count + the same bytes as the rows */
	/* coding 2: + 1 byte per record (at least 24 bytes each) at most */
	w->cols_cap = ntl_c2_bound(w->block_bytes, w->block_bytes / 24);
	w->cols = malloc(w->cols_cap);
	w->c2 = calloc(1, sizeof(*w->c2));
	bound = ZSTD_compressBound(w->cols_cap);
	w->out_cap = NTL_BLOCK_HDR_LEN + bound;
	w->out = malloc(w->out_cap);
	w->cctx = ZSTD_createCCtx();
	if (!w->rows || !w->cols || !w->c2 || !w->out || !w->cctx) {
		err = -ENOMEM;
		goto fail;
	}
	ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_compressionLevel, level);
	ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_checksumFlag, 1);
	ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_contentSizeFlag, 1);

	if (!strcmp(path, "-")) {
		w->fd = STDOUT_FILENO;
	} else {
		int fl = O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC;

		fl |= (opts && opts->sz >= sizeof(*opts) && opts->force) ? O_TRUNC : O_EXCL;
		w->fd = open(path, fl, 0600);
		if (w->fd < 0) {
			struct stat lst;

			err = -errno;
			if (err == -EEXIST && !lstat(path, &lst) && S_ISLNK(lst.st_mode))
				err = -ELOOP; /* O_EXCL never follows it either: same answer */
			if (err == -EEXIST)
				snprintf(ntl_open_msg, sizeof(ntl_open_msg),
					 "%s: file exists (use --force to overwrite)", path);
			else if (err == -ELOOP)
				snprintf(ntl_open_msg, sizeof(ntl_open_msg),
					 "%s: is a symbolic link (refusing to follow it)", path);
			else
				snprintf(ntl_open_msg, sizeof(ntl_open_msg), "%s: %s", path,
					 strerror(-err));
			goto fail;
		}
		w->own_fd = 1;
		{
			struct stat st;

			if (!fstat(w->fd, &st) && S_ISREG(st.st_mode)) {
				w->path = strdup(path);
				w->dev = st.st_dev;
				w->ino = st.st_ino;
			}
		}
		/* --force truncated an existing file: it keeps its old mode
		 * unless reset (logs are 0600); devices / FIFOs are left alone */
		if (fl & O_TRUNC) {
			struct stat st;

			if (!fstat(w->fd, &st) && S_ISREG(st.st_mode) && (st.st_mode & 07777) != 0600 &&
			    fchmod(w->fd, 0600)) {
				err = -errno;
				snprintf(ntl_open_msg, sizeof(ntl_open_msg), "%s: chmod 0600: %s", path,
					 strerror(-err));
				goto fail;
			}
		}
	}
	memcpy(pre, NTL_FILE_MAGIC, 8);
	ntl_put32(pre + 8, NT_FORMAT_VERSION);
	/* 2.1: EVENTS coding 2, 2.2: coding 3 (an older reader says "written by a newer nft-tracer") */
	ntl_put32(pre + 12, w->coding == NTL_EV_CODING3 ? 2 : w->coding == NTL_EV_CODING2 ? 1 : NTL_VERSION_MINOR);
	err = write_all(w->fd, pre, sizeof(pre));
	if (err) {
		snprintf(ntl_open_msg, sizeof(ntl_open_msg), "%s: write: %s", path, strerror(-err));
		goto fail;
	}
	w->bytes = sizeof(pre);
	snprintf(w->msg, sizeof(w->msg), "no error");
	*wp = w;
	return 0;
fail:
	if (!ntl_open_msg[0])
		snprintf(ntl_open_msg, sizeof(ntl_open_msg), "%s: %s", path, strerror(-err));
	if (w) {
		unlink_ours(w); /* e.g. the preamble did not fit on a full disk: no 0-byte log */
		free(w->path);
		if (w->own_fd && w->fd >= 0)
			close(w->fd);
		ZSTD_freeCCtx(w->cctx);
		free(w->rows);
		free(w->cols);
		free(w->c2);
		free(w->out);
		free(w);
	}
	return err;
}

/* Compress SRC into w->out after a block header and write it in one go. */
static int write_block(struct ntl_writer *w, uint16_t type, uint16_t flags, const void *src,
		       size_t len, ZSTD_CCtx *cctx, uint8_t *out, size_t out_cap)
{
	size_t n;
	int err;

	if (w->err)
		return w->err;
	n = ZSTD_compress2(cctx, out + NTL_BLOCK_HDR_LEN, out_cap - NTL_BLOCK_HDR_LEN, src, len);
	if (ZSTD_isError(n)) {
		snprintf(w->msg, sizeof(w->msg), "zstd: %s", ZSTD_getErrorName(n));
		w->err = -EIO;
		return w->err;
	}
	ntl_put32(out, NTL_BLOCK_MAGIC);
	ntl_put16(out + 4, type);
	ntl_put16(out + 6, flags);
	ntl_put32(out + 8, (uint32_t)n);
	ntl_put32(out + 12, (uint32_t)len);
	err = write_all(w->fd, out, NTL_BLOCK_HDR_LEN + n);
	if (err)
		return w_fail(w, err, "write");
	if (w->fsync && fdatasync(w->fd) && errno != EINVAL && errno != EROFS)
		return w_fail(w, -errno, "fdatasync");
	w->bytes += NTL_BLOCK_HDR_LEN + n;
	return 0;
}

int ntl_writer_flush(struct ntl_writer *w)
{
	size_t clen;
	int err;

	if (!w->rows_count)
		return w->err;
	if (w->coding == NTL_EV_CODING3)
		clen = ntl_c3_encode(w->rows, w->rows_len, w->rows_count, w->cols, w->c2);
	else if (w->coding == NTL_EV_CODING2)
		clen = ntl_c2_encode(w->rows, w->rows_len, w->rows_count, w->cols, w->c2);
	else
		clen = ntl_events_to_columns(w->rows, w->rows_len, w->rows_count, w->cols);
	err = write_block(w, NTL_B_EVENTS, NTL_BF_ZSTD | NTL_BF_COLUMNS, w->cols, clen, w->cctx,
			  w->out, w->out_cap);
	w->rows_len = 0;
	w->rows_count = 0;
	return err;
}

int ntl_writer_meta(struct ntl_writer *w, uint16_t type, const char *json, size_t len)
{
	uint8_t *out;
	size_t cap;
	int err;

	if (type == NTL_B_EVENTS || type == 0) {
		snprintf(w->msg, sizeof(w->msg), "block type %u is not a metadata block", type);
		return -EINVAL;
	}
	if (len > NTL_MAX_META_RAW) {
		snprintf(w->msg, sizeof(w->msg), "metadata block of %zu bytes exceeds %u", len,
			 NTL_MAX_META_RAW);
		return -E2BIG;
	}
	err = ntl_writer_flush(w);
	if (err)
		return err;
	cap = NTL_BLOCK_HDR_LEN + ZSTD_compressBound(len);
	out = cap <= w->out_cap ? w->out : malloc(cap);
	if (!out)
		return -ENOMEM;
	err = write_block(w, type, NTL_BF_ZSTD, json, len, w->cctx, out, cap);
	if (out != w->out)
		free(out);
	return err;
}

int ntl_writer_event(struct ntl_writer *w, const void *rec, size_t len)
{
	struct nt_ev_hdr hb, *h = &hb; /* a copy: REC need not be aligned */
	uint32_t need;
	int err;

	if (len >= sizeof(hb))
		memcpy(&hb, rec, sizeof(hb));
	if (len < sizeof(*h) || ntl_rec_len(rec, len) != len || h->type >= NT_EV__MAX) {
		unsigned int t = len >= 1 ? *(const uint8_t *)rec : 0;

		snprintf(w->msg, sizeof(w->msg), "record of type %u has %zu bytes, expected %u",
			 t, len, nt_ev_size(t));
		return -EINVAL;
	}
	need = (uint32_t)len;
	if (need > w->block_bytes) { /* a BYTES record (up to 304 bytes) in 256-byte blocks */
		snprintf(w->msg, sizeof(w->msg), "record of %zu bytes exceeds the block size %u", len,
			 w->block_bytes);
		return -EINVAL;
	}
	/* Out-of-order timestamps (ts < first_ts) never close a block by age. */
	if (w->rows_count && (w->rows_len + need > w->block_bytes ||
			      (w->first_ts && h->ts_ns > w->first_ts && h->ts_ns - w->first_ts > w->block_ns))) {
		err = ntl_writer_flush(w);
		if (err)
			return err;
	}
	if (!w->rows_count || !w->first_ts)
		w->first_ts = h->ts_ns;
	memcpy(w->rows + w->rows_len, rec, len);
	w->rows_len += need;
	w->rows_count++;
	w->events++;
	return 0;
}

uint64_t ntl_writer_bytes(const struct ntl_writer *w)
{
	return w->bytes;
}

uint64_t ntl_writer_events(const struct ntl_writer *w)
{
	return w->events;
}

/* Remove the file at w->path if it is still the one we opened. */
static void unlink_ours(struct ntl_writer *w)
{
	struct stat st;

	if (w->path && !lstat(w->path, &st) && S_ISREG(st.st_mode) && st.st_dev == w->dev &&
	    st.st_ino == w->ino)
		unlink(w->path);
}

/* DISCARD: the writer failed or was aborted; no log file is passed off as
 * one when not even a block could be written: it is removed. */
static void writer_free(struct ntl_writer *w, int discard)
{
	if (discard && w->bytes <= NTL_PREAMBLE_LEN)
		unlink_ours(w);
	free(w->path);
	if (w->own_fd && w->fd >= 0)
		close(w->fd);
	ZSTD_freeCCtx(w->cctx);
	free(w->rows);
	free(w->cols);
	free(w->c2);
	free(w->out);
	free(w);
}

int ntl_writer_close(struct ntl_writer *w, const char *trailer_json)
{
	int err;

	if (!w)
		return 0;
	err = ntl_writer_flush(w);
	if (!err && trailer_json)
		err = ntl_writer_meta(w, NTL_B_TRAILER, trailer_json, strlen(trailer_json));
	if (!err && w->own_fd && w->fsync && fsync(w->fd) && errno != EINVAL)
		err = -errno;
	if (w->own_fd && w->fd >= 0) {
		if (close(w->fd) && !err)
			err = -errno;
		w->fd = -1;
	}
	if (err)
		snprintf(ntl_open_msg, sizeof(ntl_open_msg), "%s", w->msg);
	writer_free(w, err != 0);
	return err;
}

void ntl_writer_abort(struct ntl_writer *w)
{
	if (w)
		writer_free(w, 1);
}

const char *ntl_writer_strerror(const struct ntl_writer *w)
{
	return w ? w->msg : ntl_writer_open_error();
}
