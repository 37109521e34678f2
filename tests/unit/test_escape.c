/* test_escape.c - common/escape.c: the UTF-8 decoder against an independent
 * reference on every 1-, 2- and 3-byte input (and 31 M 4-byte ones), every
 * code point in every output form, the hostile strings of issue #16, random
 * input (validity, reversibility, chunking, truncation), and the speed. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/escape.h"
#include "tests/unit/nt_test.h"

static const enum nt_esc_mode modes[] = { NT_ESC_TEXT, NT_ESC_JSON, NT_ESC_JSON_HTML,
					   NT_ESC_HTML, NT_ESC_XML };
static const char *mode_names[] = { "TEXT", "JSON", "JSON_HTML", "HTML", "XML" };

/* ---- reference UTF-8: shortest-form encodings of the scalar values ---- */
static size_t enc(uint32_t cp, unsigned char *b)
{
	if (cp < 0x80) {
		b[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		b[0] = (unsigned char)(0xC0 | cp >> 6);
		b[1] = (unsigned char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		b[0] = (unsigned char)(0xE0 | cp >> 12);
		b[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
		b[2] = (unsigned char)(0x80 | (cp & 0x3F));
		return 3;
	}
	b[0] = (unsigned char)(0xF0 | cp >> 18);
	b[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
	b[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
	b[3] = (unsigned char)(0x80 | (cp & 0x3F));
	return 4;
}

static int scalar(uint32_t cp)
{
	return cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
}

/* complete[k] / prefix[k]: bit sets over the first k bytes (k = 1..3) of the
 * encodings of every scalar value: the k bytes are a whole character /
 * a proper prefix of one. */
static uint8_t *complete[4], *prefix[4];

#define BIT(set, i) ((set)[(i) >> 3] >> ((i) & 7) & 1)
#define SETBIT(set, i) ((set)[(i) >> 3] |= (uint8_t)(1u << ((i) & 7)))

static uint32_t key(const unsigned char *b, size_t k)
{
	uint32_t v = 0;

	for (size_t i = 0; i < k; i++)
		v = v << 8 | b[i];
	return v;
}

static void ref_init(void)
{
	if (complete[1])
		return;
	for (int k = 1; k <= 3; k++) {
		complete[k] = calloc((1u << (8 * k)) / 8 + 1, 1);
		prefix[k] = calloc((1u << (8 * k)) / 8 + 1, 1);
	}
	for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) {
		unsigned char b[4];
		size_t n;

		if (!scalar(cp))
			continue;
		n = enc(cp, b);
		if (n <= 3)
			SETBIT(complete[n], key(b, n));
		for (size_t k = 1; k < n; k++)
			SETBIT(prefix[k], key(b, k));
	}
}

/* Reference decode: a whole character if the first k bytes are one, else the
 * longest proper prefix of a character (at least 1 byte). */
static size_t ref_decode(const unsigned char *b, size_t n, uint32_t *cp)
{
	size_t k, best = 1;

	for (k = 1; k <= 3 && k <= n; k++) {
		if (BIT(complete[k], key(b, k))) {
			unsigned char e[4];
			uint32_t c = 0;

			/* recover the scalar by search-free arithmetic, checked by re-encoding */
			if (k == 1)
				c = b[0];
			else if (k == 2)
				c = (uint32_t)(b[0] & 0x1F) << 6 | (b[1] & 0x3F);
			else
				c = (uint32_t)(b[0] & 0x0F) << 12 | (uint32_t)(b[1] & 0x3F) << 6 | (b[2] & 0x3F);
			if (enc(c, e) != k || memcmp(e, b, k))
				abort();
			*cp = c;
			return k;
		}
	}
	if (n >= 4 && BIT(prefix[3], key(b, 3))) {
		uint32_t c = (uint32_t)(b[0] & 0x07) << 18 | (uint32_t)(b[1] & 0x3F) << 12 |
			     (uint32_t)(b[2] & 0x3F) << 6 | (b[3] & 0x3F);
		unsigned char e[4];

		if ((b[3] & 0xC0) == 0x80 && scalar(c) && enc(c, e) == 4 && !memcmp(e, b, 4)) {
			*cp = c;
			return 4;
		}
	}
	for (k = 1; k <= 3 && k <= n; k++)
		if (BIT(prefix[k], key(b, k)))
			best = k;
	*cp = NT_UTF8_BAD;
	return best;
}

static int same_decode(const unsigned char *b, size_t n)
{
	uint32_t c1, c2;
	size_t k1 = nt_utf8_decode(b, n, &c1), k2 = ref_decode(b, n, &c2);

	if (k1 != k2 || c1 != c2) {
		printf("# decode mismatch on");
		for (size_t i = 0; i < n; i++)
			printf(" %02x", b[i]);
		printf(": got %zu/%x, reference %zu/%x\n", k1, c1, k2, c2);
		return 0;
	}
	return 1;
}

TEST(decoder_equals_reference_on_every_1_2_3_byte_input)
{
	unsigned char b[4];

	ref_init();
	for (uint32_t v = 0; v < 256; v++) {
		b[0] = (unsigned char)v;
		CHECK(same_decode(b, 1));
	}
	for (uint32_t v = 0; v < 65536; v++) {
		b[0] = (unsigned char)(v >> 8);
		b[1] = (unsigned char)v;
		CHECK(same_decode(b, 2));
	}
	for (uint32_t v = 0; v < (1u << 24); v++) {
		b[0] = (unsigned char)(v >> 16);
		b[1] = (unsigned char)(v >> 8);
		b[2] = (unsigned char)v;
		CHECK(same_decode(b, 3));
	}
}

TEST(decoder_equals_reference_on_4_byte_inputs)
{
	static const unsigned char last[] = { 0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0,
					      0xBF, 0xC0, 0xC2, 0xE0, 0xF0, 0xF4, 0xFF };
	unsigned char b[4];

	ref_init();
	for (uint32_t b0 = 0xE0; b0 < 256; b0++) /* 2-byte leads: covered above */
		for (uint32_t v = 0; v < 65536; v++)
			for (size_t i = 0; i < sizeof(last); i++) {
				b[0] = (unsigned char)b0;
				b[1] = (unsigned char)(v >> 8);
				b[2] = (unsigned char)v;
				b[3] = last[i];
				CHECK(same_decode(b, 4));
			}
}

TEST(decoder_every_scalar_value_round_trips_and_surrogates_are_bad)
{
	for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) {
		unsigned char b[4];
		uint32_t got;
		size_t n;

		if (cp >= 0xD800 && cp <= 0xDFFF) {
			/* CESU-style encoding of a surrogate: ED A0..BF xx, three U+FFFD */
			b[0] = 0xED;
			b[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
			b[2] = (unsigned char)(0x80 | (cp & 0x3F));
			CHECK_EQ_INT(nt_utf8_decode(b, 3, &got), 1);
			CHECK(got == NT_UTF8_BAD);
			CHECK(!nt_utf8_valid((char *)b, 3));
			continue;
		}
		n = enc(cp, b);
		CHECK_EQ_INT(nt_utf8_decode(b, n, &got), n);
		CHECK_EQ_INT(got, cp);
		CHECK(nt_utf8_valid((char *)b, n));
		/* every truncation of it is one ill-formed subpart */
		for (size_t k = 1; k < n; k++) {
			CHECK_EQ_INT(nt_utf8_decode(b, k, &got), k);
			CHECK(got == NT_UTF8_BAD);
		}
	}
}

/* ---- expected escaped form of one code point, written independently ---- */
static size_t expect_cp(enum nt_esc_mode mode, uint32_t cp, char *o)
{
	int json = mode == NT_ESC_JSON || mode == NT_ESC_JSON_HTML;
	int html = mode == NT_ESC_HTML || mode == NT_ESC_XML;
	int bidi = cp == 0x61C || cp == 0x200E || cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) ||
		   (cp >= 0x2066 && cp <= 0x2069);

	if (json) {
		if (cp == '"' || cp == '\\')
			return (size_t)sprintf(o, "\\%c", (char)cp);
		if (cp == '\n')
			return (size_t)sprintf(o, "\\n");
		if (cp == '\r')
			return (size_t)sprintf(o, "\\r");
		if (cp == '\t')
			return (size_t)sprintf(o, "\\t");
		if (cp == '\b')
			return (size_t)sprintf(o, "\\b");
		if (cp == '\f')
			return (size_t)sprintf(o, "\\f");
		if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0) || bidi || cp == 0x2028 || cp == 0x2029 ||
		    (mode == NT_ESC_JSON_HTML && (cp == '<' || cp == '>' || cp == '&')))
			return (size_t)sprintf(o, "\\u%04x", cp);
	} else {
		if (cp == '\n')
			return (size_t)sprintf(o, "\\n");
		if (cp == '\r')
			return (size_t)sprintf(o, "\\r");
		if (cp == '\t')
			return (size_t)sprintf(o, "\\t");
		if (cp < 0x20 || cp == 0x7F)
			return (size_t)sprintf(o, "\\x%02x", cp);
		if ((cp >= 0x80 && cp < 0xA0) || bidi || cp == 0xFFFE || cp == 0xFFFF)
			return (size_t)sprintf(o, "\\u%04x", cp);
		if (html) {
			switch (cp) {
			case '&': return (size_t)sprintf(o, "&amp;");
			case '<': return (size_t)sprintf(o, "&lt;");
			case '>': return (size_t)sprintf(o, "&gt;");
			case '"': return (size_t)sprintf(o, "&quot;");
			case '\'': return (size_t)sprintf(o, "&#39;");
			}
		}
	}
	return enc(cp, (unsigned char *)o);
}

TEST(every_code_point_in_every_form)
{
	for (size_t mi = 0; mi < sizeof(modes) / sizeof(modes[0]); mi++) {
		enum nt_esc_mode mode = modes[mi];

		for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) {
			unsigned char in[4];
			char out[16], want[16];
			size_t n, len, wlen, used;

			if (!scalar(cp))
				continue;
			n = enc(cp, in);
			len = nt_esc_chunk(mode, out, sizeof(out), (char *)in, n, &used);
			wlen = expect_cp(mode, cp, want);
			if (len != wlen || memcmp(out, want, len) || used != n) {
				printf("# %s U+%04X: got '%.*s', want '%.*s'\n", mode_names[mi], cp,
				       (int)len, out, (int)wlen, want);
				CHECK(0);
			}
			CHECK(len <= NT_ESC_UNIT_MAX || len == n);
			CHECK_EQ_INT(nt_esc_len(mode, (char *)in, n), wlen);
			CHECK_EQ_INT(nt_esc_clean(mode, (char *)in, n), wlen == n && !memcmp(out, in, n));
		}
	}
}

