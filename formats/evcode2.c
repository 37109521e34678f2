// SPDX-License-Identifier: GPL-2.0
/* evcode2.c - EVENTS block coding 2 (byte layout: formats/FORMAT.md
 * "EVENTS coding 2").  Columns as byte planes (byte j of every value, then
 * byte j+1 ...), skb ids as positions in a move-to-front table of the
 * block's recent skbs, timestamp deltas and record bodies grouped by type,
 * each body coded as the word-wise difference to the previous body of its
 * type and skb (else of its type) in the block.  All state is per block: a
 * block decodes on its own. */
#include <string.h>
#include <stdlib.h>

#include "formats/evcode2.h"
#include "formats/logcodec.h"
#include "formats/evts3.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

static void c2_reset(struct ntl_c2_state *st)
{
	st->nslots = 0;
	memset(st->any, 0, sizeof(st->any));
	if (!++st->gen) { /* 2^32 blocks: forget every entry for real */
		memset(st->tids, 0, sizeof(st->tids));
		st->gen = 1;
	}
}

/* Coding 3, an NFT_RULE body B (>= 32 bytes: chain key at 0, trace id at
 * 28) of SKB: the hash of the pair (skb, chain key); its top 14 bits pick
 * the entry of the trace id table, its low 32 bits check it */
static inline uint64_t c3_tid_hash(uint64_t skb, const uint8_t *b)
{
	uint64_t ck = ntl_get32(b) | (uint64_t)ntl_get32(b + 4) << 32;

	return (skb ^ (ck * 0xff51afd7ed558ccdull)) * 0x9e3779b97f4a7c15ull;
}

#define C3_TID_E(h) ((unsigned int)((h) >> 50) % NTL_C3_TIDS)

static inline int c3_tid_hit(const struct ntl_c2_state *st, uint64_t h)
{
	return st->tids[C3_TID_E(h)].gen == st->gen && st->tids[C3_TID_E(h)].check == (uint32_t)h;
}

static inline void c3_tid_set(struct ntl_c2_state *st, uint64_t h, const uint8_t *b)
{
	st->tids[C3_TID_E(h)].check = (uint32_t)h;
	st->tids[C3_TID_E(h)].tid = ntl_get32(b + 28);
	st->tids[C3_TID_E(h)].gen = st->gen;
}

/* Slot for SKB at move-to-front position P (NTL_C2_NEW: a new skb): the
 * table is updated the same way by the writer and the reader. */
static inline unsigned int c2_use(struct ntl_c2_state *st, unsigned int p, uint64_t skb)
{
	unsigned int s;

	if (p < 8) {
		/* the usual case, a recent skb: the first 8 positions in a
		 * word, positions 0 .. p move up by one, S comes first */
		uint64_t v, m = ~0ull >> (8 * (7 - p));

		memcpy(&v, st->order, 8);
		s = (unsigned int)(v >> (8 * p)) & 0xff;
		v = (((v << 8) | s) & m) | (v & ~m);
		memcpy(st->order, &v, 8);
		return s;
	}
	if (p != NTL_C2_NEW) {
		s = st->order[p];
		memmove(st->order + 1, st->order, p);
		st->order[0] = (uint8_t)s;
		return s;
	}
	if (st->nslots < NTL_C2_SLOTS)
		s = st->nslots++;
	else
		s = st->order[NTL_C2_SLOTS - 1];
	memset(st->last[s], 0, sizeof(st->last[s]));
	st->skb[s] = skb;
	memmove(st->order + 1, st->order, st->nslots - 1);
	st->order[0] = (uint8_t)s;
	return s;
}

static unsigned int c2_find(const struct ntl_c2_state *st, uint64_t skb)
{
	for (unsigned int p = 0; p < st->nslots; p++)
		if (st->skb[st->order[p]] == skb)
			return p;
	return NTL_C2_NEW;
}

/* Scatter / gather value V of W (2, 4 or 8) bytes as element I of a plane
 * area of N elements (unrolled: the reader's inner loop) */
static inline void plane_put(uint8_t *a, size_t n, size_t i, uint64_t v, unsigned int w)
{
	a[i] = (uint8_t)v;
	a[n + i] = (uint8_t)(v >> 8);
	if (w == 2)
		return;
	a[2 * n + i] = (uint8_t)(v >> 16);
	a[3 * n + i] = (uint8_t)(v >> 24);
	if (w == 4)
		return;
	a[4 * n + i] = (uint8_t)(v >> 32);
	a[5 * n + i] = (uint8_t)(v >> 40);
	a[6 * n + i] = (uint8_t)(v >> 48);
	a[7 * n + i] = (uint8_t)(v >> 56);
}

static inline uint64_t plane_get(const uint8_t *a, size_t n, size_t i, unsigned int w)
{
	uint64_t v = (uint64_t)a[i] | (uint64_t)a[n + i] << 8;

	if (w == 2)
		return v;
	v |= (uint64_t)a[2 * n + i] << 16 | (uint64_t)a[3 * n + i] << 24;
	if (w == 4)
		return v;
	return v | (uint64_t)a[4 * n + i] << 32 | (uint64_t)a[5 * n + i] << 40 |
	       (uint64_t)a[6 * n + i] << 48 | (uint64_t)a[7 * n + i] << 56;
}

