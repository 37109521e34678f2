/* SPDX-License-Identifier: GPL-2.0 */
/* logcodec.h - byte-level helpers private to logw.c / logr.c: little-endian
 * access, container constants and the EVENTS block column transform
 * (FORMAT.md "EVENTS block coding"). */
#ifndef NT_LOGCODEC_H
#define NT_LOGCODEC_H

#include <stdint.h>
#include <string.h>
#include "formats/ntlog.h"

#define NTL_VERSION_MINOR 0
#define NTL_PREAMBLE_LEN 16
#define NTL_BLOCK_HDR_LEN 16
#define NTL_DEFAULT_BLOCK_RAW (1u << 20)

/* Format version 2 EVENTS payload: coding byte, type table, then columns. */
#define NTL_EV_CODING 1                       /* the column coding below */
#define NTL_EV_NTYPES (NT_EV__MAX - 1)          /* types 1 .. NT_EV__MAX-1 described */
#define NTL_EV_TABLE_LEN (2 + 2 * NTL_EV_NTYPES) /* coding, ntypes, u16 size[ntypes] */
#define NTL_MAX_EVENTS_ROWS (NTL_MAX_BLOCK_RAW - 4 - 2 - 2 * 255) /* largest row buffer */

/* Block flags */
#define NTL_BF_ZSTD    0x0001 /* payload is one zstd frame (else stored raw) */
#define NTL_BF_COLUMNS 0x0002 /* EVENTS: column layout (else plain rows) */
#define NTL_BF_KNOWN   (NTL_BF_ZSTD | NTL_BF_COLUMNS)

static inline void ntl_put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void ntl_put32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i)); }
static inline uint16_t ntl_get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t ntl_get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Length of the record at REC (AVAIL bytes available), 0 when it is not a
 * valid record of a type this tree writes. */
static inline unsigned int ntl_rec_len(const void *rec, size_t avail)
{
	const uint8_t *p = rec;
	unsigned int sz;

	if (avail < 24 || (nt_ev_is_var(p[0]) && avail < 26))
		return 0;
	sz = nt_ev_len(p);
	return sz && sz <= avail ? sz : 0;
}

/* Column layout of N records (rows = the records back to back), format 2:
 *   u8 coding (1) | u8 ntypes | u16 size[ntypes] (type 1 ..) | u32 N |
 *   type[N] | flags[N] | cpu[N] u16 | id[N] u32 | ts_delta[N] u64 |
 *   skb_xor[N] u64 | bodies (bytes 24.. of every record, in order)
 * ts_delta[i] = ts[i] - ts[i-1] (mod 2^64, ts[-1] = 0);
 * skb_xor[i] = skb[i] ^ skb[i-1] (skb[-1] = 0).  Returns the payload length
 * (= rows_len + NTL_EV_TABLE_LEN + 4).  Host is little-endian (logw.c). */
static inline size_t ntl_events_to_columns(const uint8_t *rows, uint32_t rows_len, uint32_t n,
					   uint8_t *out)
{
	uint8_t *cols = out + NTL_EV_TABLE_LEN;
	uint8_t *ty = cols + 4, *fl = ty + n, *cpu = fl + n, *id = cpu + 2 * (size_t)n;
	uint8_t *ts = id + 4 * (size_t)n, *skb = ts + 8 * (size_t)n, *body = skb + 8 * (size_t)n;
	uint64_t pts = 0, pskb = 0;
	const uint8_t *p = rows;

	out[0] = NTL_EV_CODING;
	out[1] = NTL_EV_NTYPES;
	for (unsigned int t = 1; t <= NTL_EV_NTYPES; t++)
		ntl_put16(out + 2 * t, nt_ev_is_var(t) ? NT_EV_SIZE_VAR : (uint16_t)nt_ev_size(t));
	ntl_put32(cols, n);
	for (uint32_t i = 0; i < n; i++) {
		struct nt_ev_hdr h;
		unsigned int sz;
		uint64_t d, x;

		memcpy(&h, p, sizeof(h));
		sz = ntl_rec_len(p, rows + rows_len - p);
		ty[i] = h.type;
		fl[i] = h.flags;
		memcpy(cpu + 2 * (size_t)i, &h.cpu, 2);
		memcpy(id + 4 * (size_t)i, &h.id, 4);
		d = h.ts_ns - pts;
		x = h.skb ^ pskb;
		memcpy(ts + 8 * (size_t)i, &d, 8);
		memcpy(skb + 8 * (size_t)i, &x, 8);
		pts = h.ts_ns;
		pskb = h.skb;
		memcpy(body, p + sizeof(h), sz - sizeof(h));
		body += sz - sizeof(h);
		p += sz;
	}
	return (size_t)(body - out);
}

#endif
