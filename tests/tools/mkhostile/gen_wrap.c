/* gen_wrap.c - mkhostile: timestamps, durations and loss counters that wrap. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/tools/mkhostile/mkhostile.h"

void gen_tswrap(uint64_t n)
{
	/* every record within 2.4 s of 2^64: ts + idle/4 (2.5 s) wraps for each */
	uint64_t ts = UINT64_MAX - 2400000000ull, step = n ? 2300000000ull / (2 * n) : 1;

	header("tswrap");
	simple_meta();
	for (uint64_t i = 0; i < n; i++) {
		uint64_t skb = SKB(i);

		rec_hdr(NT_EV_FUNC, 8, ts += step, skb, 0);
		if (i % 10)
			rec_hdr(NT_EV_FREE, 7, ts += step, skb, 0);
	}
	/* the last records at the very end of time */
	rec_hdr(NT_EV_FUNC, 8, UINT64_MAX - 1, SKB(n + 1), 0);
	rec_hdr(NT_EV_FREE, 7, UINT64_MAX, SKB(n + 1), 0);
	trailer(UINT64_MAX);
}

void gen_durwrap(void)
{
	header("durwrap");
	simple_meta();
	/* first record at ts 0, the rest later */
	rec_meta(0, SKB(1), 2, 1);
	rec_hdr(NT_EV_FUNC, 8, 5, SKB(1), 0);
	rec_hdr(NT_EV_FREE, 7, 10, SKB(1), 0);
	/* first record at ts 0, then an inferred free (it does not extend the
	 * packet): first_ts 5 > last_ts 0 gave duration 2^64 - 5 */
	rec_hdr(NT_EV_FUNC, 8, 0, SKB(6), 0);
	{
		struct nt_ev_hdr f = { .type = NT_EV_FREE, .flags = NT_F_INFERRED, .id = 7, .ts_ns = 5,
				       .skb = SKB(6) };

		emit(&f, sizeof(f));
	}
	/* time going backwards inside a packet */
	rec_meta(BASE_TS + 1000, SKB(2), 2, 2);
	rec_hdr(NT_EV_FUNC, 8, BASE_TS, SKB(2), 0);
	rec_hdr(NT_EV_FUNC, 0, 7, SKB(2), 0);
	rec_hdr(NT_EV_FREE, 7, 3, SKB(2), 1);
	/* a packet from 1 to 2^64 - 1, with a clone at 0 */
	rec_meta(1, SKB(3), 2, 3);
	rec_link(0, SKB(4), SKB(3), NT_LINK_CLONE);
	rec_hdr(NT_EV_FUNC, 8, UINT64_MAX, SKB(4), 0);
	rec_hdr(NT_EV_FREE, 7, UINT64_MAX, SKB(4), 0);
	rec_hdr(NT_EV_FUNC, 0, UINT64_MAX - 1, SKB(3), 0);
	rec_drop(UINT64_MAX, SKB(3), 6, 6);
	/* an open packet at the end of time (incomplete, idle sweep) */
	rec_hdr(NT_EV_FUNC, 8, UINT64_MAX, SKB(5), 0);
	trailer(0);
}

void gen_losswrap(void)
{
	uint64_t ts = BASE_TS;

	header("losswrap");
	simple_meta();
	rec_meta(ts += 1000, SKB(1), 2, 1);
	rec_hdr(NT_EV_FREE, 7, ts += 1000, SKB(1), 0);
	for (uint16_t cpu = 0; cpu < 64; cpu++) {
		rec_loss(ts += 1000, cpu, NT_LOSS_RINGBUF, UINT64_MAX - cpu, 0);
		rec_loss(ts += 1000, cpu, NT_LOSS_USER, UINT64_MAX / 2 + cpu, 0);
		/* going backwards (a restarted counter) */
		rec_loss(ts += 1000, cpu, NT_LOSS_RINGBUF, 5, 0);
	}
	for (uint32_t ns = 0; ns < 64; ns++)
		rec_loss(ts += 1000, 0xffff, NT_LOSS_NETLINK, UINT64_MAX - ns, NETNS + ns);
	/* unknown sources, cpu 0xffff, id 0 */
	rec_loss(ts += 1000, 0xffff, 0, UINT64_MAX, 0);
	rec_loss(ts += 1000, 0xffff, 99, UINT64_MAX, 0);
	rec_loss(ts += 1000, 0xfffe, NT_LOSS_RINGBUF, UINT64_MAX, 0);
	trailer(ts);
}