/* Body B bytes (element M of K in area A) coded against REF (NULL: zeros):
 * u32 words, then the bytes after the last whole word. */
static void body_put(uint8_t *a, size_t k, size_t m, const uint8_t *cur, const uint8_t *ref,
		     unsigned int b)
{
	unsigned int j = 0;

	for (; j + 4 <= b; j += 4)
		plane_put(a + j * k, k, m, ntl_get32(cur + j) - (ref ? ntl_get32(ref + j) : 0), 4);
	for (; j < b; j++)
		a[j * k + m] = (uint8_t)(cur[j] - (ref ? ref[j] : 0));
}

/* the coding 1 columns are in host order, little-endian (logw.c asserts it) */
static inline void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

/* the block's tick period for coding 3 (st->tick: found once per writer) */
static uint64_t c3_period(const uint8_t *rows, uint32_t rows_len, uint32_t n,
			  struct ntl_c2_state *st)
{
	uint64_t ts[4096];
	const uint8_t *p = rows;
	size_t m = 0;

	if (st->tick || n < 1024 || st->tick_tries >= 8)
		return st->tick ? st->tick : NTL_TS3_P1;
	for (uint32_t i = 0; i < n && m < 4096; i++) {
		ts[m++] = ntl_get32(p + 8) | (uint64_t)ntl_get32(p + 12) << 32;
		p += ntl_rec_len(p, rows + rows_len - p);
	}
	st->tick_tries++;
	st->tick = ntl_ts3_period(ts, m);
	if (st->tick == NTL_TS3_P1)
		st->tick = 0; /* none seen: look again in a later block */
	return st->tick ? st->tick : NTL_TS3_P1;
}

/* Coding 3 timestamp delta D: the ticks of period Q (32.32) it spans from
 * the clock's phase PH (or D itself from 2^28 ns on), *RES the ns left */
static inline uint64_t c3_ticks(uint64_t d, uint64_t q, double p, struct ntl_ts3_phase *ph,
				int8_t *res)
{
	double x;
	uint64_t k = 0;
	int64_t r;

	*res = 0;
	if (d >= NTL_TS3_TICKS) {
		ntl_ts3_reset(ph);
		return d;
	}
	if (q == NTL_TS3_P1) /* a 1 ns clock: d ticks whatever the phase (always < 1 ns) */
		return d;
	x = ((double)d - (double)(ph->lo + ph->hi) / 2 / NTL_TS3_ONE) / p + 0.5;
	if (x > 0)
		k = (uint64_t)x;
	r = (int64_t)(d - ntl_ts3_ns(ph, k, q));
	while (r > 100)
		r = (int64_t)(d - ntl_ts3_ns(ph, ++k, q));
	while (r < -100 && k)
		r = (int64_t)(d - ntl_ts3_ns(ph, --k, q));
	*res = (int8_t)r;
	ntl_ts3_seen(ph, k, q, d);
	return k;
}

static size_t c2_encode(const uint8_t *rows, uint32_t rows_len, uint32_t n, uint8_t *out,
			struct ntl_c2_state *st, int coding)
{
	uint32_t cnt[256] = { 0 }, idx[256] = { 0 }, tsi[256] = { 0 };
	size_t area[256], tsa[256], off, ns = 0, xbits = 0;
	uint8_t *c, *ty, *fl, *cpu, *id, *ts, *sidx, *nskb, *park, *rsel = NULL;
	uint8_t tref[256];
	const uint8_t *p;
	uint64_t pts = 0;
	uint32_t i;
	uint64_t q = 0;
	double pns = 1;
	int c3 = coding == NTL_EV_CODING3;
	struct ntl_bitw bw = { 0 };
	struct ntl_ts3_phase ph;

