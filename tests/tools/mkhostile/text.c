/* text.c - mkhostile: the hostile payloads, growable JSON text. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/tools/mkhostile/mkhostile.h"

/* ---- payloads ---- */
#define P(id, lit) { id, lit, sizeof(lit) - 1 }
const struct payload payloads[] = {
	P("osc0", "t\x1b]0;PWNED window title\x07"),
	P("osc52", "c\x1b]52;c;ZWNobyBwd25lZCB8IHNo\x07"),
	P("csi", "e\x1b[2K\x1b[1A\x1b[31mRED\x1b[0m\x1b[?1049h"),
	P("cr", "x\r\rDropped: ACCEPTED (reason 0) at nothing            "),
	P("forge", "f\n================================================================================\n"
		   "PACKET TRACE: 0xffff888100000000 (packet 999999)\n"
		   "[TCP] 6.6.6.6:1 \xe2\x86\x92 7.7.7.7:2 | Functions: 1, NFT Chains: 0, Rules: 0 | Verdict: ACCEPT\n"),
	P("sse", "s\r\nevent: end\r\nid: 18446744073709551615\r\ndata: {\"forged\":true}\r\n\r\nretry: 1\r"),
	P("c1", "c1\xc2\x9b" "31m\xc2\x9d" "0;t\xc2\x9c\xc2\x85\xc2\x8d"),
	P("c1raw", "r\x9b" "31m\x9d" "0;t\x9c\x85"),
	P("bidi", "accept\xe2\x80\xae\xe2\x81\xa6" "pord\xe2\x81\xa9\xe2\x80\xac\xe2\x80\x8f\xd8\x9c"),
	P("overlong", "o\xc0\xaf\xc1\xbf\xe0\x80\xaf\xf0\x80\x80\xaf\xc0\x80"),
	P("surrogate", "s\xed\xa0\x80\xed\xbf\xbf\xed\xb0\x80"),
	P("beyond", "b\xf4\x90\x80\x80\xf5\x80\x80\x80\xf8\x88\x80\x80\x80\xfe\xff"),
	P("truncated", "t\xe2\x86 \xf0\x9f\x98 \xc3"),
	P("html", "</script><script>alert(1)</script><img src=x onerror=alert(2)>&amp;\"'`"),
	P("xml", "]]><!--<![CDATA[x\x01\x02\x0b\x0c\x1f\xef\xbf\xbe\xef\xbf\xbf"),
	P("json", "\"},{\"evil\":true,\"x\":\"\\u0000\\"),
	P("folded", "a;b;c 999999\nnftables;x 1"),
	P("del", "d\x7f\x08\x08\x08" "ACCEPT"),
	P("utf8ok", "caf\xc3\xa9 \xe2\x86\x92 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80"),
};
_Static_assert(sizeof(payloads) / sizeof(payloads[0]) == NPAY, "NPAY in mkhostile.h");

/* ---- growable JSON text ---- */
void die(const char *fmt, ...)
{
	va_list ap;

	fputs("mkhostile: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

void jb_mem(struct jb *b, const void *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;

		while (cap < b->len + n + 1)
			cap *= 2;
		b->p = realloc(b->p, cap);
		if (!b->p)
			die("out of memory");
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = 0;
}

void jb_fmt(struct jb *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		die("internal: format too long");
	jb_mem(b, tmp, (size_t)n);
}

/* A JSON string as a hostile writer may write it: `"` and `\` escaped (else
 * the block would not parse and nobody would see the payload), controls as
 * \u00XX escapes or raw (RAW: cJSON accepts raw controls), bytes >= 0x80 raw
 * (invalid UTF-8 stays invalid: cJSON does not check). */
void jb_str(struct jb *b, const char *s, size_t n, int raw)
{
	JB_LIT(b, "\"");
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };

			jb_mem(b, e, 2);
		} else if (c < 0x20 && !raw) {
			jb_fmt(b, "\\u%04x", c);
		} else {
			jb_mem(b, &s[i], 1);
		}
	}
	JB_LIT(b, "\"");
}

void jb_pay(struct jb *b, const char *prefix, const struct payload *p, int raw)
{
	char tmp[1024];
	size_t n = (size_t)snprintf(tmp, sizeof(tmp), "%s", prefix);

	memcpy(tmp + n, p->s, p->n);
	jb_str(b, tmp, n + p->n, raw);
}
