// SPDX-License-Identifier: GPL-2.0
/* pcapng.c - pcapng writer (pcapng.h). */
#include <string.h>

#include "common/escape.h"
#include "model/pcapng.h"

#define BT_SHB 0x0a0d0d0au
#define BT_IDB 0x00000001u
#define BT_EPB 0x00000006u
#define OPT_END 0
#define OPT_COMMENT 1
#define SHB_HARDWARE 2
#define SHB_OS 3
#define SHB_USERAPPL 4
#define IF_NAME 2
#define IF_DESCRIPTION 3
#define IF_TSRESOL 9

static inline uint32_t pad4(size_t n)
{
	return (uint32_t)((n + 3) & ~(size_t)3);
}

static inline void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static inline void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }

/* An option at P (code, length, value, padding); returns its size. */
static size_t opt(uint8_t *p, uint16_t code, const void *v, size_t len)
{
	put16(p, code);
	put16(p + 2, (uint16_t)len);
	if (len)
		memcpy(p + 4, v, len);
	memset(p + 4 + len, 0, pad4(len) - len);
	return 4 + pad4(len);
}

static size_t opt_str(uint8_t *p, uint16_t code, const char *s, size_t max)
{
	char clean[512];
	size_t n;

	if (!s)
		return 0;
	n = nt_pcapng_clean_utf8(clean, max < sizeof(clean) ? max : sizeof(clean), s);
	return n ? opt(p, code, clean, n) : 0;
}

/* Close the block of type TYPE whose body (after the 8-byte header) ends at
 * O; write it. */
static void block_out(struct nt_pcapng *w, uint32_t type, size_t o)
{
	uint32_t total = (uint32_t)(o + 4);

	put32(w->buf, type);
	put32(w->buf + 4, total);
	put32(w->buf + o, total);
	fwrite(w->buf, 1, total, w->f);
}

void nt_pcapng_init(struct nt_pcapng *w, FILE *f)
{
	w->f = f;
	w->nif = 0;
	w->packets = 0;
}

void nt_pcapng_shb(struct nt_pcapng *w, const char *hardware, const char *os, const char *app)
{
	uint8_t *b = w->buf;
	uint64_t seclen = UINT64_MAX; /* -1: not given */
	size_t o = 8;

	put32(b + o, 0x1a2b3c4du);
	put16(b + o + 4, 1);
	put16(b + o + 6, 0);
	memcpy(b + o + 8, &seclen, 8);
	o += 16;
	o += opt_str(b + o, SHB_HARDWARE, hardware, 256);
	o += opt_str(b + o, SHB_OS, os, 256);
	o += opt_str(b + o, SHB_USERAPPL, app, 256);
	o += opt(b + o, OPT_END, NULL, 0);
	block_out(w, BT_SHB, o);
}

uint32_t nt_pcapng_idb(struct nt_pcapng *w, uint16_t linktype, uint32_t snaplen, const char *name,
		       const char *description)
{
	uint8_t *b = w->buf, tsresol = 9;
	size_t o = 8;

	put16(b + o, linktype);
	put16(b + o + 2, 0);
	put32(b + o + 4, snaplen);
	o += 8;
	o += opt_str(b + o, IF_NAME, name, 256);
	o += opt_str(b + o, IF_DESCRIPTION, description, 256);
	o += opt(b + o, IF_TSRESOL, &tsresol, 1);
	o += opt(b + o, OPT_END, NULL, 0);
	block_out(w, BT_IDB, o);
	return w->nif++;
}

void nt_pcapng_epb(struct nt_pcapng *w, uint32_t ifid, uint64_t ts_ns, const uint8_t *data,
		   uint32_t caplen, uint32_t origlen, const char *comment)
{
	uint8_t *b = w->buf;
	size_t o = 8;

	if (caplen > sizeof(w->buf) - NT_PCAPNG_COMMENT_MAX - 64)
		caplen = (uint32_t)(sizeof(w->buf) - NT_PCAPNG_COMMENT_MAX - 64);
	if (origlen < caplen)
		origlen = caplen;
	put32(b + o, ifid);
	put32(b + o + 4, (uint32_t)(ts_ns >> 32));
	put32(b + o + 8, (uint32_t)ts_ns);
	put32(b + o + 12, caplen);
	put32(b + o + 16, origlen);
	o += 20;
	memcpy(b + o, data, caplen);
	memset(b + o + caplen, 0, pad4(caplen) - caplen);
	o += pad4(caplen);
	if (comment) {
		char clean[NT_PCAPNG_COMMENT_MAX + 1];
		size_t n = nt_pcapng_clean_utf8(clean, sizeof(clean), comment);

		if (n)
			o += opt(b + o, OPT_COMMENT, clean, n);
	}
	o += opt(b + o, OPT_END, NULL, 0);
	block_out(w, BT_EPB, o);
	w->packets++;
}

/* Length of the valid UTF-8 sequence at S (1 .. 4), 0 when invalid. */
static size_t utf8_len(const unsigned char *s)
{
	unsigned char c = s[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
			return 0;
		if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] > 0x9f))
			return 0; /* overlong, surrogates */
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80)
			return 0;
		if ((c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] > 0x8f))
			return 0;
		return 4;
	}
	return 0;
}

size_t nt_pcapng_clean_utf8(char *out, size_t len, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0;

	if (!len)
		return 0;
	while (*p) {
		size_t n = utf8_len(p);

		if (n >= 2) { /* C1 and bidirectional controls (common/escape's classes) */
			uint32_t cp;
			enum nt_cp_class k = nt_utf8_decode(p, n, &cp) == n ? nt_cp_class(cp) : NT_CP_C0;

			if (k == NT_CP_C1 || k == NT_CP_BIDI)
				n = 0;
		}
		if (n == 1 && (*p < 0x20 || *p == 0x7f))
			n = 0;
		if (o + (n ? n : 1) >= len)
			break;
		if (n) {
			memcpy(out + o, p, n);
			o += n;
			p += n;
		} else {
			out[o++] = '?';
			p++;
		}
	}
	out[o] = 0;
	return o;
}