	out[0] = (uint8_t)coding;
	out[1] = NTL_EV_NTYPES;
	for (unsigned int t = 1; t <= NTL_EV_NTYPES; t++)
		ntl_put16(out + 2 * t, nt_ev_is_var(t) ? NT_EV_SIZE_VAR : (uint16_t)nt_ev_size(t));
	c = out + NTL_EV_TABLE_LEN;
	ntl_put32(c, n);
	ty = c + (c3 ? 20 : 8);
	fl = ty + n;
	cpu = fl + n;
	id = cpu + 2 * (size_t)n;
	ts = id + 4 * (size_t)n;
	sidx = ts + (c3 ? 2 : 8) * (size_t)n;
	nskb = sidx + n;
	if (c3) {
		q = c3_period(rows, rows_len, n, st);
		pns = (double)q / NTL_TS3_ONE;
		ntl_put32(c + 8, (uint32_t)q);
		ntl_put32(c + 12, (uint32_t)(q >> 32));
		ntl_ts3_reset(&ph);
	}
	/* pass 1: type, flags, skb positions; records and body bytes per type;
	 * the new skbs, in order, parked in the cpu / id / timestamp area
	 * (8N >= 8NS bytes, written by pass 2) */
	park = c3 ? cpu : ts;
	c2_reset(st);
	memset(area, 0, sizeof(area));
	for (i = 0, p = rows; i < n; i++) {
		struct nt_ev_hdr h;
		unsigned int sz = ntl_rec_len(p, rows + rows_len - p);
		unsigned int pos;

		memcpy(&h, p, sizeof(h));
		ty[i] = h.type;
		fl[i] = h.flags;
		cnt[h.type]++;
		area[h.type] += sz - sizeof(h);
		pos = c2_find(st, h.skb);
		sidx[i] = (uint8_t)pos;
		if (pos == NTL_C2_NEW)
			put64(park + 8 * ns++, h.skb);
		c2_use(st, pos, h.skb);
		p += sz;
	}
	ntl_put32(c + 4, (uint32_t)ns);
	for (size_t k = 0; k < ns; k++)
		plane_put(nskb, ns, k, ntl_get32(park + 8 * k) | (uint64_t)ntl_get32(park + 8 * k + 4) << 32, 8);
	off = (size_t)(nskb + 8 * ns - out);
	if (c3) {
		rsel = out + off;
		off += cnt[NT_EV_NFT_RULE];
	}
	for (size_t t = 0, o = 0; t < 256; t++) {
		size_t a = area[t];

		area[t] = off;
		off += a;
		tsa[t] = o; /* the type's timestamp deltas: 8 planes of cnt[t] (coding 3: 1 byte each) */
		o += (c3 ? 1 : 8) * cnt[t];
	}
	if (c3) { /* the extra bits after the bodies */
		bw.p = out + off;
		ntl_ts3_reset(&ph);
	}
	/* pass 2: columns and bodies */
	c2_reset(st);
	for (i = 0, p = rows; i < n; i++) {
		struct nt_ev_hdr h;
		unsigned int sz = ntl_rec_len(p, rows + rows_len - p), t, s, b;
		const uint8_t *body = p + sizeof(h), *ref = NULL;

		memcpy(&h, p, sizeof(h));
		t = h.type;
		plane_put(cpu, n, i, h.cpu, 2);
		plane_put(id, n, i, h.id, 4);
		if (c3) {
			unsigned int eb, sy;
			int8_t r;
			uint64_t v = c3_ticks(h.ts_ns - pts, q, pns, &ph, &r);

			sy = ntl_ts3_sym(v, &eb);
			ts[tsa[t] + tsi[t]] = (uint8_t)sy;
			ts[n + tsa[t] + tsi[t]++] = (uint8_t)r;
			ntl_bitw_put(&bw, eb ? v & ((1ull << eb) - 1) : 0, eb);
			xbits += eb;
		} else {
			plane_put(ts + tsa[t], cnt[t], tsi[t]++, h.ts_ns - pts, 8);
		}
		pts = h.ts_ns;
		s = c2_use(st, sidx[i], h.skb);
		b = sz - (unsigned int)sizeof(h);
		if (nt_ev_is_var(t)) {
			memcpy(out + area[t], body, b);
			area[t] += b;
		} else if (b) {
			if (t < NTL_C2_SLOT_TYPES && st->last[s][t])
				ref = rows + st->last[s][t] - 1;
			else if (st->any[t])
				ref = rows + st->any[t] - 1;
			if (c3 && t == NT_EV_NFT_RULE) {
				uint64_t e = b >= 32 && b <= sizeof(tref) ? c3_tid_hash(h.skb, body) : 0;
				uint32_t tid = b >= 32 ? ntl_get32(body + 28) : 0;

				/* 1: the trace id of the (skb, chain) entry is the reference */
				rsel[idx[t]] = b >= 32 && b <= sizeof(tref) && c3_tid_hit(st, e) &&
					       st->tids[C3_TID_E(e)].tid == tid && (!ref || ntl_get32(ref + 28) != tid);
				if (rsel[idx[t]]) {
					if (ref)
						memcpy(tref, ref, b);
					else
						memset(tref, 0, b);
					ntl_put32(tref + 28, tid);
					ref = tref;
				}
				if (b >= 32 && b <= sizeof(tref))
					c3_tid_set(st, e, body);
			}
			body_put(out + area[t], cnt[t], idx[t], body, ref, b);
			idx[t]++;
		}
		st->any[t] = (uint32_t)(body - rows) + 1;
		if (t < NTL_C2_SLOT_TYPES)
			st->last[s][t] = st->any[t];
		p += sz;
	}
	if (c3) {
		ntl_bitw_end(&bw);
		ntl_put32(c + 16, (uint32_t)((xbits + 7) / 8));
		off += (xbits + 7) / 8;
	}
	return off;
}

size_t ntl_c2_encode(const uint8_t *rows, uint32_t rows_len, uint32_t n, uint8_t *out,
		     struct ntl_c2_state *st)
{
	return c2_encode(rows, rows_len, n, out, st, NTL_EV_CODING2);
}

