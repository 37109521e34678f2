// SPDX-License-Identifier: GPL-2.0
/* output.c - streaming JSON writer, text builder, rule texts; names, flows
 * and event lines are formatted in output_fmt.c. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>

#include "common/sat.h"
#include "model/detail.h"
#include "model/output.h"

const char nt_digit_pairs[200] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

/* ---- JSON writer ---- */
void nt_jw_init(struct nt_jw *w, FILE *f)
{
	memset(w, 0, sizeof(*w));
	w->f = f;
}

void nt_jw_init_buffered(struct nt_jw *w, FILE *f)
{
	nt_jw_init(w, f);
	w->buf = malloc(1 << 16);
	if (w->buf)
		w->cap = 1 << 16;
}

/* P[0..N) to F.  A large chunk (a full buffer of ours) goes to F's file
 * descriptor past stdio, after what F had queued: copied once instead of
 * twice (into stdio's 1 MiB buffer, then to the kernel: 4.5 % of
 * `journeys --ndjson`).  A failed write is given to stdio, which fails
 * again and sets F's error flag, as a plain fwrite would have. */
static void out_write(FILE *f, const char *p, size_t n)
{
	int fd = n >= (16u << 10) ? fileno_unlocked(f) : -1;

	if (fd >= 0 && !fflush_unlocked(f)) {
		while (n) {
			ssize_t k = write(fd, p, n);

			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0)
				break;
			p += k;
			n -= (size_t)k;
		}
	}
	if (n)
		fwrite_unlocked(p, 1, n, f);
}

void nt_jw_flush(struct nt_jw *w)
{
	if (w->buf && w->len) {
		out_write(w->f, w->buf, w->len);
		w->len = 0;
	}
}

void nt_jw_free(struct nt_jw *w)
{
	nt_jw_flush(w);
	free(w->buf);
	w->buf = NULL;
	w->cap = 0;
}

static inline void jw_write(struct nt_jw *w, const void *p, size_t n)
{
	if (!w->buf) {
		fwrite_unlocked(p, 1, n, w->f);
		return;
	}
	if (w->len + n > w->cap) {
		nt_jw_flush(w);
		if (n > w->cap) {
			fwrite_unlocked(p, 1, n, w->f);
			return;
		}
	}
	memcpy(w->buf + w->len, p, n);
	w->len += n;
}

static inline void jw_putc(struct nt_jw *w, char c)
{
	if (!w->buf)
		putc_unlocked(c, w->f);
	else if (w->len < w->cap)
		w->buf[w->len++] = c;
	else
		jw_write(w, &c, 1);
}

static inline void jw_puts(struct nt_jw *w, const char *s)
{
	jw_write(w, s, strlen(s));
}

/* Room for a member's separator, key and scalar value, written in place. */
#define JW_ROOM 256

/* At least JW_ROOM bytes of room at the end of the buffer, or NULL when
 * unbuffered. */
static inline char *jw_room(struct nt_jw *w)
{
	if (!w->buf)
		return NULL;
	if (w->cap - w->len < JW_ROOM)
		nt_jw_flush(w);
	return w->buf + w->len;
}

#define member nt_jw_key_slow

/* The body of a JSON string of S[0..N): common/escape.h writes straight into
 * the buffer. */
static void put_body_n(struct nt_jw *w, enum nt_esc_mode mode, const char *s, size_t n)
{
	while (n) {
		size_t used, k;

		if (w->buf) {
			if (w->cap - w->len < NT_ESC_UNIT_MAX)
				nt_jw_flush(w);
			k = nt_esc_chunk(mode, w->buf + w->len, w->cap - w->len, s, n, &used);
			w->len += k;
		} else {
			char tmp[512];

			k = nt_esc_chunk(mode, tmp, sizeof(tmp), s, n, &used);
			fwrite_unlocked(tmp, 1, k, w->f);
		}
		s += used;
		n -= used;
	}
}

