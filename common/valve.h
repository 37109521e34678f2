/* SPDX-License-Identifier: GPL-2.0 */
/*
 * valve.h - the token bucket of `nft-record --max-events-per-s N` (the safety
 * valve), shared by the BPF programs (bpf/valve.bpf.h, one bucket per CPU) and
 * the unit tests (tests/unit/test_valve.c).  Pure arithmetic, no allocation.
 *
 * The bucket holds credit in events; it fills at RATE events per second (the
 * CPU's share of N) up to a cap of 100 ms of RATE (at least one event).  A
 * packet is admitted at its first sighting when the credit is positive, and
 * then recorded whole: every record it makes (and every other record of the
 * ring) costs one event, so the credit can go below zero (debt) and no new
 * packet is admitted until the refill paid it back.  The long-run recorded
 * rate is RATE plus at most one admitted packet's records per refill.
 *
 * Units: credit is events x NT_VALVE_ONE (= rate x ns), so a refill is one
 * multiplication (RATE <= NT_VALVE_MAX_RATE, elapsed time capped at
 * NT_VALVE_MAX_DT_NS: the product stays below 2^63) and a charge one
 * subtraction.
 */
#ifndef NT_VALVE_H
#define NT_VALVE_H

#include "common/records.h"

#ifdef __BPF__
typedef __s64 nt_s64;
#else
typedef int64_t nt_s64;
#endif

#define NT_VALVE_ONE 1000000000LL               /* one event in credit units */
#define NT_VALVE_BURST_NS 100000000ULL          /* the cap: 100 ms of the rate */
#define NT_VALVE_MAX_DT_NS 10000000000ULL       /* refill at most 10 s at once */
#define NT_VALVE_MAX_RATE 100000000ULL          /* events/s: --max-events-per-s limit */
#define NT_VALVE_MIN_CREDIT (-(1LL << 62))      /* debt floor (never reached in practice) */

struct nt_valve_bucket {
	nt_s64 credit;   /* events x NT_VALVE_ONE; negative: debt */
	nt_u64 last_ns;  /* time of the last refill (0: never used: starts full) */
};

static inline nt_s64 nt_valve_cap(nt_u64 rate)
{
	nt_s64 cap = (nt_s64)(rate * NT_VALVE_BURST_NS);

	return cap < NT_VALVE_ONE ? NT_VALVE_ONE : cap;
}

/* Refill B to time NOW (ns, monotonic) at RATE events/s (1 .. NT_VALVE_MAX_RATE). */
static inline void nt_valve_refill(struct nt_valve_bucket *b, nt_u64 now, nt_u64 rate)
{
	nt_s64 cap = nt_valve_cap(rate);
	nt_u64 dt;

	if (!b->last_ns) {
		b->last_ns = now;
		b->credit = cap;
		return;
	}
	if (now <= b->last_ns)
		return; /* another CPU's stamp or the same instant: nothing to add */
	dt = now - b->last_ns;
	if (dt > NT_VALVE_MAX_DT_NS)
		dt = NT_VALVE_MAX_DT_NS;
	b->last_ns = now;
	b->credit += (nt_s64)(dt * rate);
	if (b->credit > cap)
		b->credit = cap;
}

/* A new packet at NOW: 1 = record it (whole), 0 = shed it (whole). */
static inline int nt_valve_admit(struct nt_valve_bucket *b, nt_u64 now, nt_u64 rate)
{
	nt_valve_refill(b, now, rate);
	return b->credit > 0;
}

/* One record went into the ring. */
static inline void nt_valve_charge(struct nt_valve_bucket *b)
{
	if (b->credit > NT_VALVE_MIN_CREDIT)
		b->credit -= NT_VALVE_ONE;
}

/* The per-CPU rate of a host-wide limit of N events/s on NCPUS CPUs (>= 1). */
static inline nt_u64 nt_valve_cpu_rate(nt_u64 n, int ncpus)
{
	nt_u64 r = ncpus > 0 ? n / (nt_u64)ncpus : n;

	return r ? r : 1;
}

#endif