size_t ntl_c3_encode(const uint8_t *rows, uint32_t rows_len, uint32_t n, uint8_t *out,
		     struct ntl_c2_state *st)
{
	return c2_encode(rows, rows_len, n, out, st, NTL_EV_CODING3);
}

/* 8 x 8 bytes transposed: byte c of A[r] becomes byte r of A[c] (swaps of
 * bytes, byte pairs, then 4-byte halves between rows 1, 2, 4 apart) */
#define TR_SWAP(a, r, d, m)                                                   \
	do {                                                                  \
		uint64_t x_ = (a)[r], y_ = (a)[(r) + (d)];                    \
		(a)[r] = (x_ & (m)) | ((y_ << (8 * (d))) & ~(m));              \
		(a)[(r) + (d)] = ((x_ >> (8 * (d))) & (m)) | (y_ & ~(m));      \
	} while (0)

static inline __attribute__((always_inline)) void tr8x8(uint64_t a[8])
{
	const uint64_t m1 = 0x00FF00FF00FF00FFull, m2 = 0x0000FFFF0000FFFFull,
		       m4 = 0x00000000FFFFFFFFull;

	unsigned int q;

#pragma GCC unroll 4
	for (q = 0; q < 4; q++)
		TR_SWAP(a, 2 * q, 1, m1);                  /* rows 0 2 4 6 with 1 3 5 7 */
#pragma GCC unroll 4
	for (q = 0; q < 4; q++)
		TR_SWAP(a, (q & 1) | (q & 2) << 1, 2, m2); /* rows 0 1 4 5 with 2 3 6 7 */
#pragma GCC unroll 4
	for (q = 0; q < 4; q++)
		TR_SWAP(a, q, 4, m4);                      /* rows 0 1 2 3 with 4 5 6 7 */
}

#ifdef __SSE2__
/* 16 x 8 byte transpose: the 8 planes of 16 bytes at P (plane j at P + j *
 * STRIDE) as 16 rows of 8 bytes, row r (byte j from plane j) stored at DST
 * + r * PITCH */
static inline __attribute__((always_inline)) void tr16x8(uint8_t *dst, size_t pitch, const uint8_t *p,
							 size_t stride)
{
	/* written out: the compiler keeps arrays of these in memory */
#define TR_LD(j) _mm_loadu_si128((const __m128i *)(p + (j) * stride))
	__m128i a0 = TR_LD(0), a1 = TR_LD(1), a2 = TR_LD(2), a3 = TR_LD(3);
	__m128i a4 = TR_LD(4), a5 = TR_LD(5), a6 = TR_LD(6), a7 = TR_LD(7);
#undef TR_LD
	/* byte pairs of planes 2j, 2j+1: rows 0 .. 7 (lo), 8 .. 15 (hi) */
	__m128i b0 = _mm_unpacklo_epi8(a0, a1), b1 = _mm_unpackhi_epi8(a0, a1);
	__m128i b2 = _mm_unpacklo_epi8(a2, a3), b3 = _mm_unpackhi_epi8(a2, a3);
	__m128i b4 = _mm_unpacklo_epi8(a4, a5), b5 = _mm_unpackhi_epi8(a4, a5);
	__m128i b6 = _mm_unpacklo_epi8(a6, a7), b7 = _mm_unpackhi_epi8(a6, a7);
	/* 4-byte halves: planes 0 .. 3 (c0..c3), 4 .. 7 (c4..c7) of rows 0-3, 4-7, 8-11, 12-15 */
	__m128i c0 = _mm_unpacklo_epi16(b0, b2), c1 = _mm_unpackhi_epi16(b0, b2);
	__m128i c2 = _mm_unpacklo_epi16(b1, b3), c3 = _mm_unpackhi_epi16(b1, b3);
	__m128i c4 = _mm_unpacklo_epi16(b4, b6), c5 = _mm_unpackhi_epi16(b4, b6);
	__m128i c6 = _mm_unpacklo_epi16(b5, b7), c7 = _mm_unpackhi_epi16(b5, b7);
	/* rows 4j .. 4j+3: the two halves joined */
#define TR_ST(j, x, y)                                                                             \
	do {                                                                                       \
		__m128i lo = _mm_unpacklo_epi32(x, y), hi = _mm_unpackhi_epi32(x, y);              \
                                                                                                   \
		_mm_storel_epi64((__m128i *)(dst + (4 * (j)) * pitch), lo);                        \
		_mm_storel_epi64((__m128i *)(dst + (4 * (j) + 1) * pitch), _mm_unpackhi_epi64(lo, lo)); \
		_mm_storel_epi64((__m128i *)(dst + (4 * (j) + 2) * pitch), hi);                    \
		_mm_storel_epi64((__m128i *)(dst + (4 * (j) + 3) * pitch), _mm_unpackhi_epi64(hi, hi)); \
	} while (0)
	TR_ST(0, c0, c4);
	TR_ST(1, c1, c5);
	TR_ST(2, c2, c6);
	TR_ST(3, c3, c7);
#undef TR_ST
}
#endif

/* The first 8 bytes (type, flags, cpu, id) of 16 records' headers from the
 * 8 planes of N bytes at P (type, flags, cpu low, cpu high, id bytes 0 .. 3;
 * P is record 0's type) */
