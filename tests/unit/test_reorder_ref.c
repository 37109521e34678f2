/* test_reorder_ref.c - the reorder window (model/reorder.c) against a plain
 * reference of what reorder.h says it does: random streams (in order, a
 * little and far out of order, times 0, ties, records of many sizes, small
 * and large windows and memory bounds, with and without flushes between)
 * must come out the same records in the same order at the same calls, with
 * the same counts. */
#include <stdlib.h>
#include <string.h>

#include "tests/unit/nt_test.h"
#include "common/records.h"
#include "model/reorder.h"

/* ---- the reference: a list, the oldest found by a scan ---- */

#define REF_HDR 24 /* what the window counts per record besides its bytes */

struct ref_rec {
	uint64_t ts, seq;
	size_t len, cost;
	int imm;  /* leaves at the next pop whatever its time */
	int fifo; /* came in order (counted as an aligned slot), else reordered */
	unsigned char *data;
};

struct ref {
	uint64_t window, seq, newest, released, tail_ts;
	size_t max_bytes, bytes, n, nfifo;
	int any_released;
	struct ref_rec q[4096];
	unsigned char *last;
	struct nt_reorder_stats st;
};

static int ref_before(const struct ref_rec *a, const struct ref_rec *b)
{
	return a->ts < b->ts || (a->ts == b->ts && a->seq < b->seq);
}

static void ref_push(struct ref *r, const void *rec, size_t len)
{
	uint64_t ts = ((const struct nt_ev_hdr *)rec)->ts_ns;
	struct ref_rec *e = &r->q[r->n++];

	e->ts = ts;
	e->seq = r->seq++;
	e->len = len;
	e->data = malloc(len);
	memcpy(e->data, rec, len);
	e->imm = !r->window || !ts || (r->any_released && ts < r->released);
	e->cost = 0;
	e->fifo = 0;
	if (e->imm) {
		if (ts && r->window) {
			r->st.late++;
			r->st.max_late_ns = r->released - ts;
		}
		return;
	}
	if (ts > r->newest)
		r->newest = ts;
	if (r->nfifo && ts < r->tail_ts) { /* older than the in-order run's tail */
		r->st.reordered++;
		e->cost = REF_HDR + len;
	} else {
		e->cost = (REF_HDR + len + 7) & ~(size_t)7;
		e->fifo = 1;
		r->nfifo++;
		r->tail_ts = ts;
	}
	r->bytes += e->cost;
	if (r->bytes > r->st.max_bytes_used)
		r->st.max_bytes_used = r->bytes;
}

static const void *ref_pop(struct ref *r, size_t *len, int flush)
{
	size_t i, best = SIZE_MAX;
	int early;

	free(r->last);
	r->last = NULL;
	for (i = 0; i < r->n; i++) /* records that leave at once, in input order */
		if (r->q[i].imm && (best == SIZE_MAX || r->q[i].seq < r->q[best].seq))
			best = i;
	if (best == SIZE_MAX) {
		for (i = 0; i < r->n; i++)
			if (best == SIZE_MAX || ref_before(&r->q[i], &r->q[best]))
				best = i;
		if (best == SIZE_MAX)
			return NULL;
		early = r->bytes > r->max_bytes;
		if (!flush && !early && !(r->any_released && r->q[best].ts <= r->released) &&
		    r->q[best].ts + r->window >= r->newest)
			return NULL;
		if (early && !flush && r->q[best].ts + r->window >= r->newest)
			r->st.early++;
		r->released = r->q[best].ts;
		r->any_released = 1;
		r->bytes -= r->q[best].cost;
		r->nfifo -= r->q[best].fifo;
	}
	*len = r->q[best].len;
	r->last = r->q[best].data;
	r->q[best] = r->q[--r->n]; /* (order in the list does not matter) */
	return r->last;
}

static void ref_free(struct ref *r)
{
	free(r->last);
	for (size_t i = 0; i < r->n; i++)
		free(r->q[i].data);
	free(r);
}

static uint64_t rs = 0x2545f4914f6cdd1dull;

static uint64_t rnd(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return rs;
}

/* one random stream through both; 0 when they agree, else the failing call */
static long one_run(void)
{
	uint64_t window = rnd() % 5 == 0 ? 0 : 1 + rnd() % 4000;
	size_t max_bytes = 200 + rnd() % 16000;
	struct nt_reorder *a = nt_reorder_new(window, max_bytes);
	struct ref *b = calloc(1, sizeof(*b));
	unsigned char rec[256];
	uint64_t t = 1 + rnd() % 3;
	long n = (long)(rnd() % 1500), calls = 0;

	if (!a || !b)
		return -1;
	b->window = window;
	b->max_bytes = max_bytes;
	for (long i = 0; i <= n; i++) {
		int flush = i == n || rnd() % 200 == 0;

		if (i < n && b->n < 4000) {
			size_t len = 24 + rnd() % 200;
			uint64_t k = rnd() % 100;
			struct nt_ev_hdr *h = (void *)rec;

			for (size_t j = 0; j < len; j++)
				rec[j] = (unsigned char)rnd();
			t += rnd() % 40;
			/* 3 % without a time, 20 % up to 600 ns late, 3 % time 1, else in order */
			h->ts_ns = k < 3 ? 0 : k < 23 ? (t > 600 ? t - rnd() % 600 : 1) : k < 26 ? 1 : t;
			if (nt_reorder_push(a, rec, len))
				return -2;
			ref_push(b, rec, len);
		}
		for (;;) {
			size_t la = 0, lb = 0;
			const void *pa = nt_reorder_pop(a, &la, flush), *pb = ref_pop(b, &lb, flush);

			calls++;
			if (!pa != !pb || la != lb || (pa && memcmp(pa, pb, la)))
				return calls;
			if (!pa)
				break;
		}
	}
	if (memcmp(nt_reorder_stats(a), &b->st, sizeof(b->st)))
		return -3;
	nt_reorder_free(a);
	ref_free(b);
	return 0;
}

TEST(same_releases_and_counts_as_the_reference)
{
	for (int run = 0; run < 400; run++) {
		long bad = one_run();

		if (bad)
			printf("run %d: %s %ld\n", run, bad == -3 ? "counts differ" :
			       bad < 0 ? "setup failed" : "differs at pop call", bad);
		CHECK_EQ_INT(bad, 0);
	}
}

int main(void)
{
	RUN(same_releases_and_counts_as_the_reference);
	TEST_EXIT();
}
