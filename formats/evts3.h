/* SPDX-License-Identifier: GPL-2.0 */
/* evts3.h - the timestamp column of EVENTS coding 3 (FORMAT.md "EVENTS
 * coding 3"): a delta is counted in clock ticks of the block's tick period,
 * stored as a size symbol (a byte), the bits below the symbol's top three
 * (packed, record order) and the difference of the delta to the ns its
 * ticks give from the clock's phase (a signed byte).  Private to evcode2.c. */
#ifndef NT_EVTS3_H
#define NT_EVTS3_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define NTL_TS3_ONE (1ull << 32)           /* 1 ns in the 32.32 fixed point of tick periods */
#define NTL_TS3_P1 NTL_TS3_ONE            /* tick period 1 ns: no quantum */
#define NTL_TS3_PMAX (200ull << 32)       /* the largest tick period a block may give */
#define NTL_TS3_TICKS (1ull << 28)        /* deltas below this (ns) are coded as ticks */
#define NTL_TS3_SYM_MAX 251               /* symbols 0 .. 251 */

/* The phase of the clock: where in its tick the previous timestamp fell,
 * as the interval [lo, hi] (32.32 ns, within [0, 1 ns]) of the phases every
 * delta since the last reset agrees with.  Writer and reader update it the
 * same way (integers only). */
struct ntl_ts3_phase {
	int64_t lo, hi;
};

static inline void ntl_ts3_reset(struct ntl_ts3_phase *ph)
{
	ph->lo = 0;
	ph->hi = (int64_t)NTL_TS3_ONE;
}

/* ns of K ticks of period P (32.32) after the previous timestamp */
static inline uint64_t ntl_ts3_ns(const struct ntl_ts3_phase *ph, uint64_t k, uint64_t p)
{
	return ((uint64_t)(ph->lo + ph->hi) / 2 + k * p) >> 32;
}

/* the delta was D ns, K ticks: narrow the phase down, move it to this
 * timestamp (widened by the error a 32.32 period may add over K ticks) */
static inline void ntl_ts3_seen(struct ntl_ts3_phase *ph, uint64_t k, uint64_t p, uint64_t d)
{
	uint64_t kp = k * p;
	int64_t a, lo, hi, eps;

	if (d >= NTL_TS3_TICKS || k >= NTL_TS3_TICKS || kp >= (1ull << 61)) {
		ntl_ts3_reset(ph);
		return;
	}
	a = (int64_t)(d << 32) - (int64_t)kp; /* the phase lies in [a, a + 1 ns) */
	eps = (int64_t)(kp >> 24) + 1;
	lo = ph->lo - eps > a ? ph->lo - eps : a;
	hi = ph->hi + eps < a + (int64_t)NTL_TS3_ONE - 1 ? ph->hi + eps : a + (int64_t)NTL_TS3_ONE - 1;
	if (lo > hi) { /* the clock stepped (or the period is off): start over */
		lo = a > 0 ? a : 0;
		hi = a + (int64_t)NTL_TS3_ONE - 1 < (int64_t)NTL_TS3_ONE ? a + (int64_t)NTL_TS3_ONE - 1
									: (int64_t)NTL_TS3_ONE;
	}
	lo -= a;
	hi -= a;
	ph->lo = lo > 0 ? lo : 0;
	ph->hi = hi < (int64_t)NTL_TS3_ONE ? hi : (int64_t)NTL_TS3_ONE;
	if (ph->lo > ph->hi)
		ntl_ts3_reset(ph);
}

/* Symbol of V: V itself below 8, else 4 * (bit length - 2) + the two bits
 * after the leading one; the remaining (bit length - 3) bits are extra. */
static inline unsigned int ntl_ts3_sym(uint64_t v, unsigned int *ebits)
{
	unsigned int l;

	if (v < 8) {
		*ebits = 0;
		return (unsigned int)v;
	}
	l = 64 - (unsigned int)__builtin_clzll(v);
	*ebits = l - 3;
	return 4 * (l - 2) + (unsigned int)((v >> (l - 3)) & 3);
}

/* extra bits of symbol S (S <= NTL_TS3_SYM_MAX) */
static inline unsigned int ntl_ts3_ebits(unsigned int s)
{
	return s < 8 ? 0 : s / 4 - 1;
}

/* value of symbol S with extra bits X */
static inline uint64_t ntl_ts3_val(unsigned int s, uint64_t x)
{
	return s < 8 ? s : ((uint64_t)(4 | (s & 3)) << (s / 4 - 1)) | x;
}

/* Tick period (32.32 ns) of the clock behind N timestamps TS (a block's,
 * in record order), or NTL_TS3_P1 when they show none: deltas that are
 * (nearly) whole multiples of a period of 3 .. 64 ns, e.g. a virtual
 * machine's clock counting in steps of ~10 ns. */
uint64_t ntl_ts3_period(const uint64_t *ts, size_t n);

struct ntl_bitw {
	uint8_t *p;
	uint64_t acc;
	unsigned int nb;
};

static inline void ntl_bitw_put(struct ntl_bitw *w, uint64_t x, unsigned int nb)
{
	if (nb > 32) {
		ntl_bitw_put(w, x & 0xffffffffu, 32);
		x >>= 32;
		nb -= 32;
	}
	w->acc |= x << w->nb;
	w->nb += nb;
	while (w->nb >= 8) {
		*w->p++ = (uint8_t)w->acc;
		w->acc >>= 8;
		w->nb -= 8;
	}
}

static inline void ntl_bitw_end(struct ntl_bitw *w)
{
	if (w->nb)
		*w->p++ = (uint8_t)w->acc;
	w->acc = 0;
	w->nb = 0;
}

/* reader of bits the caller has counted beforehand (no bound checks here
 * but END: the bytes are read 8 at a time while 8 are left before it) */
struct ntl_bitr {
	const uint8_t *p, *end;
	uint64_t acc;
	unsigned int nb;
};

static inline void ntl_bitr_fill(struct ntl_bitr *r)
{
	if (r->end - r->p >= 8) {
		uint64_t w;

		memcpy(&w, r->p, 8); /* little-endian host (logw.c) */
		r->acc |= w << r->nb;
		r->p += (63 - r->nb) >> 3;
		r->nb |= 56;
		return;
	}
	while (r->nb <= 56 && r->p < r->end) {
		r->acc |= (uint64_t)*r->p++ << r->nb;
		r->nb += 8;
	}
}

/* NB <= 32 bits */
static inline uint64_t ntl_bitr_get32(struct ntl_bitr *r, unsigned int nb)
{
	uint64_t x;

	if (r->nb < nb)
		ntl_bitr_fill(r);
	x = r->acc & ((1ull << nb) - 1);
	r->acc >>= nb;
	r->nb -= nb;
	return x;
}

static inline uint64_t ntl_bitr_get(struct ntl_bitr *r, unsigned int nb)
{
	if (__builtin_expect(nb > 32, 0)) {
		uint64_t x = ntl_bitr_get32(r, 32);

		return x | ntl_bitr_get32(r, nb - 32) << 32;
	}
	return ntl_bitr_get32(r, nb);
}

#endif