static inline __attribute__((always_inline)) void hdr16(uint64_t hw[16], const uint8_t *p, uint64_t n)
{
#ifdef __SSE2__
	tr16x8((uint8_t *)hw, 8, p, n);
#else
	for (unsigned int h = 0; h < 16; h += 8) {
		for (unsigned int j = 0; j < 8; j++)
			memcpy(&hw[h + j], p + j * n + h, 8);
		tr8x8(hw + h);
	}
#endif
}

/* The byte planes of a body area (B planes of K bytes, body_put()) as K rows
 * of B bytes: row M = the delta bytes of the type's record M, in order */
static void planes_to_rows(uint8_t *dst, const uint8_t *a, size_t k, unsigned int b)
{
	size_t m = 0;
	unsigned int j, r;

#ifdef __SSE2__
	for (; m + 16 <= k; m += 16) {
		for (j = 0; j + 8 <= b; j += 8)
			tr16x8(dst + m * b + j, b, a + j * k + m, k);
		for (; j < b; j++)
			for (r = 0; r < 16; r++)
				dst[(m + r) * b + j] = a[j * k + m + r];
	}
#endif
	for (; m + 8 <= k; m += 8) {
		for (j = 0; j + 8 <= b; j += 8) {
			uint64_t w[8];

			for (r = 0; r < 8; r++)
				memcpy(&w[r], a + (j + r) * k + m, 8);
			tr8x8(w);
			for (r = 0; r < 8; r++)
				memcpy(dst + (m + r) * b + j, &w[r], 8);
		}
		for (; j < b; j++)
			for (r = 0; r < 8; r++)
				dst[(m + r) * b + j] = a[j * k + m + r];
	}
	for (; m < k; m++)
		for (j = 0; j < b; j++)
			dst[m * b + j] = a[j * k + m];
}

typedef uint32_t ntl_v4u32 __attribute__((vector_size(16)));

/* A body of B bytes from its row of deltas D (body_put(): u32 words, then
 * bytes) added to REF (NULL: zeros) */
static inline void body_add(uint8_t *dst, const uint8_t *d, const uint8_t *ref, unsigned int b)
{
	unsigned int j = 0;

	if (!ref) {
		memcpy(dst, d, b);
		return;
	}
	for (; j + 16 <= b; j += 16) { /* four words at once */
		ntl_v4u32 x, y;

		memcpy(&x, d + j, 16);
		memcpy(&y, ref + j, 16);
		x += y;
		memcpy(dst + j, &x, 16);
	}
	for (; j + 4 <= b; j += 4)
		ntl_put32(dst + j, ntl_get32(d + j) + ntl_get32(ref + j));
	for (; j < b; j++)
		dst[j] = (uint8_t)(d[j] + ref[j]);
}

/* Coding 3's timestamp symbols as tables (the value of a symbol with zero
 * extra bits, its extra bits: ntl_ts3_val(), ntl_ts3_ebits()) so that a
 * symbol decodes without a branch on its size: symbols 0 .. 7 read 0 bits.
 * 252 .. 255 are refused before decoding (their entries are never used). */
#define C3_EB(s) ((s) < 8 ? 0 : (s) / 4 - 1)
#define C3_BASE(s) ((s) < 8 ? (uint64_t)(s) : (uint64_t)(4 | ((s) & 3)) << C3_EB(s))
#define C3_X4(m, s) m(s), m((s) + 1), m((s) + 2), m((s) + 3)
#define C3_X16(m, s) C3_X4(m, s), C3_X4(m, (s) + 4), C3_X4(m, (s) + 8), C3_X4(m, (s) + 12)
#define C3_X64(m, s) C3_X16(m, s), C3_X16(m, (s) + 16), C3_X16(m, (s) + 32), C3_X16(m, (s) + 48)
#define C3_X256(m) C3_X64(m, 0), C3_X64(m, 64), C3_X64(m, 128), C3_X64(m, 192)
static const uint64_t c3_sym_base[256] = { C3_X256(C3_BASE) };
static const uint8_t c3_sym_ebits[256] = { C3_X256(C3_EB) };

/* How many of the N bytes of A are C */
static uint64_t count_byte(const uint8_t *a, uint64_t n, uint8_t c)
{
	uint64_t total = 0, i = 0;

#ifdef __SSE2__
	const __m128i vc = _mm_set1_epi8((char)c), one = _mm_set1_epi8(1), zero = _mm_setzero_si128();
	__m128i acc = zero;

	for (; i + 16 <= n; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(a + i));

		acc = _mm_add_epi64(acc, _mm_sad_epu8(_mm_and_si128(_mm_cmpeq_epi8(v, vc), one), zero));
	}
	total = (uint64_t)_mm_cvtsi128_si64(acc) + (uint64_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(acc, acc));
#endif
	for (; i < n; i++)
		total += a[i] == c;
	return total;
}

/* The largest of the N timestamp symbols S; *XBITS = the sum of their extra
 * bits (ntl_ts3_ebits(): max(s / 4, 1) - 1, valid for every byte) */
