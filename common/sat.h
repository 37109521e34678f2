/* SPDX-License-Identifier: GPL-2.0 */
/* sat.h - saturating arithmetic for values computed from log content
 * (deadlines, durations, loss totals, event ids): a hostile timestamp near
 * 2^64 or a counter of 2^64 - 1 must give 2^64 - 1 (or 0), never wrap. */
#ifndef NT_SAT_H
#define NT_SAT_H

#include <stdint.h>

static inline uint64_t nt_sat_add(uint64_t a, uint64_t b)
{
	uint64_t r;

	return __builtin_add_overflow(a, b, &r) ? UINT64_MAX : r;
}

/* a - b, 0 when b > a (a duration from two timestamps out of order) */
static inline uint64_t nt_sat_sub(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

static inline uint64_t nt_sat_mul(uint64_t a, uint64_t b)
{
	uint64_t r;

	return __builtin_mul_overflow(a, b, &r) ? UINT64_MAX : r;
}

/* *acc += v, saturating */
static inline void nt_sat_acc(uint64_t *acc, uint64_t v)
{
	*acc = nt_sat_add(*acc, v);
}

#endif