TEST(code_point_classes)
{
	CHECK_EQ_INT(nt_cp_class(0), NT_CP_C0);
	CHECK_EQ_INT(nt_cp_class(0x1B), NT_CP_C0);
	CHECK_EQ_INT(nt_cp_class(0x1F), NT_CP_C0);
	CHECK_EQ_INT(nt_cp_class(' '), NT_CP_PLAIN);
	CHECK_EQ_INT(nt_cp_class(0x7E), NT_CP_PLAIN);
	CHECK_EQ_INT(nt_cp_class(0x7F), NT_CP_DEL);
	CHECK_EQ_INT(nt_cp_class(0x80), NT_CP_C1);
	CHECK_EQ_INT(nt_cp_class(0x9B), NT_CP_C1);
	CHECK_EQ_INT(nt_cp_class(0x9F), NT_CP_C1);
	CHECK_EQ_INT(nt_cp_class(0xA0), NT_CP_PLAIN);
	CHECK_EQ_INT(nt_cp_class(0x2192), NT_CP_PLAIN); /* → */
	for (uint32_t c = 0x202A; c <= 0x202E; c++)
		CHECK_EQ_INT(nt_cp_class(c), NT_CP_BIDI);
	for (uint32_t c = 0x2066; c <= 0x2069; c++)
		CHECK_EQ_INT(nt_cp_class(c), NT_CP_BIDI);
	CHECK_EQ_INT(nt_cp_class(0x2029), NT_CP_LINESEP);
	CHECK_EQ_INT(nt_cp_class(0x202F), NT_CP_PLAIN);
	CHECK_EQ_INT(nt_cp_class(0x2065), NT_CP_PLAIN);
	CHECK_EQ_INT(nt_cp_class(0x206A), NT_CP_PLAIN);
	CHECK_EQ_INT(nt_cp_class(0xFFFF), NT_CP_NONCHAR);
	CHECK_EQ_INT(nt_cp_class(0x10FFFF), NT_CP_PLAIN);
}