/* A JSON string of S[0..N) */
static void put_escaped_n(struct nt_jw *w, const char *s, size_t n)
{
	jw_putc(w, '"');
	put_body_n(w, w->html ? NT_ESC_JSON_HTML : NT_ESC_JSON, s, n);
	jw_putc(w, '"');
}

/* A JSON string of the NUL-terminated S: plain ASCII copied in one pass */
static void put_escaped(struct nt_jw *w, const char *s)
{
	enum nt_esc_mode mode = w->html ? NT_ESC_JSON_HTML : NT_ESC_JSON;

	jw_putc(w, '"');
	if (w->buf) {
		size_t k = nt_esc_plain_prefix(mode, w->buf + w->len, w->cap - w->len, s);

		w->len += k;
		s += k;
	}
	if (*s)
		put_body_n(w, mode, s, strlen(s));
	jw_putc(w, '"');
}

/* "%8.3f" of NS / 1000 without floating point: "   2.500"; returns strlen(buf) */
static size_t nt_fmt_us_len(char buf[32], uint64_t ns)
{
	char tmp[32], *e = tmp + sizeof(tmp), *p = e;
	uint64_t whole = ns / 1000, frac = ns % 1000;
	size_t n;

	*--p = 0;
	*--p = (char)('0' + frac % 10);
	*--p = (char)('0' + frac / 10 % 10);
	*--p = (char)('0' + frac / 100);
	*--p = '.';
	do {
		*--p = (char)('0' + whole % 10);
		whole /= 10;
	} while (whole);
	while (e - p - 1 < 8)
		*--p = ' ';
	n = (size_t)(e - p);
	memcpy(buf, p, n);
	return n - 1;
}

void nt_fmt_us(char buf[32], uint64_t ns)
{
	nt_fmt_us_len(buf, ns);
}


/* ---- text builder ---- */
void nt_tb_flush(struct nt_tb *b)
{
	if (b->len)
		out_write(b->f, b->p, b->len);
	b->len = 0;
}

void nt_tb_mem_slow(struct nt_tb *b, const void *p, size_t n)
{
	nt_tb_flush(b);
	if (n > b->cap) {
		fwrite_unlocked(p, 1, n, b->f);
		return;
	}
	memcpy(b->p, p, n);
	b->len = n;
}

void nt_tb_esc_n(struct nt_tb *b, const char *s, size_t n)
{
	while (n) {
		size_t used, k;

		if (b->cap - b->len < NT_ESC_UNIT_MAX)
			nt_tb_flush(b);
		k = nt_esc_chunk(NT_ESC_TEXT, b->p + b->len, b->cap - b->len, s, n, &used);
		b->len += k;
		s += used;
		n -= used;
	}
}

void nt_tb_esc(struct nt_tb *b, const char *s)
{
	size_t k = nt_esc_plain_prefix(NT_ESC_TEXT, b->p + b->len, b->cap - b->len, s);

	b->len += k;
	s += k;
	if (*s)
		nt_tb_esc_n(b, s, strlen(s));
}

#define ESC_T_BUFS 8
#define ESC_T_LEN 4200
static __thread char esc_t_buf[ESC_T_BUFS][ESC_T_LEN];
static __thread unsigned esc_t_next;

const char *nt_esc_t(const char *s)
{
	char *buf = esc_t_buf[esc_t_next++ % ESC_T_BUFS];
	size_t n = strlen(s ? s : ""), used, k;

	k = nt_esc_chunk(NT_ESC_TEXT, buf, ESC_T_LEN - 4, s ? s : "", n, &used);
	if (used < n) {
		memcpy(buf + k, "\xe2\x80\xa6", 3); /* "…" */
		k += 3;
	}
	buf[k] = 0;
	return buf;
}

/* Length of TEXT printed for a step: the whole, or the rule_text limit (cut at
 * a character boundary, counted). */