static unsigned int sym_scan(const uint8_t *s, uint64_t n, uint64_t *xbits)
{
	uint64_t total = 0, i = 0;
	unsigned int mx = 0;

#ifdef __SSE2__
	const __m128i q3f = _mm_set1_epi8(0x3f), one = _mm_set1_epi8(1), zero = _mm_setzero_si128();
	__m128i acc = zero, vmx = zero;
	uint8_t m[16];

	for (; i + 16 <= n; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(s + i));
		__m128i e = _mm_subs_epu8(_mm_and_si128(_mm_srli_epi16(v, 2), q3f), one);

		vmx = _mm_max_epu8(vmx, v);
		acc = _mm_add_epi64(acc, _mm_sad_epu8(e, zero));
	}
	total = (uint64_t)_mm_cvtsi128_si64(acc) + (uint64_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(acc, acc));
	_mm_storeu_si128((__m128i *)m, vmx);
	for (unsigned int j = 0; j < 16; j++)
		mx = m[j] > mx ? m[j] : mx;
#endif
	for (; i < n; i++) {
		total += ntl_ts3_ebits(s[i] > NTL_TS3_SYM_MAX ? 0 : s[i]);
		mx = s[i] > mx ? s[i] : mx;
	}
	*xbits = total;
	return mx;
}

/* Bytes a record of SZ bytes takes in the decoded rows (8-byte aligned) */
#define ROW(sz) (((uint64_t)(sz) + 7) & ~(uint64_t)7)

/* What the record loop of c2_decode() hands to c2_body() (kept out of the
 * loop's registers: most records have no body) */
struct c2_bodies {
	struct ntl_c2_state *st;
	const uint8_t *in, *rsel;
	const uint16_t *size;
	uint8_t *o;
	uint64_t *area, nrule;
	const uint8_t **drow;
	int c3;
};

/* The body of the record of type T, skb SKB in slot S whose row starts at
 * OROW (its 24 header bytes written): decoded, remembered as its type's and
 * skb's latest; returns the bytes the row takes */
static __attribute__((noinline)) size_t c2_body(struct c2_bodies *c, unsigned int t, unsigned int s,
						 uint64_t skb, uint8_t *orow)
{
	struct ntl_c2_state *st = c->st;
	const uint8_t *ref = NULL;
	uint8_t *o = c->o, *obody = orow + 24, tref[256];
	unsigned int b, sz;

	if (c->size[t] == NT_EV_SIZE_VAR) {
		b = ntl_get16(c->in + c->area[t]) - 24u; /* checked above */
		memcpy(obody, c->in + c->area[t], b);
		c->area[t] += b;
	} else {
		b = c->size[t] - 24u;
		if (t < NTL_C2_SLOT_TYPES && st->last[s][t])
			ref = o + st->last[s][t] - 1;
		else if (st->any[t])
			ref = o + st->any[t] - 1;
		if (c->c3 && t == NT_EV_NFT_RULE && c->rsel[c->nrule++] && b >= 32 && b <= sizeof(tref)) {
			/* the chain key comes before the trace id: decoded first */
			uint64_t e;

			body_add(obody, c->drow[t], ref, 8);
			e = c3_tid_hash(skb, obody);
			if (ref)
				memcpy(tref, ref, b);
			else
				memset(tref, 0, b);
			ntl_put32(tref + 28, c3_tid_hit(st, e) ? st->tids[C3_TID_E(e)].tid : 0);
			ref = tref;
		}
		body_add(obody, c->drow[t], ref, b);
		c->drow[t] += b;
		if (c->c3 && t == NT_EV_NFT_RULE && b >= 32 && b <= sizeof(tref))
			c3_tid_set(st, c3_tid_hash(skb, obody), obody);
	}
	st->any[t] = (uint32_t)(obody - o) + 1;
	if (t < NTL_C2_SLOT_TYPES)
		st->last[s][t] = st->any[t];
	sz = b + 24;
	if (sz & 7)
		memset(orow + sz, 0, ROW(sz) - sz);
	return ROW(sz);
}

/* The records of a block (c2_decode()): headers from the planes at TY (N
 * records), timestamps TSV, skbs from the positions SIDX (new ones from the
 * NS planes at NSKB), bodies by c2_body(), written from *OROWP on.  -1: an
 * skb position past the table.  A function of its own: the loop's values
 * stay in registers. */
static __attribute__((noinline)) int c2_records(const uint8_t *ty, const uint8_t *sidx, const uint8_t *nskb,
						uint64_t ns, uint64_t n, const uint64_t *tsv,
						const uint16_t *size, struct ntl_c2_state *st,
						struct c2_bodies *bc, uint8_t **orowp)
{
	uint8_t *orow = *orowp;
	uint64_t hw[16], k = 0;