static const char *esc(enum nt_esc_mode mode, const char *s, size_t n)
{
	static char buf[4096];

	nt_esc_buf(mode, buf, sizeof(buf), s, n);
	return buf;
}
#define ESC(mode, lit) esc(mode, lit, sizeof(lit) - 1)

TEST(hostile_strings_of_the_issue)
{
	/* window title (OSC 0), clipboard (OSC 52), erase line, CR overwrite */
	CHECK_EQ_STR(ESC(NT_ESC_TEXT, "eth0\x1b]0;pwned\x07"), "eth0\\x1b]0;pwned\\x07");
	CHECK_EQ_STR(ESC(NT_ESC_TEXT, "\x1b]52;c;cm0gLXJmIH4=\x1b\\"), "\\x1b]52;c;cm0gLXJmIH4=\\x1b\\");
	/* a backslash stays (nft's own rule text: comment "ssh \\ admin") */
	CHECK_EQ_STR(ESC(NT_ESC_TEXT, "comment \"ssh \\\\ admin\""), "comment \"ssh \\\\ admin\"");
	CHECK_EQ_STR(ESC(NT_ESC_TEXT, "x\x1b[2K\x1b[1A\rDropped: ACCEPTED"),
		     "x\\x1b[2K\\x1b[1A\\rDropped: ACCEPTED");
	CHECK_EQ_STR(ESC(NT_ESC_TEXT, "c\n====\nPACKET TRACE: 0x1"), "c\\n====\\nPACKET TRACE: 0x1");
	CHECK_EQ_STR(ESC(NT_ESC_TEXT, "tab\there\x7f"), "tab\\there\\x7f");
	/* SSE: a CR ends an EventSource line too */
	CHECK_EQ_STR(ESC(NT_ESC_TEXT, "in\r\nevent: end\rid: 9"), "in\\r\\nevent: end\\rid: 9");
	/* C1 CSI as a code point, and as a raw byte (not UTF-8) */
	CHECK_EQ_STR(ESC(NT_ESC_TEXT, "a\xc2\x9b" "31mb"), "a\\u009b31mb");
	CHECK_EQ_STR(ESC(NT_ESC_TEXT, "a\x9b" "31mb"), "a\xef\xbf\xbd" "31mb");
	/* bidi override (Trojan Source) */
	CHECK_EQ_STR(ESC(NT_ESC_TEXT, "accept\xe2\x80\xae" "pord"), "accept\\u202epord");
	CHECK_EQ_STR(ESC(NT_ESC_TEXT, "\xe2\x81\xa6x\xe2\x81\xa9"), "\\u2066x\\u2069");
	/* kept: arrows, accents, CJK, emoji */
	CHECK_EQ_STR(ESC(NT_ESC_TEXT, "10.0.0.1:5 \xe2\x86\x92 10.0.0.2:80 caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x98\x80"),
		     "10.0.0.1:5 \xe2\x86\x92 10.0.0.2:80 caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x98\x80");
	/* overlong '/', overlong NUL, surrogate, past U+10FFFF, truncated at the end */
	CHECK_EQ_STR(ESC(NT_ESC_TEXT, "\xc0\xaf"), "\xef\xbf\xbd\xef\xbf\xbd");
	CHECK_EQ_STR(ESC(NT_ESC_TEXT, "\xe0\x80\xaf"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	CHECK_EQ_STR(ESC(NT_ESC_TEXT, "\xc0\x80"), "\xef\xbf\xbd\xef\xbf\xbd");
	CHECK_EQ_STR(ESC(NT_ESC_TEXT, "\xed\xa0\x80"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	CHECK_EQ_STR(ESC(NT_ESC_TEXT, "\xf4\x90\x80\x80"),
		     "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	CHECK_EQ_STR(ESC(NT_ESC_TEXT, "\xf8\x88\x80\x80\x80"),
		     "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	CHECK_EQ_STR(ESC(NT_ESC_TEXT, "ab\xe2\x86"), "ab\xef\xbf\xbd");
	CHECK_EQ_STR(ESC(NT_ESC_TEXT, "\xf0\x9f\x98"), "\xef\xbf\xbd");
	/* Unicode's own example of maximal subparts (Table 3-8) */
	CHECK_EQ_STR(ESC(NT_ESC_TEXT, "\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64"),
		     "a\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" "b\xef\xbf\xbd" "c\xef\xbf\xbd\xef\xbf\xbd" "d");
	/* a NUL inside a counted string */
	CHECK_EQ_STR(esc(NT_ESC_TEXT, "a\0b", 3), "a\\x00b");
	CHECK_EQ_STR(esc(NT_ESC_JSON, "a\0b", 3), "a\\u0000b");
	/* JSON */
	CHECK_EQ_STR(ESC(NT_ESC_JSON, "q\"b\\s\x1b[0m\xc2\x85\xe2\x80\xa8\x7f\xff"),
		     "q\\\"b\\\\s\\u001b[0m\\u0085\\u2028\\u007f\xef\xbf\xbd");
	CHECK_EQ_STR(ESC(NT_ESC_JSON, "</script><!--&"), "</script><!--&");
	CHECK_EQ_STR(ESC(NT_ESC_JSON_HTML, "</script><!--&"), "\\u003c/script\\u003e\\u003c!--\\u0026");
	/* HTML / SVG */
	CHECK_EQ_STR(ESC(NT_ESC_HTML, "<script>alert('x')</script>&\"\x1b"),
		     "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;\\x1b");
	CHECK_EQ_STR(ESC(NT_ESC_XML, "]]><svg onload=\"x\">\x01\xef\xbf\xbe"),
		     "]]&gt;&lt;svg onload=&quot;x&quot;&gt;\\x01\\ufffe");
}

/* ---- random input: properties ---- */
static uint64_t rs = 88172645463325252ull;
static uint64_t rnd(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return rs;
}

/* A random string biased toward the interesting bytes. */
static size_t rand_str(unsigned char *b, size_t max)
{
	static const unsigned char pick[] = { 0x00, 0x07, 0x09, 0x0A, 0x0D, 0x1B, 0x5C, 0x22, 0x27,
					      0x26, 0x3C, 0x3E, 0x7F, 0x80, 0x85, 0x9B, 0xBF, 0xC0,
					      0xC1, 0xC2, 0xDF, 0xE0, 0xE2, 0xED, 0xEF, 0xF0, 0xF4,
					      0xF5, 0xFF, 0xA0, 0x81, 0xAE, 0xA6, 0xA9, 0xBE, 0x90 };
	size_t n = rnd() % max;

	for (size_t i = 0; i < n; i++) {
		uint64_t r = rnd();

		switch (r % 4) {
		case 0: b[i] = (unsigned char)(0x20 + (r >> 8) % 95); break;
		case 1: b[i] = (unsigned char)(r >> 8); break;
		default: b[i] = pick[(r >> 8) % sizeof(pick)];
		}
	}
	return n;
}

/* The input as it should read after escaping is undone: ill-formed subparts
 * replaced by U+FFFD. */
static size_t sanitize(const unsigned char *in, size_t n, unsigned char *out)
{
	size_t i = 0, o = 0;

	while (i < n) {
		uint32_t cp;
		size_t k = nt_utf8_decode(in + i, n - i, &cp);

		if (cp == NT_UTF8_BAD)
			o += enc(0xFFFD, out + o);
		else
			memcpy(out + o, in + i, k), o += k;
		i += k;
	}
	return o;
}

static int hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Undo the visible escapes of TEXT (after HTML entities for HTML/XML);
 * returns -1 on a sequence TEXT never writes. */
static long unescape_text(const char *s, size_t n, unsigned char *out, int html)
{
	size_t i = 0, o = 0;

	while (i < n) {
		if (html && s[i] == '&') {
			static const struct { const char *e; char c; } ent[] = {
				{ "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' },
				{ "&quot;", '"' }, { "&#39;", '\'' } };
			size_t k;

			for (k = 0; k < 5; k++)
				if (!strncmp(s + i, ent[k].e, strlen(ent[k].e)))
					break;
			if (k == 5)
				return -1;
			out[o++] = (unsigned char)ent[k].c;
			i += strlen(ent[k].e);
			continue;
		}
		if (html && (s[i] == '<' || s[i] == '>' || s[i] == '"' || s[i] == '\''))
			return -1;
		if (s[i] != '\\') {
			out[o++] = (unsigned char)s[i++];
			continue;
		}
		if (i + 1 >= n)
			return -1;
		switch (s[i + 1]) {
		case 'n': out[o++] = '\n'; i += 2; break;
		case 'r': out[o++] = '\r'; i += 2; break;
		case 't': out[o++] = '\t'; i += 2; break;
		case 'x':
			if (i + 3 >= n || hexval(s[i + 2]) < 0 || hexval(s[i + 3]) < 0)
				return -1;
			out[o++] = (unsigned char)(hexval(s[i + 2]) << 4 | hexval(s[i + 3]));
			i += 4;
			break;
		case 'u': {
			uint32_t cp = 0;

			if (i + 5 >= n)
				return -1;
			for (int k = 2; k < 6; k++) {
				if (hexval(s[i + k]) < 0)
					return -1;
				cp = cp << 4 | (uint32_t)hexval(s[i + k]);
			}
			o += enc(cp, out + o);
			i += 6;
			break;
		}
		default:
			return -1;
		}
	}
	return (long)o;
}

/* A strict JSON string body decoder (RFC 8259); -1 on anything invalid. */
static long unescape_json(const char *s, size_t n, unsigned char *out)
{
	size_t i = 0, o = 0;

	if (!nt_utf8_valid(s, n))
		return -1;
	while (i < n) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == '"')
			return -1;
		if (c != '\\') {
			out[o++] = c;
			i++;
			continue;
		}
		if (i + 1 >= n)
			return -1;
		switch (s[i + 1]) {
		case '"': case '\\': case '/': out[o++] = (unsigned char)s[i + 1]; i += 2; break;
		case 'b': out[o++] = '\b'; i += 2; break;
		case 'f': out[o++] = '\f'; i += 2; break;
		case 'n': out[o++] = '\n'; i += 2; break;
		case 'r': out[o++] = '\r'; i += 2; break;
		case 't': out[o++] = '\t'; i += 2; break;
		case 'u': {
			uint32_t cp = 0;

			if (i + 5 >= n)
				return -1;
			for (int k = 2; k < 6; k++) {
				if (hexval(s[i + k]) < 0)
					return -1;
				cp = cp << 4 | (uint32_t)hexval(s[i + k]);
			}
			if (cp >= 0xD800 && cp <= 0xDFFF)
				return -1; /* we never write surrogate pairs */
			o += enc(cp, out + o);
			i += 6;
			break;
		}
		default:
			return -1;
		}
	}
	return (long)o;
}

/* No C0 (so no CR / LF / TAB), DEL, C1 or bidi control, valid UTF-8. */
static int output_safe(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < n) {
		uint32_t cp;
		size_t k = nt_utf8_decode(p + i, n - i, &cp);
		enum nt_cp_class c;

		if (cp == NT_UTF8_BAD)
			return 0;
		c = nt_cp_class(cp);
		if (c == NT_CP_C0 || c == NT_CP_DEL || c == NT_CP_C1 || c == NT_CP_BIDI)
			return 0;
		i += k;
	}
	return 1;
}

TEST(random_input_every_form_safe_reversible_chunkable)
{
	static unsigned char in[300], clean[1200], back[2000];
	static char out[2000], chunked[2000];

	for (int iter = 0; iter < 25000; iter++) {
		size_t n = rand_str(in, sizeof(in)), cn;

		/* TEXT keeps a backslash as it is: reversible for input without one */
		for (size_t i = 0; i < n; i++)
			if (in[i] == '\\')
				in[i] = '/';
		cn = sanitize(in, n, clean);

		for (size_t mi = 0; mi < sizeof(modes) / sizeof(modes[0]); mi++) {
			enum nt_esc_mode mode = modes[mi];
			size_t used, len = nt_esc_chunk(mode, out, sizeof(out), (char *)in, n, &used);
			size_t clen = 0, pos = 0;
			long bn;

			CHECK_EQ_INT(used, n);
			CHECK_EQ_INT(nt_esc_len(mode, (char *)in, n), len);
			CHECK(output_safe(out, len));
			CHECK_EQ_INT(nt_esc_clean(mode, (char *)in, n), len == n && !memcmp(out, in, n));
			if (mode == NT_ESC_JSON || mode == NT_ESC_JSON_HTML) {
				bn = unescape_json(out, len, back);
				if (mode == NT_ESC_JSON_HTML)
					CHECK(!memchr(out, '<', len) && !memchr(out, '>', len) &&
					      !memchr(out, '&', len));
			} else {
				bn = unescape_text(out, len, back, mode != NT_ESC_TEXT);
			}
			CHECK(bn >= 0);
			CHECK_EQ_INT(bn, cn);
			CHECK(!memcmp(back, clean, cn));
			/* the same output in chunks of a random capacity >= one unit */
			while (pos < n) {
				size_t cap = NT_ESC_UNIT_MAX + rnd() % 20, u;
				size_t l = nt_esc_chunk(mode, chunked + clen, cap, (char *)in + pos,
							n - pos, &u);

				CHECK(u > 0 || n == pos);
				CHECK(l <= cap);
				clen += l;
				pos += u;
			}
			CHECK_EQ_INT(clen, len);
			CHECK(!memcmp(chunked, out, len));
		}
	}
}

TEST(truncation_never_splits_an_escape_or_a_character)
{
	static unsigned char in[200];
	char full[1300], part[1300];

	for (int iter = 0; iter < 20000; iter++) {
		size_t n = rand_str(in, sizeof(in));
		enum nt_esc_mode mode = modes[rnd() % 5];
		size_t flen = nt_esc_buf(mode, full, sizeof(full), (char *)in, n);
		size_t cap = 1 + rnd() % (flen + 2);
		size_t plen = nt_esc_buf(mode, part, cap, (char *)in, n);

		CHECK(plen < cap);
		CHECK(plen <= flen);
		CHECK_EQ_INT(strlen(part), plen);
		CHECK(!memcmp(part, full, plen));
		CHECK(output_safe(part, plen));
		/* at most one unit (or a run remainder) short of the capacity */
		CHECK(plen + NT_ESC_UNIT_MAX >= cap - 1 || plen == flen);
	}
	{
		char small[5];

		/* "\x1b" does not fit into 4 bytes + NUL after "a": cut before it */
		CHECK_EQ_INT(nt_esc_buf(NT_ESC_TEXT, small, sizeof(small), "a\x1b", 2), 1);
		CHECK_EQ_STR(small, "a");
		CHECK_EQ_INT(nt_esc_buf(NT_ESC_TEXT, small, 1, "abc", 3), 0);
		CHECK_EQ_STR(small, "");
	}
}

TEST(utf8_prefix_cuts_at_character_boundaries)
{
	const char *s = "a\xe2\x86\x92" "b\xf0\x9f\x98\x80"; /* a → b 😀 */
	size_t n = strlen(s);

	CHECK_EQ_INT(nt_utf8_prefix(s, n, 0), 0);
	CHECK_EQ_INT(nt_utf8_prefix(s, n, 1), 1);
	CHECK_EQ_INT(nt_utf8_prefix(s, n, 2), 1);
	CHECK_EQ_INT(nt_utf8_prefix(s, n, 3), 1);
	CHECK_EQ_INT(nt_utf8_prefix(s, n, 4), 4);
	CHECK_EQ_INT(nt_utf8_prefix(s, n, 5), 5);
	CHECK_EQ_INT(nt_utf8_prefix(s, n, 8), 5);
	CHECK_EQ_INT(nt_utf8_prefix(s, n, 9), 9);
	CHECK_EQ_INT(nt_utf8_prefix(s, n, 100), 9);
	/* ill-formed bytes are cut one subpart at a time */
	CHECK_EQ_INT(nt_utf8_prefix("\xff\xff\xff", 3, 2), 2);
}

TEST(stdio_writer)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	char big[3000];

	CHECK(f);
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)(i % 3 == 0 ? 0x1b : 'a');
	CHECK_EQ_INT(nt_esc_fputs(f, NT_ESC_TEXT, "x\ny"), 0);
	CHECK_EQ_INT(nt_esc_fputs(f, NT_ESC_TEXT, NULL), 0);
	CHECK_EQ_INT(nt_esc_fwrite(f, NT_ESC_TEXT, big, sizeof(big)), 0);
	fclose(f);
	CHECK_EQ_INT(len, 4 + 1000 * 4 + 2000);
	CHECK(!memcmp(buf, "x\\ny\\x1baa\\x1b", 14));
	free(buf);
	f = fopen("/dev/full", "w");
	if (f) {
		setvbuf(f, NULL, _IONBF, 0);
		CHECK_EQ_INT(nt_esc_fputs(f, NT_ESC_TEXT, "abc"), EOF);
		fclose(f);
	}
}

/* ---- speed (the journeys output path): printed, loosely bounded ---- */
static double ns_per_byte(enum nt_esc_mode mode, const char *s, size_t n, size_t *outbytes)
{
	char out[4096];
	struct timespec a, b;
	size_t total = 0, reps = (16u << 20) / (n ? n : 1);

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (size_t r = 0; r < reps; r++) {
		size_t used;

		total += nt_esc_chunk(mode, out, sizeof(out), s, n, &used);
		__asm__ volatile("" : : "r"(out) : "memory");
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	*outbytes = total;
	return ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) /
	       ((double)reps * (double)n);
}

TEST(speed_ns_per_byte)
{
	static const struct { const char *what; const char *s; } in[] = {
		{ "name (ascii, 14 B)", "nf_hook_slow__" },
		{ "rule text (ascii, 60 B)", "ip saddr 10.0.0.0/8 tcp dport { 22, 80, 443 } counter accept" },
		{ "flow with arrows (utf-8)", "10.0.0.1:54321 \xe2\x86\x92 10.0.0.2:443 \xe2\x86\x92 caf\xc3\xa9" },
		{ "hostile (escapes)", "\x1b]0;t\x07\x1b[2K\rACCEPTED\xe2\x80\xae\xc2\x9b\xff\xc0\xaf" },
	};
	double worst_clean = 0;

	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++)
		for (size_t mi = 0; mi < sizeof(modes) / sizeof(modes[0]); mi++) {
			size_t ob;
			double t = ns_per_byte(modes[mi], in[i].s, strlen(in[i].s), &ob);

			printf("# escape %-9s %-26s %.2f ns/byte\n", mode_names[mi], in[i].what, t);
			if (i < 2 && t > worst_clean)
				worst_clean = t;
		}
	/* loose: the machine is shared; ASCII costs well under 2 ns/byte when idle
	 * (sanitizer builds are not timed) */
#ifndef __SANITIZE_ADDRESS__
	CHECK(worst_clean < 20.0);
#endif
}

int main(void)
{
	RUN(decoder_equals_reference_on_every_1_2_3_byte_input);
	RUN(decoder_equals_reference_on_4_byte_inputs);
	RUN(decoder_every_scalar_value_round_trips_and_surrogates_are_bad);
	RUN(every_code_point_in_every_form);
	RUN(code_point_classes);
	RUN(hostile_strings_of_the_issue);
	RUN(random_input_every_form_safe_reversible_chunkable);
	RUN(truncation_never_splits_an_escape_or_a_character);
	RUN(utf8_prefix_cuts_at_character_boundaries);
	RUN(stdio_writer);
	RUN(speed_ns_per_byte);
	TEST_EXIT();
}