static size_t rule_text_len(const struct nt_model *m, const char *text, size_t n, int *cut)
{
	struct nt_limits *l = nt_model_limits(m);

	*cut = n > l->max[NT_LIM_RULE_TEXT];
	if (!*cut)
		return n;
	nt_limit_hit(l, NT_LIM_RULE_TEXT, 1);
	return nt_utf8_prefix(text, n, l->max[NT_LIM_RULE_TEXT]);
}

void nt_tb_rule_text(struct nt_tb *b, const struct nt_model *m, const char *text)
{
	size_t n = strlen(text);
	int cut;
	size_t k = rule_text_len(m, text, n, &cut);

	nt_tb_esc_n(b, text, k);
	if (cut) {
		nt_tb_lit(b, "\xe2\x80\xa6 (");
		nt_tb_u64(b, n);
		nt_tb_lit(b, " bytes)");
	}
}

static __thread char rule_t_buf[4][4500];
static __thread unsigned rule_t_next;

const char *nt_rule_text_t(const struct nt_model *m, const char *text)
{
	char *buf = rule_t_buf[rule_t_next++ % 4];
	size_t n = strlen(text), used, k;
	int cut;
	size_t keep = rule_text_len(m, text, n, &cut);
	const size_t room = sizeof(rule_t_buf[0]) - 40;

	k = nt_esc_chunk(NT_ESC_TEXT, buf, room, text, keep, &used);
	if (cut || used < keep)
		k += (size_t)snprintf(buf + k, sizeof(rule_t_buf[0]) - k, "\xe2\x80\xa6 (%zu bytes)", n);
	buf[k] = 0;
	return buf;
}

void nt_jw_rule_text_as(struct nt_jw *w, const struct nt_model *m, const char *key, const char *text)
{
	char bytes_key[40];
	size_t n;
	int cut;

	if (!text) {
		nt_jw_str(w, key, NULL);
		return;
	}
	n = strlen(text);
	member(w, key);
	put_escaped_n(w, text, rule_text_len(m, text, n, &cut));
	if (cut) { /* keys are program constants */
		snprintf(bytes_key, sizeof(bytes_key), "%s_bytes", key);
		nt_jw_u64(w, bytes_key, n);
	}
}

void nt_jw_rule_text(struct nt_jw *w, const struct nt_model *m, const char *text)
{
	nt_jw_rule_text_as(w, m, "text", text);
}

void nt_tb_u64(struct nt_tb *b, uint64_t v)
{
	if (b->cap - b->len < 20)
		nt_tb_flush(b);
	b->len = (size_t)(nt_u64_put(b->p + b->len, v) - b->p);
}

void nt_tb_i64(struct nt_tb *b, int64_t v)
{
	if (v < 0) {
		nt_tb_chr(b, '-');
		nt_tb_u64(b, -(uint64_t)v);
	} else {
		nt_tb_u64(b, (uint64_t)v);
	}
}

void nt_tb_hex(struct nt_tb *b, uint64_t v)
{
	if (b->cap - b->len < 16)
		nt_tb_flush(b);
	b->len = (size_t)(nt_hex_put(b->p + b->len, v) - b->p);
}

void nt_tb_us(struct nt_tb *b, uint64_t ns)
{
	uint64_t whole = ns / 1000, frac = ns % 1000;
	unsigned nd;
	char *o;

	if (b->cap - b->len < 32)
		nt_tb_flush(b);
	o = b->p + b->len;
	if (ns < 10000000) { /* under 10 ms (most offsets): exactly 8 bytes */
		nt_us8_put(o, ns);
		b->len += 8;
		return;
	}
	nd = nt_u64_ndigits(whole);
	for (; nd < 4; nd++) /* "%8.3f": the whole part at least 4 wide */
		*o++ = ' ';
	o = nt_u64_put(o, whole);
	o[0] = '.';
	o[1] = (char)('0' + frac / 100);
	o[2] = (char)('0' + frac / 10 % 10);
	o[3] = (char)('0' + frac % 10);
	b->len = (size_t)(o + 4 - b->p);
}

