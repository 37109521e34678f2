/* test_reorder.c - the reorder window on the analyzer's input
 * (model/reorder.c): records disordered within the window come out in time
 * order (ties in input order), later ones are counted, memory is bounded. */
#include <stdlib.h>
#include <string.h>

#include "tests/unit/nt_test.h"
#include "common/records.h"
#include "model/reorder.h"

static uint64_t rs = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return rs;
}

/* a FUNC record (24 bytes) or a META (96 bytes): sizes vary */
static size_t mkrec(uint8_t *buf, uint64_t ts, uint32_t seq, int big)
{
	struct nt_ev_hdr *h = (void *)buf;
	size_t len = big ? sizeof(struct nt_ev_meta) : sizeof(struct nt_ev_func);

	memset(buf, 0, len);
	h->type = big ? NT_EV_META : NT_EV_FUNC;
	h->ts_ns = ts;
	h->id = seq;
	return len;
}

/* N records of increasing time, each written up to JITTER ns late (so the
 * file is out of order by up to JITTER); the window is WINDOW. */
static int run(uint64_t n, uint64_t jitter, uint64_t window, size_t max_bytes, uint64_t *late,
	       uint64_t *reordered, int *sorted)
{
	struct nt_reorder *r = nt_reorder_new(window, max_bytes);
	uint64_t *wt = malloc(n * sizeof(*wt)), *order = malloc(n * sizeof(*order));
	uint64_t prev = 0, out = 0;
	uint8_t buf[128];

	if (!r || !wt || !order)
		return -1;
	/* record i has time 1000 * (i / 3) (ties of three); write order by time + jitter */
	for (uint64_t i = 0; i < n; i++) {
		order[i] = i;
		wt[i] = 1000 * (i / 3) + (jitter ? rnd() % jitter : 0);
	}
	for (uint64_t i = 1; i < n; i++) { /* insertion sort of the write order (stable) */
		uint64_t x = order[i], j = i;

		while (j && wt[order[j - 1]] > wt[x]) {
			order[j] = order[j - 1];
			j--;
		}
		order[j] = x;
	}
	*sorted = 1;
	for (uint64_t k = 0; k <= n; k++) {
		const void *rec;
		size_t len;

		if (k < n) {
			uint64_t i = order[k];

			len = mkrec(buf, 1 + 1000 * (i / 3), (uint32_t)i, (int)(i % 5 == 0));
			if (nt_reorder_push(r, buf, len))
				return -1;
		}
		while ((rec = nt_reorder_pop(r, &len, k == n))) {
			const struct nt_ev_hdr *h = rec;

			if (h->ts_ns < prev)
				*sorted = 0;
			if (len != (h->type == NT_EV_META ? 96u : 24u))
				*sorted = 0;
			prev = h->ts_ns;
			out++;
		}
	}
	*late = nt_reorder_stats(r)->late;
	*reordered = nt_reorder_stats(r)->reordered;
	nt_reorder_free(r);
	free(wt);
	free(order);
	return out == n ? 0 : -2;
}

TEST(disorder_within_the_window_comes_out_sorted)
{
	uint64_t late, reord;
	int sorted;

	/* up to 300 µs late, a 1 ms window: everything in order, nothing late */
	CHECK_EQ_INT(run(20000, 300000, 1000000, 0, &late, &reord, &sorted), 0);
	CHECK(sorted);
	CHECK_EQ_INT(late, 0);
	CHECK(reord > 1000);
	/* already in order: nothing reordered */
	CHECK_EQ_INT(run(5000, 0, 1000000, 0, &late, &reord, &sorted), 0);
	CHECK(sorted);
	CHECK_EQ_INT(reord, 0);
	CHECK_EQ_INT(late, 0);
}

TEST(disorder_beyond_the_window_is_counted)
{
	uint64_t late, reord;
	int sorted;

	/* up to 5 ms late, a 100 µs window: some come after later ones were
	 * released; every record is still given out once */
	CHECK_EQ_INT(run(20000, 5000000, 100000, 0, &late, &reord, &sorted), 0);
	CHECK(late > 0);
	CHECK(!sorted);
	/* window 0: no reordering at all (records pass through) */
	CHECK_EQ_INT(run(2000, 5000000, 0, 0, &late, &reord, &sorted), 0);
	CHECK_EQ_INT(reord, 0);
	CHECK_EQ_INT(late, 0);
}

TEST(memory_bound_releases_early)
{
	struct nt_reorder *r = nt_reorder_new(UINT64_MAX / 2, 4096);
	uint8_t buf[128];
	uint64_t out = 0;
	const void *rec;
	size_t len;

	CHECK(r != NULL);
	/* a window longer than the log: only the byte bound lets records out */
	for (uint32_t i = 0; i < 1000; i++) {
		len = mkrec(buf, 1 + i, i, 0);
		CHECK_EQ_INT(nt_reorder_push(r, buf, len), 0);
		while ((rec = nt_reorder_pop(r, &len, 0)))
			out++;
	}
	CHECK(out > 800);
	CHECK(nt_reorder_stats(r)->early > 0);
	CHECK(nt_reorder_stats(r)->max_bytes_used <= 4096 + 64);
	while ((rec = nt_reorder_pop(r, &len, 1)))
		out++;
	CHECK_EQ_INT(out, 1000);
	nt_reorder_free(r);
}

/* equal times leave in their input order */
TEST(ties_keep_input_order)
{
	struct nt_reorder *r = nt_reorder_new(1000, 0);
	static const uint64_t ts[] = { 50, 10, 10, 30, 10, 50, 30 };
	static const uint32_t want[] = { 1, 2, 4, 3, 6, 0, 5 };
	uint8_t buf[128];
	const struct nt_ev_hdr *h;
	size_t len;
	int k = 0;

	CHECK(r != NULL);
	for (uint32_t i = 0; i < 7; i++) {
		len = mkrec(buf, ts[i], i, (int)(i & 1));
		CHECK_EQ_INT(nt_reorder_push(r, buf, len), 0);
	}
	while ((h = nt_reorder_pop(r, &len, 1))) {
		CHECK(k < 7);
		CHECK_EQ_INT(h->id, want[k]);
		k++;
	}
	CHECK_EQ_INT(k, 7);
	nt_reorder_free(r);
}

TEST(records_without_time_pass_at_once)
{
	struct nt_reorder *r = nt_reorder_new(1000000, 0);
	uint8_t buf[128];
	const struct nt_ev_hdr *h;
	size_t len;

	CHECK(r != NULL);
	len = mkrec(buf, 5000, 1, 0);
	nt_reorder_push(r, buf, len);
	CHECK(nt_reorder_pop(r, &len, 0) == NULL); /* waits for its window */
	len = mkrec(buf, 0, 2, 1);                /* a chain definition: no time */
	nt_reorder_push(r, buf, len);
	h = nt_reorder_pop(r, &len, 0);
	CHECK(h && h->id == 2 && len == 96);
	CHECK(nt_reorder_pop(r, &len, 0) == NULL);
	h = nt_reorder_pop(r, &len, 1);
	CHECK(h && h->id == 1);
	nt_reorder_free(r);
}

int main(void)
{
	RUN(disorder_within_the_window_comes_out_sorted);
	RUN(disorder_beyond_the_window_is_counted);
	RUN(memory_bound_releases_early);
	RUN(ties_keep_input_order);
	RUN(records_without_time_pass_at_once);
	TEST_EXIT();
}
