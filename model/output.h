/* SPDX-License-Identifier: GPL-2.0 */
/* output.h - streaming JSON writer (never holds a document in memory) and
 * shared text helpers of nft-analyze.  Event line / flow formatting is
 * declared in model.h (the recorder uses it too). */
#ifndef NT_OUTPUT_H
#define NT_OUTPUT_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "common/escape.h"
#include "model/model.h"

#define NT_JW_MAX_DEPTH 32

struct nt_jw {
	FILE *f;
	int depth;
	int n[NT_JW_MAX_DEPTH]; /* members written at each depth */
	char kind[NT_JW_MAX_DEPTH]; /* '{' or '[' */
	char *buf;              /* nt_jw_init_buffered(): pending output */
	size_t len, cap;
	int html;               /* strings also safe inside an HTML <script> (NT_ESC_JSON_HTML) */
};

/* Writes straight to F (stdio). */
void nt_jw_init(struct nt_jw *w, FILE *f);
/* Collects output in a private 64 KiB buffer written to F when full and by
 * nt_jw_flush() / nt_jw_free(): faster, but nothing else may write to F
 * before nt_jw_flush(). Falls back to nt_jw_init() without memory. */
void nt_jw_init_buffered(struct nt_jw *w, FILE *f);
void nt_jw_flush(struct nt_jw *w);
void nt_jw_free(struct nt_jw *w);       /* flush, release the buffer */
/* The separator and key of a member (KEY NULL: an array element or a
 * top-level value).  Inline: a literal key's length is a compile-time
 * constant, copied in place without a loop. */
void nt_jw_key_slow(struct nt_jw *w, const char *key);
static inline void nt_jw_key(struct nt_jw *w, const char *key)
{
	size_t kl = key ? strlen(key) : 0;
	char *o;

	if (!w->buf || w->cap - w->len < kl + 4) {
		nt_jw_key_slow(w, key);
		return;
	}
	o = w->buf + w->len;
	if (w->depth > 0 && w->n[w->depth - 1]++)
		*o++ = ',';
	if (key) { /* keys are program constants: no escaping needed */
		*o++ = '"';
		memcpy(o, key, kl);
		o += kl;
		*o++ = '"';
		*o++ = ':';
	}
	w->len = (size_t)(o - w->buf);
}
/* values without their key (after nt_jw_key()) */
void nt_jw_open_v(struct nt_jw *w, char c);
void nt_jw_str_v(struct nt_jw *w, const char *v);
void nt_jw_u64_v(struct nt_jw *w, uint64_t v);
void nt_jw_bool_v(struct nt_jw *w, int v);
void nt_jw_hex_v(struct nt_jw *w, uint64_t v);

/* key is NULL inside arrays and at top level */
static inline void nt_jw_obj(struct nt_jw *w, const char *key)
{
	nt_jw_key(w, key);
	nt_jw_open_v(w, '{');
}
static inline void nt_jw_arr(struct nt_jw *w, const char *key)
{
	nt_jw_key(w, key);
	nt_jw_open_v(w, '[');
}
void nt_jw_end(struct nt_jw *w);          /* closes the innermost object / array */
/* A string from anywhere (log, kernel, user): escaped by common/escape.h
 * (NT_ESC_JSON; strict UTF-8 out, controls / C1 / bidi as \uNNNN). */
static inline void nt_jw_str(struct nt_jw *w, const char *key, const char *v) /* NULL -> null */
{
	nt_jw_key(w, key);
	nt_jw_str_v(w, v);
}
static inline void nt_jw_u64(struct nt_jw *w, const char *key, uint64_t v)
{
	nt_jw_key(w, key);
	nt_jw_u64_v(w, v);
}
void nt_jw_i64(struct nt_jw *w, const char *key, int64_t v);
void nt_jw_dbl(struct nt_jw *w, const char *key, double v, int decimals);
static inline void nt_jw_bool(struct nt_jw *w, const char *key, int v)
{
	nt_jw_key(w, key);
	nt_jw_bool_v(w, v);
}
static inline void nt_jw_hex(struct nt_jw *w, const char *key, uint64_t v) /* "0x..." string */
{
	nt_jw_key(w, key);
	nt_jw_hex_v(w, v);
}
/* S[0..N): COUNT members already written as JSON text ("k":v pairs joined by
 * commas, no leading comma), e.g. by a writer on a private buffer
 * (nt_jw_init_mem()), appended to the current object. */
void nt_jw_members_raw(struct nt_jw *w, const char *s, size_t n, int count);
/* A writer into BUF[0..CAP) inside one object (for nt_jw_members_raw());
 * it must not be written past CAP (it has no FILE to flush to): bound what
 * it is given.  Its text: BUF[0..w->len). */