void nt_jw_key_slow(struct nt_jw *w, const char *key)
{
	char *o = jw_room(w), *lim;

	if (!o) {
		if (w->depth > 0 && w->n[w->depth - 1]++)
			jw_putc(w, ',');
		if (key) { /* keys are program constants: no escaping needed */
			jw_putc(w, '"');
			jw_puts(w, key);
			jw_write(w, "\":", 2);
		}
		return;
	}
	lim = o + JW_ROOM / 2; /* the rest: the value of a scalar member */
	if (w->depth > 0 && w->n[w->depth - 1]++)
		*o++ = ',';
	if (key) {
		*o++ = '"';
		while (*key && o < lim)
			*o++ = *key++;
		if (*key) { /* a long key */
			w->len = (size_t)(o - w->buf);
			jw_puts(w, key);
			jw_write(w, "\":", 2);
			return;
		}
		*o++ = '"';
		*o++ = ':';
	}
	w->len = (size_t)(o - w->buf);
}

void nt_jw_open_v(struct nt_jw *w, char c)
{
	jw_putc(w, c);
	if (w->depth < NT_JW_MAX_DEPTH) {
		w->n[w->depth] = 0;
		w->kind[w->depth] = c;
		w->depth++;
	}
}

void nt_jw_end(struct nt_jw *w)
{
	if (w->depth <= 0)
		return;
	w->depth--;
	jw_putc(w, w->kind[w->depth] == '[' ? ']' : '}');
}

void nt_jw_str_v(struct nt_jw *w, const char *v)
{
	if (v)
		put_escaped(w, v);
	else
		jw_write(w, "null", 4);
}

void nt_jw_u64_v(struct nt_jw *w, uint64_t v)
{
	char buf[24], *p, *o;

	o = jw_room(w);
	if (o) {
		w->len = (size_t)(nt_u64_put(o, v) - w->buf);
		return;
	}
	p = nt_u64_digits(buf + sizeof(buf), v);
	jw_write(w, p, (size_t)(buf + sizeof(buf) - p));
}

void nt_jw_i64(struct nt_jw *w, const char *key, int64_t v)
{
	char buf[32];

	member(w, key);
	jw_write(w, buf, (size_t)snprintf(buf, sizeof(buf), "%" PRId64, v));
}

void nt_jw_dbl(struct nt_jw *w, const char *key, double v, int decimals)
{
	char buf[64];
	int n;

	member(w, key);
	n = snprintf(buf, sizeof(buf), "%.*f", decimals, v);
	jw_write(w, buf, n < 0 ? 0 : (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

void nt_jw_bool_v(struct nt_jw *w, int v)
{
	jw_puts(w, v ? "true" : "false");
}

void nt_jw_hex_v(struct nt_jw *w, uint64_t v)
{
	char buf[24], *p = buf;

	memcpy(p, "\"0x", 3);
	p = nt_hex_put(p + 3, v);
	*p++ = '"';
	jw_write(w, buf, (size_t)(p - buf));
}

void nt_jw_init_mem(struct nt_jw *w, char *buf, size_t cap, int html)
{
	nt_jw_init(w, NULL);
	w->buf = buf;
	w->cap = cap;
	w->html = html;
	w->depth = 1;
	w->kind[0] = '{';
}

void nt_jw_members_raw(struct nt_jw *w, const char *s, size_t n, int count)
{
	if (!count)
		return;
	if (w->depth > 0 && w->n[w->depth - 1])
		jw_putc(w, ',');
	if (w->depth > 0)
		w->n[w->depth - 1] += count;
	jw_write(w, s, n);
}

void nt_jw_newline(struct nt_jw *w)
{
	jw_putc(w, '\n');
}
