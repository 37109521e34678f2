/* SPDX-License-Identifier: GPL-2.0 */
/*
 * escape.h - the one output-escaping layer of nft-tracer.
 *
 * Every string that comes from a log or from the kernel (interface, table,
 * chain, set and function names, rule text and comments, drop reasons, kallsyms,
 * host names) was chosen by someone else: a container's root can name an
 * interface "\e]52;c;...\a".  Every text writer passes such strings through
 * this module.  The input is decoded as UTF-8 first; then, per output form:
 *
 *  form        what is made harmless
 *  ----------  ---------------------------------------------------------------
 *  NT_ESC_TEXT terminal text, line-oriented output (events, journeys, stats,
 *              --stream, folded stacks), SSE data lines, error messages:
 *                TAB, LF, CR -> `\t` `\n` `\r`; other C0 and DEL
 *                -> `\xNN`; C1 (U+0080..U+009F), bidirectional controls
 *                (U+061C, U+200E, U+200F, U+202A..U+202E, U+2066..U+2069) and
 *                the non-characters U+FFFE, U+FFFF -> `\uNNNN`.
 *  NT_ESC_HTML as TEXT, then `& < > " '` -> `&amp; &lt; &gt; &quot; &#39;`
 *  NT_ESC_XML  the same as HTML (XML 1.0 forbids C0 but TAB/LF/CR, U+FFFE and
 *              U+FFFF: all made visible), for SVG
 *  NT_ESC_JSON the body of a JSON string: `"` `\` and C0 as JSON escapes
 *              (`\n`, `\u001b`), DEL, C1, bidi controls, U+2028, U+2029 as
 *              `\uNNNN` (the decoded string keeps them; the JSON text shows them)
 *  NT_ESC_JSON_HTML  JSON for a <script> element: also `< > &` -> `\u003c`...
 *
 * Everything else (printable ASCII, "→", CJK, emoji) is copied unchanged.
 * Invalid UTF-8 (stray continuation bytes, overlong forms, UTF-16 surrogates,
 * code points past U+10FFFF, truncated sequences) becomes U+FFFD, one per
 * maximal ill-formed subpart (Unicode 15 §3.9, "U+FFFD substitution of
 * maximal subparts", as Python's decode(errors="replace") does).
 *
 * Guarantees (tests/unit/test_escape.c checks them on every code point and
 * on random input): the output of every form is valid UTF-8 without any C0,
 * DEL, C1 or bidi control (so no CR / LF: safe for SSE data lines and one
 * output line per record); TEXT is reversible up to the U+FFFD replacement
 * for input without a backslash (a backslash is kept as it is, so nft's own
 * rule text reads as `nft list ruleset` prints it: a literal "\x1b" in a name
 * looks like an escape, but can never act as one); JSON decodes back to the
 * input with U+FFFD replacement.
 *
 * Allocation free.  The core is nt_esc_chunk(), which writes whole escape
 * units into a caller buffer and says how much input it consumed; buffered
 * writers (nft-analyze's text builder and JSON writer) call it on their own
 * buffer.  One unit is at most NT_ESC_UNIT_MAX bytes.
 */
#ifndef NT_ESCAPE_H
#define NT_ESCAPE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum nt_esc_mode {
	NT_ESC_TEXT = 0,
	NT_ESC_JSON,
	NT_ESC_JSON_HTML,
	NT_ESC_HTML,
	NT_ESC_XML,
	NT_ESC__MODES
};

/* Longest output of one input character ("\u202e", "&quot;"). */
#define NT_ESC_UNIT_MAX 6

/* ---- UTF-8 ---- */
#define NT_UTF8_BAD 0xFFFFFFFFu

/* Decode the character at P (N >= 1 bytes available).  Returns the bytes it
 * takes (1..4) and the code point in *CP, or NT_UTF8_BAD in *CP when P starts
 * an ill-formed sequence: the return value is then the length of its maximal
 * subpart (1..3), which one U+FFFD replaces. */
size_t nt_utf8_decode(const unsigned char *p, size_t n, uint32_t *cp);

/* Length of the longest prefix of S[0..N) of at most MAX bytes that does not
 * end inside a well-formed character (for truncating untrusted text). */
size_t nt_utf8_prefix(const char *s, size_t n, size_t max);

/* 1 when S[0..N) is valid UTF-8. */
int nt_utf8_valid(const char *s, size_t n);

/* Code point classes (what the escaping of the forms above looks at). */
enum nt_cp_class {
	NT_CP_PLAIN = 0,  /* copied by every form (may still be an HTML / JSON special) */
	NT_CP_C0,         /* U+0000..U+001F */
	NT_CP_DEL,        /* U+007F */
	NT_CP_C1,         /* U+0080..U+009F */
	NT_CP_BIDI,       /* U+061C, U+200E, U+200F, U+202A..U+202E, U+2066..U+2069 */
	NT_CP_LINESEP,    /* U+2028, U+2029 (escaped in JSON only) */
	NT_CP_NONCHAR,    /* U+FFFE, U+FFFF (not XML characters) */
};
enum nt_cp_class nt_cp_class(uint32_t cp);

/* ---- escaping ---- */

/* Escape as much of IN[0..N) as fits into OUT[0..CAP) without splitting an
 * escape unit or a character; *USED = input bytes consumed.  Returns the
 * output bytes written (not NUL terminated).  CAP >= NT_ESC_UNIT_MAX always
 * makes progress while input is left. */
size_t nt_esc_chunk(enum nt_esc_mode mode, char *out, size_t cap,
		    const char *in, size_t n, size_t *used);

/* Output bytes the whole of IN[0..N) needs. */
size_t nt_esc_len(enum nt_esc_mode mode, const char *in, size_t n);

/* 1 when IN[0..N) is its own escaped form (nothing to do): a fast check. */
int nt_esc_clean(enum nt_esc_mode mode, const char *in, size_t n);

/* Escape IN[0..N) into DST[0..CAP) (CAP >= 1), NUL terminated, truncated at
 * a unit boundary when it does not fit.  Returns the bytes written (without
 * the NUL).  For fixed-size fields such as an error message. */
size_t nt_esc_buf(enum nt_esc_mode mode, char *dst, size_t cap, const char *in, size_t n);

/* The same for a NUL-terminated S (NULL -> ""); returns DST. */
char *nt_esc_str(enum nt_esc_mode mode, char *dst, size_t cap, const char *s);

/* Escape IN[0..N) to F (stdio, through a stack buffer).  Returns 0, or EOF
 * when F reports an error. */
int nt_esc_fwrite(FILE *f, enum nt_esc_mode mode, const char *in, size_t n);
int nt_esc_fputs(FILE *f, enum nt_esc_mode mode, const char *s);

/* Copies the longest prefix of the NUL-terminated S that MODE passes unchanged
 * (plain ASCII, no NUL; at most CAP bytes) to OUT; returns its length.  The
 * rest, from a character boundary, goes through nt_esc_chunk(). */
size_t nt_esc_plain_prefix(enum nt_esc_mode mode, char *out, size_t cap, const char *s);

#endif