void nt_jw_init_mem(struct nt_jw *w, char *buf, size_t cap, int html);
/* Ends a top-level value: newline (NDJSON line / end of document). */
void nt_jw_newline(struct nt_jw *w);

/* Text builder: output collected in a fixed buffer on the caller's stack and
 * written to F with one fwrite when full and by nt_tb_flush() (no stdio
 * formatting, no allocation).  Nothing else may write to F in between. */
struct nt_tb {
	FILE *f;
	size_t len, cap;
	char *p;                /* buf, or the caller's (nt_tb_init_mem) */
	char buf[8192];
};

static inline void nt_tb_init(struct nt_tb *b, FILE *f)
{
	b->f = f;
	b->len = 0;
	b->cap = sizeof(b->buf);
	b->p = b->buf;
}

/* The same over the caller's MEM[0..CAP) (CAP >= 8192), kept across many
 * writers (e.g. one per packet): a flush of 16 KiB or more goes to F's file
 * descriptor past stdio, after what F had queued (copied once, not twice). */
static inline void nt_tb_init_mem(struct nt_tb *b, FILE *f, char *mem, size_t cap)
{
	b->f = f;
	b->len = 0;
	b->cap = cap;
	b->p = mem;
}

void nt_tb_flush(struct nt_tb *b);
void nt_tb_mem_slow(struct nt_tb *b, const void *p, size_t n);