	for (uint64_t i = 0; i < n; i++) {
		unsigned int t = ty[i], pos = sidx[i], s;
		uint64_t skb;

		if (!(i & 15)) {
			/* the first 8 bytes of the next 16 headers (type, flags,
			 * cpu, id) are a transpose of the columns' planes */
			if (i + 16 <= n) {
				hdr16(hw, ty + i, n);
			} else {
				for (uint64_t j = i; j < n; j++)
					hw[j - i] = ty[j] | (uint64_t)ty[n + j] << 8 |
						    plane_get(ty + 2 * n, n, j, 2) << 16 |
						    plane_get(ty + 4 * n, n, j, 4) << 32;
			}
		}
		if (pos == 0 && st->nslots) {
			s = st->order[0]; /* the same skb as the record before: the table stays */
			skb = st->skb[s];
		} else {
			if (pos == NTL_C2_NEW) {
				skb = plane_get(nskb, ns, k++, 8);
			} else if (pos < st->nslots) {
				skb = st->skb[st->order[pos]];
			} else {
				return -1;
			}
			s = c2_use(st, pos, skb);
		}
		memcpy(orow, &hw[i & 15], 8);
		memcpy(orow + 8, &tsv[i], 8);
		memcpy(orow + 16, &skb, 8);
		if (size[t] == 24) {
			/* no body (FUNC, FREE): nothing refers to it */
			orow += 24;
			continue;
		}
		orow += c2_body(bc, t, s, skb, orow);
	}
	*orowp = orow;
	return 0;
}

static int c2_decode(const uint8_t *in, size_t len, const uint16_t size[256], uint8_t **outp,
		     size_t *cap, size_t *rows_len, uint32_t *nrec, uint32_t *nvar,
		     struct ntl_c2_state *st, const char **why, int coding)
{
	uint64_t cnt[256] = { 0 }, idx[256] = { 0 }, area[256], tsa[256], need, n, ns, nnew = 0;
	uint64_t rows_total = 0, body_total = 0, vars = 0, hdr = 8, tsw = 8, xlen = 0, xtail = 0, xbits = 0;
	const uint8_t *ty, *fl, *cpu, *id, *ts, *sidx, *nskb;
	uint8_t *o, *orow;
	uint64_t pts = 0;
	uint64_t q = 0;
	int c3 = coding == NTL_EV_CODING3;
	struct ntl_bitr br = { 0 };
	struct ntl_ts3_phase ph;
	const uint8_t *rsel = NULL;
	const uint8_t *drow[256], *tsp[256];
	uint64_t dneed, *tsv;
	struct c2_bodies bc;

