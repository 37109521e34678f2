// SPDX-License-Identifier: GPL-2.0
/* escape.c - UTF-8 decoding and the output escaping forms (see escape.h). */
#include <string.h>

#include "common/escape.h"

/* ---- UTF-8 (Unicode 15 Table 3-7, well-formed byte sequences) ---- */
size_t nt_utf8_decode(const unsigned char *p, size_t n, uint32_t *cp)
{
	unsigned b0 = p[0], lo = 0x80, hi = 0xBF, need, i;
	uint32_t c;

	if (b0 < 0x80) {
		*cp = b0;
		return 1;
	}
	if (b0 < 0xC2) {          /* continuation byte, or C0/C1: overlong lead */
		*cp = NT_UTF8_BAD;
		return 1;
	} else if (b0 < 0xE0) {
		need = 1;
		c = b0 & 0x1F;
	} else if (b0 < 0xF0) {
		need = 2;
		c = b0 & 0x0F;
		if (b0 == 0xE0)
			lo = 0xA0;        /* overlong below U+0800 */
		else if (b0 == 0xED)
			hi = 0x9F;        /* U+D800..U+DFFF: surrogates */
	} else if (b0 < 0xF5) {
		need = 3;
		c = b0 & 0x07;
		if (b0 == 0xF0)
			lo = 0x90;        /* overlong below U+10000 */
		else if (b0 == 0xF4)
			hi = 0x8F;        /* past U+10FFFF */
	} else {                  /* F5..FF: past U+10FFFF */
		*cp = NT_UTF8_BAD;
		return 1;
	}
	for (i = 1; i <= need; i++) {
		unsigned b;

		if (i >= n) {
			*cp = NT_UTF8_BAD;
			return i;
		}
		b = p[i];
		if (b < lo || b > hi) {
			*cp = NT_UTF8_BAD;
			return i;
		}
		lo = 0x80;
		hi = 0xBF;
		c = c << 6 | (b & 0x3F);
	}
	*cp = c;
	return need + 1;
}

size_t nt_utf8_prefix(const char *s, size_t n, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	if (max >= n)
		return n;
	while (i < max) {
		uint32_t cp;
		size_t k = nt_utf8_decode(p + i, n - i, &cp);

		if (i + k > max)
			break;
		i += k;
	}
	return i;
}

int nt_utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;

	while (p < end) {
		uint32_t cp;

		if (*p < 0x80) {
			p++;
			continue;
		}
		p += nt_utf8_decode(p, (size_t)(end - p), &cp);
		if (cp == NT_UTF8_BAD)
			return 0;
	}
	return 1;
}

enum nt_cp_class nt_cp_class(uint32_t cp)
{
	if (cp < 0x20)
		return NT_CP_C0;
	if (cp < 0x7F)
		return NT_CP_PLAIN;
	if (cp == 0x7F)
		return NT_CP_DEL;
	if (cp < 0xA0)
		return NT_CP_C1;
	if (cp < 0x61C)
		return NT_CP_PLAIN;
	if (cp == 0x61C || cp == 0x200E || cp == 0x200F ||
	    (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069))
		return NT_CP_BIDI;
	if (cp == 0x2028 || cp == 0x2029)
		return NT_CP_LINESEP;
	if (cp == 0xFFFE || cp == 0xFFFF)
		return NT_CP_NONCHAR;
	return NT_CP_PLAIN;
}

/* ---- escaping ---- */

/* Bytes that are not copied as they are, per form: every byte >= 0x80 (it is
 * decoded first), C0, DEL and the form's own specials. */
#define HI_AND_C0 [0 ... 0x1F] = 1, [0x7F ... 0xFF] = 1
static const unsigned char special[NT_ESC__MODES][256] = {
	[NT_ESC_TEXT] = { HI_AND_C0 },
	[NT_ESC_JSON] = { HI_AND_C0, ['\\'] = 1, ['"'] = 1 },
	[NT_ESC_JSON_HTML] = { HI_AND_C0, ['\\'] = 1, ['"'] = 1, ['<'] = 1, ['>'] = 1, ['&'] = 1 },
	[NT_ESC_HTML] = { HI_AND_C0, ['"'] = 1, ['<'] = 1, ['>'] = 1, ['&'] = 1, ['\''] = 1 },
	[NT_ESC_XML] = { HI_AND_C0, ['"'] = 1, ['<'] = 1, ['>'] = 1, ['&'] = 1, ['\''] = 1 },
};

static const char hexd[] = "0123456789abcdef";

static size_t u_escape(char *u, uint32_t cp) /* "\uNNNN", cp <= 0xFFFF */
{
	u[0] = '\\';
	u[1] = 'u';
	u[2] = hexd[cp >> 12 & 15];
	u[3] = hexd[cp >> 8 & 15];
	u[4] = hexd[cp >> 4 & 15];
	u[5] = hexd[cp & 15];
	return 6;
}

static size_t lit(char *u, const char *s, size_t n)
{
	memcpy(u, s, n);
	return n;
}

static int is_json(enum nt_esc_mode mode)
{
	return mode == NT_ESC_JSON || mode == NT_ESC_JSON_HTML;
}