static inline void nt_tb_mem(struct nt_tb *b, const void *p, size_t n)
{
	if (n > b->cap - b->len) {
		nt_tb_mem_slow(b, p, n);
		return;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

static inline void nt_tb_str(struct nt_tb *b, const char *s)
{
	nt_tb_mem(b, s, strlen(s));
}

/* a string literal: its length is known at compile time */
#define nt_tb_lit(b, s) nt_tb_mem((b), "" s, sizeof(s) - 1)

static inline void nt_tb_chr(struct nt_tb *b, char c)
{
	if (b->len == b->cap)
		nt_tb_flush(b);
	b->p[b->len++] = c;
}

/* S from a log or the kernel, made terminal-safe (NT_ESC_TEXT: C0, C1, DEL,
 * bidi controls visible as \x1b / \u202e, invalid UTF-8 as U+FFFD, "\\"). */
void nt_tb_esc_n(struct nt_tb *b, const char *s, size_t n);
/* the same for a NUL-terminated S: plain ASCII is copied in one pass */
void nt_tb_esc(struct nt_tb *b, const char *s);

/* S escaped as nt_tb_esc() into a thread-local buffer (one of 8, reused in
 * turn: for printf-style writers), cut at about 4 KiB with "…". */
const char *nt_esc_t(const char *s);

/* Rule text of a step, as printed: escaped, and at most the model's rule_text
 * limit (--max-rule-text) of it, cut at a character boundary and followed by
 * "… (N bytes)"; each cut is counted in the model's limits. */
void nt_tb_rule_text(struct nt_tb *b, const struct nt_model *m, const char *text);
/* the same in a thread-local buffer (printf-style writers) */
const char *nt_rule_text_t(const struct nt_model *m, const char *text);
/* "text": the same cut (unescaped: JSON escapes it), plus "text_bytes": N
 * when cut; "text": null for NULL */
void nt_jw_rule_text(struct nt_jw *w, const struct nt_model *m, const char *text);
/* the same under KEY ("rule": "rule_bytes" when cut) */
void nt_jw_rule_text_as(struct nt_jw *w, const struct nt_model *m, const char *key, const char *text);

void nt_tb_u64(struct nt_tb *b, uint64_t v);   /* "%" PRIu64 */
void nt_tb_i64(struct nt_tb *b, int64_t v);    /* "%" PRId64 */
void nt_tb_hex(struct nt_tb *b, uint64_t v);   /* "%" PRIx64 (no 0x) */
void nt_tb_us(struct nt_tb *b, uint64_t ns);   /* nt_fmt_us(): "%8.3f" of ns / 1000 */
void nt_tb_flow(struct nt_tb *b, const struct nt_ev_meta *m);   /* nt_fmt_flow() */
void nt_tb_chain(struct nt_tb *b, const struct nt_model *m, uint64_t chain_key); /* nt_fmt_chain() */

/* "limits_hit": [{"limit","max","count","flag"}...] member when a limit of M
 * was reached (common/limits.h); nothing otherwise. */
void nt_jw_limits(struct nt_jw *w, const struct nt_model *m);
/* the same of L (e.g. several logs' counts summed) */
struct nt_limits;
void nt_jw_limits_of(struct nt_jw *w, const struct nt_limits *l);

/* Packet header fields as JSON members (id, skb, proto, flow ...). */
void nt_jw_packet_fields(struct nt_jw *w, const struct nt_model *m, const struct nt_packet *p);
/* The log's members file (FILE), hostname, kernel, backend, start_time. */
void nt_jw_log_fields(struct nt_jw *w, const struct nt_model *m, const char *file);
/* One record as a JSON object (events --json): seq, ts_us, type, ... */
void nt_jw_event(struct nt_jw *w, const struct nt_model *m, const struct nt_packet *p,
		 const struct nt_ev_hdr *h, uint64_t seq);

/* "%8.3f" of ns / 1000 (µs offsets), without floating point */
void nt_fmt_us(char buf[32], uint64_t ns);
/* "inet filter input" for a chain key (names escaped, NT_ESC_TEXT) */
void nt_fmt_chain(char *buf, size_t len, const struct nt_model *m, uint64_t chain_key);
/* Text line of a record for packet P (P may be NULL) */
void nt_fmt_event_line_p(FILE *out, const struct nt_model *m, const struct nt_packet *p,
			 const struct nt_ev_hdr *h, uint64_t seq);
/* "ACCEPT", "JUMP", ... from a rule record, with target for jump/goto (escaped) */
void nt_fmt_rule_verdict(char *buf, size_t len, const struct nt_model *m,
			 const struct nt_ev_nft_rule *r);

/* Number of decimal digits of V. */
static inline unsigned nt_u64_ndigits(uint64_t v)
{
	unsigned n = 1;

	while (v >= 10000) {
		v /= 10000;
		n += 4;
	}
	return n + (v >= 10) + (v >= 100) + (v >= 1000);
}

extern const char nt_digit_pairs[200]; /* "00" "01" ... "99" */

/* Decimal digits of V written forward at O; returns the end. */
static inline char *nt_u64_put(char *o, uint64_t v)
{
	char *e = o + nt_u64_ndigits(v), *p = e;

	while (v >= 100) {
		unsigned r = (unsigned)(v % 100);

		v /= 100;
		p -= 2;
		p[0] = nt_digit_pairs[2 * r];
		p[1] = nt_digit_pairs[2 * r + 1];
	}
	if (v >= 10) {
		p -= 2;
		p[0] = nt_digit_pairs[2 * v];
		p[1] = nt_digit_pairs[2 * v + 1];
	} else {
		*--p = (char)('0' + v);
	}
	return e;
}

/* Decimal digits of V into the end of BUF; returns the first digit. */
static inline char *nt_u64_digits(char *end, uint64_t v)
{
	do {
		*--end = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return end;
}

/* 8 hex digits (lower case) of X as the 8 bytes of a little-endian word in
 * text order: each nibble spread into its own byte, then '0'..'9' /
 * 'a'..'f' added to all eight at once. */
static inline uint64_t nt_hex8_word(uint32_t x)
{
	uint64_t y = x, ten;

	y = (y | (y << 16)) & 0x0000ffff0000ffffull;
	y = (y | (y << 8)) & 0x00ff00ff00ff00ffull;
	y = (y | (y << 4)) & 0x0f0f0f0f0f0f0f0full;
	ten = ((y + 0x0606060606060606ull) >> 4) & 0x0101010101010101ull; /* nibble >= 10 */
	y += 0x3030303030303030ull + ten * ('a' - '0' - 10);
	return __builtin_bswap64(y);
}

/* NS (< 10 ms) as microseconds "%8.3f": exactly 8 bytes, "wwww.fff" */
static inline void nt_us8_put(char *o, uint64_t ns)
{
	unsigned w = (unsigned)(ns / 1000), f = (unsigned)(ns % 1000), hi = w / 100, lo = w % 100;

	o[0] = w >= 1000 ? nt_digit_pairs[2 * hi] : ' ';
	o[1] = w >= 100 ? nt_digit_pairs[2 * hi + 1] : ' ';
	o[2] = w >= 10 ? nt_digit_pairs[2 * lo] : ' ';
	o[3] = nt_digit_pairs[2 * lo + 1];
	o[4] = '.';
	o[5] = (char)('0' + f / 100);
	o[6] = nt_digit_pairs[2 * (f % 100)];
	o[7] = nt_digit_pairs[2 * (f % 100) + 1];
}
/* Hex digits of V (lower case, no leading zeros: "%" PRIx64) written at O;
 * returns the end.  O must have room for 16 bytes. */
static inline char *nt_hex_put(char *o, uint64_t v)
{
	unsigned n;

	if (v >> 60) { /* 16 digits (a kernel address): two words */
		uint64_t a = nt_hex8_word((uint32_t)(v >> 32)), b = nt_hex8_word((uint32_t)v);

		memcpy(o, &a, 8);
		memcpy(o + 8, &b, 8);
		return o + 16;
	}
	n = v ? (unsigned)(67 - __builtin_clzll(v)) / 4 : 1;
	for (unsigned i = n; i--; v >>= 4)
		o[i] = "0123456789abcdef"[v & 15];
	return o + n;
}

#endif
