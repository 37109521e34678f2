// SPDX-License-Identifier: GPL-2.0
/* test_valve.c - the token bucket of nft-record --max-events-per-s
 * (common/valve.h, also compiled into bpf/valve.bpf.h): admission, debt,
 * refill, cap, the per-CPU share, long-run rate, no overflow at the limits. */
#include <stdint.h>

#include "common/valve.h"
#include "tests/unit/nt_test.h"

#define MS 1000000ull
#define S 1000000000ull

TEST(starts_full_then_debt_blocks)
{
	struct nt_valve_bucket b = { 0 };
	uint64_t t = 5 * S;

	/* rate 1000/s: the cap is 100 ms of it = 100 events */
	CHECK(nt_valve_admit(&b, t, 1000));
	CHECK_EQ_INT(b.credit, 100 * NT_VALVE_ONE);
	for (int i = 0; i < 100; i++)
		nt_valve_charge(&b);
	CHECK_EQ_INT(b.credit, 0);
	CHECK(!nt_valve_admit(&b, t, 1000)); /* no credit: shed */
	/* one packet admitted with 1 credit left records 5 events: debt 4 */
	b.credit = NT_VALVE_ONE;
	CHECK(nt_valve_admit(&b, t, 1000));
	for (int i = 0; i < 5; i++)
		nt_valve_charge(&b);
	CHECK_EQ_INT(b.credit, -4 * NT_VALVE_ONE);
	CHECK(!nt_valve_admit(&b, t + 4 * MS, 1000));      /* 4 ms pay 4 events: 0 */
	CHECK_EQ_INT(b.credit, 0);
	CHECK(nt_valve_admit(&b, t + 4 * MS + 1000, 1000)); /* 1 us more: 1/1000 event */
}

TEST(refill_capped_and_time_going_back)
{
	struct nt_valve_bucket b = { 0 };

	CHECK(nt_valve_admit(&b, 1 * S, 1000));
	b.credit = -50 * NT_VALVE_ONE;
	CHECK(nt_valve_admit(&b, 2 * S, 1000)); /* 1 s = 1000 events, capped at 100 */
	CHECK_EQ_INT(b.credit, 100 * NT_VALVE_ONE);
	b.credit = 0;
	CHECK(!nt_valve_admit(&b, 2 * S - 10 * MS, 1000)); /* an older stamp: nothing */
	CHECK_EQ_INT(b.last_ns, 2 * S);
	CHECK_EQ_INT(b.credit, 0);
}

TEST(cap_at_least_one_event)
{
	struct nt_valve_bucket b = { 0 };

	/* rate 1/s: 100 ms = 0.1 event, the cap is one event */
	CHECK_EQ_INT(nt_valve_cap(1), NT_VALVE_ONE);
	CHECK(nt_valve_admit(&b, S, 1));
	nt_valve_charge(&b);
	nt_valve_charge(&b); /* 2 events: debt 1 */
	CHECK(!nt_valve_admit(&b, S + 999 * MS, 1));
	CHECK(nt_valve_admit(&b, S + 1001 * MS, 1));
}

TEST(long_run_rate)
{
	/* packets of 7 events every 10 us (700k events/s offered) against
	 * 10000 events/s for 10 s: recorded events within one packet per
	 * refill of the rate, the rest shed */
	struct nt_valve_bucket b = { 0 };
	uint64_t rec = 0, shed = 0, pk_rec = 0;

	for (uint64_t t = S; t < 11 * S; t += 10000) {
		if (nt_valve_admit(&b, t, 10000)) {
			pk_rec++;
			for (int i = 0; i < 7; i++)
				nt_valve_charge(&b);
			rec += 7;
		} else {
			shed += 7;
		}
	}
	CHECK_EQ_INT(rec + shed, 1000000 * 7);
	/* 10 s x 10000/s + the initial 100 ms burst, + at most one packet */
	CHECK(rec >= 100000 && rec <= 101000 + 7);
	CHECK(pk_rec * 7 == rec);
}

TEST(cpu_share)
{
	CHECK_EQ_INT(nt_valve_cpu_rate(1000, 2), 500);
	CHECK_EQ_INT(nt_valve_cpu_rate(1000, 3), 333);
	CHECK_EQ_INT(nt_valve_cpu_rate(1, 64), 1); /* never 0: 0 turns the valve off */
	CHECK_EQ_INT(nt_valve_cpu_rate(1000, 0), 1000);
}

TEST(no_overflow_at_the_limits)
{
	struct nt_valve_bucket b = { 0 };

	CHECK(nt_valve_admit(&b, 1, NT_VALVE_MAX_RATE));
	CHECK_EQ_INT(b.credit, nt_valve_cap(NT_VALVE_MAX_RATE));
	b.credit = NT_VALVE_MIN_CREDIT;
	nt_valve_charge(&b); /* at the floor: stays */
	CHECK_EQ_INT(b.credit, NT_VALVE_MIN_CREDIT);
	/* a year later at the highest rate: 10 s of refill, positive, capped */
	CHECK(nt_valve_admit(&b, 365ull * 86400 * S, NT_VALVE_MAX_RATE) == 0);
	CHECK(b.credit > NT_VALVE_MIN_CREDIT);
	b.credit = 0;
	CHECK(nt_valve_admit(&b, 366ull * 86400 * S, NT_VALVE_MAX_RATE));
	CHECK_EQ_INT(b.credit, nt_valve_cap(NT_VALVE_MAX_RATE));
}

int main(void)
{
	RUN(starts_full_then_debt_blocks);
	RUN(refill_capped_and_time_going_back);
	RUN(cap_at_least_one_event);
	RUN(long_run_rate);
	RUN(cpu_share);
	RUN(no_overflow_at_the_limits);
	TEST_EXIT();
}