/* The escape of the ASCII byte C (a special of MODE) into U; returns its length. */
static size_t ascii_unit(enum nt_esc_mode mode, unsigned c, char *u)
{
	if (is_json(mode)) {
		switch (c) {
		case '"': return lit(u, "\\\"", 2);
		case '\\': return lit(u, "\\\\", 2);
		case '\b': return lit(u, "\\b", 2);
		case '\f': return lit(u, "\\f", 2);
		case '\n': return lit(u, "\\n", 2);
		case '\r': return lit(u, "\\r", 2);
		case '\t': return lit(u, "\\t", 2);
		default: return u_escape(u, c); /* C0, DEL, < > & */
		}
	}
	switch (c) {
	case '\t': return lit(u, "\\t", 2);
	case '\n': return lit(u, "\\n", 2);
	case '\r': return lit(u, "\\r", 2);
	case '&': return lit(u, "&amp;", 5);
	case '<': return lit(u, "&lt;", 4);
	case '>': return lit(u, "&gt;", 4);
	case '"': return lit(u, "&quot;", 6);
	case '\'': return lit(u, "&#39;", 5);
	default: /* other C0, DEL */
		u[0] = '\\';
		u[1] = 'x';
		u[2] = hexd[c >> 4];
		u[3] = hexd[c & 15];
		return 4;
	}
}

/* One special unit at P (P[0] is a special byte of MODE): its output in U (or
 * U = NULL when the input bytes are copied as they are: returns their count
 * in *ILEN and the same output length). */
static size_t unit(enum nt_esc_mode mode, const unsigned char *p, size_t n, char *u,
		   size_t *ilen, int *raw)
{
	uint32_t cp;
	size_t k;

	*raw = 0;
	if (p[0] < 0x80) {
		*ilen = 1;
		return ascii_unit(mode, p[0], u);
	}
	k = nt_utf8_decode(p, n, &cp);
	*ilen = k;
	if (cp == NT_UTF8_BAD)
		return lit(u, "\xef\xbf\xbd", 3);
	switch (nt_cp_class(cp)) {
	case NT_CP_C1:
	case NT_CP_BIDI:
		return u_escape(u, cp);
	case NT_CP_LINESEP:
		if (is_json(mode))
			return u_escape(u, cp);
		break;
	case NT_CP_NONCHAR:
		if (!is_json(mode))
			return u_escape(u, cp);
		break;
	default:
		break;
	}
	*raw = 1;
	return k;
}

size_t nt_esc_chunk(enum nt_esc_mode mode, char *out, size_t cap,
		    const char *in, size_t n, size_t *used)
{
	const unsigned char *sp = special[mode];
	const unsigned char *p = (const unsigned char *)in, *end = p + n;
	char *o = out, *oend = out + cap;

	while (p < end) {
		const unsigned char *r = p;
		size_t room, ulen, ilen;
		char u[8];
		int raw;

		while (r < end && !sp[*r])
			r++;
		if (r != p) {
			size_t run = (size_t)(r - p);

			room = (size_t)(oend - o);
			if (run > room) {
				memcpy(o, p, room);
				o += room;
				p += room;
				break;
			}
			memcpy(o, p, run);
			o += run;
			p = r;
			if (p == end)
				break;
		}
		ulen = unit(mode, p, (size_t)(end - p), u, &ilen, &raw);
		if (ulen > (size_t)(oend - o))
			break;
		memcpy(o, raw ? (const char *)p : u, ulen);
		o += ulen;
		p += ilen;
	}
	*used = (size_t)(p - (const unsigned char *)in);
	return (size_t)(o - out);
}

size_t nt_esc_plain_prefix(enum nt_esc_mode mode, char *out, size_t cap, const char *s)
{
	const unsigned char *sp = special[mode], *p = (const unsigned char *)s;
	size_t i = 0;

	/* NUL is a special of every form (C0) */
	while (i < cap && !sp[p[i]]) {
		out[i] = (char)p[i];
		i++;
	}
	return i;
}

size_t nt_esc_len(enum nt_esc_mode mode, const char *in, size_t n)
{
	const unsigned char *sp = special[mode];
	const unsigned char *p = (const unsigned char *)in, *end = p + n;
	size_t len = 0;

	while (p < end) {
		size_t ilen;
		char u[8];
		int raw;

		if (!sp[*p]) {
			p++;
			len++;
			continue;
		}
		len += unit(mode, p, (size_t)(end - p), u, &ilen, &raw);
		p += ilen;
	}
	return len;
}

int nt_esc_clean(enum nt_esc_mode mode, const char *in, size_t n)
{
	const unsigned char *sp = special[mode];
	const unsigned char *p = (const unsigned char *)in, *end = p + n;

	while (p < end) {
		size_t ilen;
		char u[8];
		int raw;

		if (!sp[*p]) {
			p++;
			continue;
		}
		if (*p < 0x80)
			return 0;
		unit(mode, p, (size_t)(end - p), u, &ilen, &raw);
		if (!raw)
			return 0;
		p += ilen;
	}
	return 1;
}

size_t nt_esc_buf(enum nt_esc_mode mode, char *dst, size_t cap, const char *in, size_t n)
{
	size_t used, len;

	if (!cap)
		return 0;
	len = nt_esc_chunk(mode, dst, cap - 1, in, n, &used);
	dst[len] = 0;
	return len;
}

char *nt_esc_str(enum nt_esc_mode mode, char *dst, size_t cap, const char *s)
{
	if (!s)
		s = "";
	nt_esc_buf(mode, dst, cap, s, strlen(s));
	return dst;
}

int nt_esc_fwrite(FILE *f, enum nt_esc_mode mode, const char *in, size_t n)
{
	char buf[512];

	while (n) {
		size_t used, len = nt_esc_chunk(mode, buf, sizeof(buf), in, n, &used);

		if (fwrite(buf, 1, len, f) != len)
			return EOF;
		in += used;
		n -= used;
	}
	return ferror(f) ? EOF : 0;
}

int nt_esc_fputs(FILE *f, enum nt_esc_mode mode, const char *s)
{
	return nt_esc_fwrite(f, mode, s ? s : "", s ? strlen(s) : 0);
}