	ntl_ts3_reset(&ph);
	if (c3) {
		hdr = 20;
		tsw = 2;
	}
	if (len < hdr) {
		*why = "shorter than its record counts";
		return -1;
	}
	n = ntl_get32(in);
	ns = ntl_get32(in + 4);
	if (c3) {
		q = ntl_get32(in + 8) | (uint64_t)ntl_get32(in + 12) << 32;
		xlen = ntl_get32(in + 16);
		if (q < NTL_TS3_P1 || q > NTL_TS3_PMAX) {
			*why = "tick period out of range";
			return -1;
		}
	}
	if (ns > n || hdr + (9 + tsw) * n + 8 * ns + xlen > len) {
		*why = "record counts do not fit in the block";
		return -1;
	}
	ty = in + hdr;
	fl = ty + n;
	cpu = fl + n;
	id = cpu + 2 * n;
	ts = id + 4 * n;
	sidx = ts + tsw * n;
	nskb = sidx + n;
	/* the columns checked a block at a time (the same refusals as a check
	 * per record): the types counted, then their sizes looked at once a
	 * type; the new skbs counted, the symbols' largest and their extra
	 * bits summed in loops the compiler vectorises */
	for (uint64_t i = 0; i < n; i++)
		cnt[ty[i]]++;
	for (unsigned int t = 0; t < 256; t++)
		if (cnt[t] && !size[t]) {
			*why = "a record of a type the type table does not size";
			return -1;
		}
	nnew = count_byte(sidx, n, NTL_C2_NEW);
	if (nnew != ns) {
		*why = "new skb count does not match its column";
		return -1;
	}
	if (c3) {
		if (sym_scan(ts, n, &xbits) > NTL_TS3_SYM_MAX) {
			*why = "a timestamp symbol out of range";
			return -1;
		}
		if ((xbits + 7) / 8 != xlen) {
			*why = "timestamp extra bits do not match their symbols";
			return -1;
		}
		rsel = nskb + 8 * ns;
		if (hdr + (9 + tsw) * n + 8 * ns + xlen + cnt[NT_EV_NFT_RULE] > len) {
			*why = "record counts do not fit in the block";
			return -1;
		}
		for (uint64_t i = 0; i < cnt[NT_EV_NFT_RULE]; i++)
			if (rsel[i] > 1) {
				*why = "an NFT_RULE trace id reference out of range";
				return -1;
			}
		br.p = in + len - xlen; /* the last XB bytes */
		br.end = in + len;
		xtail = xlen;
	}
	need = hdr + (9 + tsw) * n + 8 * ns + (c3 ? cnt[NT_EV_NFT_RULE] : 0);
	for (uint64_t t = 0, o = 0; t < 256; t++) {
		tsa[t] = o;
		o += (c3 ? 1 : 8) * cnt[t];
		area[t] = need;
		if (!cnt[t])
			continue;
		if (size[t] == NT_EV_SIZE_VAR) {
			for (uint64_t m = 0; m < cnt[t]; m++) {
				unsigned int l;

				if (need + 2 > len) {
					*why = "a variable-size record lacks its length";
					return -1;
				}
				l = ntl_get16(in + need);
				if (l < 26) {
					*why = "a variable-size record shorter than 26 bytes";
					return -1;
				}
				need += l - 24;
				rows_total += ROW(l);
				vars++;
				if (need > len)
					break;
			}
		} else {
			need += cnt[t] * (size[t] - 24u);
			rows_total += cnt[t] * ROW(size[t]);
			body_total += cnt[t] * (size[t] - 24u);
		}
		if (need > len)
			break;
	}
	if (need + xtail != len) {
		*why = "column sizes do not add up to the block's length";
		return -1;
	}
	if (rows_total > *cap || !*outp) {
		uint8_t *nb = realloc(*outp, rows_total ? rows_total : 8);

		if (!nb) {
			*why = "out of memory";
			return -1;
		}
		*outp = nb;
		*cap = rows_total ? rows_total : 8;
	}
	/* the bodies' rows of deltas, then the records' timestamps */
	dneed = ROW(body_total) + 8 * n;
	if (dneed > st->drows_cap || !st->drows) {
		uint8_t *nb = realloc(st->drows, dneed ? dneed : 8);

		if (!nb) {
			*why = "out of memory";
			return -1;
		}
		st->drows = nb;
		st->drows_cap = dneed ? dneed : 8;
	}
	tsv = (uint64_t *)(void *)(st->drows + ROW(body_total));
	for (unsigned int t = 0, off = 0; t < 256; t++) {
		tsp[t] = ts + tsa[t];
		drow[t] = st->drows + off;
		if (!cnt[t] || size[t] == NT_EV_SIZE_VAR || size[t] == 24)
			continue;
		planes_to_rows(st->drows + off, in + area[t], cnt[t], size[t] - 24u);
		off += cnt[t] * (size[t] - 24u);
	}
	/* the timestamps first, in a loop of their own (record order: the
	 * extra bits and the clock's phase follow it) */
	if (!c3) {
		for (uint64_t i = 0; i < n; i++) {
			unsigned int t = ty[i];

			pts += plane_get(ts + tsa[t], cnt[t], idx[t]++, 8);
			tsv[i] = pts;
		}
	} else if (q == NTL_TS3_P1) {
		/* 1 ns ticks: the phase (< 1 ns) adds nothing */
		for (uint64_t i = 0; i < n; i++) {
			const uint8_t *tp = tsp[ty[i]]++;
			uint64_t v = c3_sym_base[tp[0]] | ntl_bitr_get(&br, c3_sym_ebits[tp[0]]);

			if (v < NTL_TS3_TICKS)
				v += (uint64_t)(int64_t)(int8_t)tp[n];
			pts += v;
			tsv[i] = pts;
		}
	} else {
		for (uint64_t i = 0; i < n; i++) {
			const uint8_t *tp = tsp[ty[i]]++;
			uint64_t v = c3_sym_base[tp[0]] | ntl_bitr_get(&br, c3_sym_ebits[tp[0]]);

			if (v < NTL_TS3_TICKS) {
				uint64_t d = ntl_ts3_ns(&ph, v, q) + (uint64_t)(int64_t)(int8_t)tp[n];

				ntl_ts3_seen(&ph, v, q, d);
				v = d;
			} else {
				ntl_ts3_reset(&ph);
			}
			pts += v;
			tsv[i] = pts;
		}
	}
	o = *outp;
	orow = o;
	c2_reset(st);
	bc.st = st;
	bc.in = in;
	bc.rsel = rsel;
	bc.size = size;
	bc.o = o;
	bc.area = area;
	bc.nrule = 0;
	bc.drow = drow;
	bc.c3 = c3;
	if (c2_records(ty, sidx, nskb, ns, n, tsv, size, st, &bc, &orow)) {
		*why = "an skb position past the table";
		return -1;
	}
	*rows_len = (size_t)(orow - o);
	*nrec = (uint32_t)n;
	*nvar = (uint32_t)vars;
	return 0;
}

int ntl_c2_decode(const uint8_t *in, size_t len, const uint16_t size[256], uint8_t **outp,
		  size_t *cap, size_t *rows_len, uint32_t *nrec, uint32_t *nvar,
		  struct ntl_c2_state *st, const char **why)
{
	return c2_decode(in, len, size, outp, cap, rows_len, nrec, nvar, st, why, NTL_EV_CODING2);
}

int ntl_c3_decode(const uint8_t *in, size_t len, const uint16_t size[256], uint8_t **outp,
		  size_t *cap, size_t *rows_len, uint32_t *nrec, uint32_t *nvar,
		  struct ntl_c2_state *st, const char **why)
{
	return c2_decode(in, len, size, outp, cap, rows_len, nrec, nvar, st, why, NTL_EV_CODING3);
}
