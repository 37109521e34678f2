/* test_walkpipe.c - nt_walk_log() on two threads (model/walkpipe.c) gives the
 * model and the callbacks exactly what one thread gives: the same records in
 * the same order, the same packets, counts, status and message, also when a
 * callback stops the walk early, the window puts records back or counts them
 * late, and the log is cut short. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/unit/nt_test.h"
#include "common/records.h"
#include "formats/logw.h"
#include "model/walk.h"

struct obs {
	struct nt_walk *w;
	uint64_t hash, nrec, npkt, stop_at;
};

static void mix(struct obs *o, uint64_t v)
{
	o->hash = (o->hash ^ v) * 0x100000001b3ull;
}

static void on_record(void *ctx, struct nt_model *m, const struct nt_packet *p,
		      const struct nt_ev_hdr *h)
{
	struct obs *o = ctx;

	(void)m;
	mix(o, h->ts_ns);
	mix(o, h->type);
	mix(o, h->skb);
	mix(o, p ? p->id : UINT64_MAX);
	if (++o->nrec == o->stop_at)
		o->w->stop = 1;
}

static void on_packet(void *ctx, const struct nt_packet *p)
{
	struct obs *o = ctx;

	mix(o, p->id);
	mix(o, p->skb);
	mix(o, p->n_funcs);
	o->npkt++;
}

struct result {
	int st, complete;
	char error[800];
	uint64_t hash, nrec, npkt, events, packets, reordered, late, max_late, last_ts;
};

static void walk(const char *path, uint64_t reorder_ns, uint64_t stop_at, int threads, struct result *r)
{
	struct nt_walk w;
	struct obs o = { .w = &w, .hash = 0xcbf29ce484222325ull, .stop_at = stop_at };

	memset(&w, 0, sizeof(w));
	w.path = path;
	w.keep_events = 1;
	w.on_packet = on_packet;
	w.on_record = on_record;
	w.all_records = 1;
	w.ctx = &o;
	w.reorder_ns = reorder_ns;
	w.threads = threads;
	memset(r, 0, sizeof(*r));
	r->st = nt_walk_log(&w);
	snprintf(r->error, sizeof(r->error), "%s", w.error);
	r->complete = w.log_complete;
	r->last_ts = w.last_ts;
	r->hash = o.hash;
	r->nrec = o.nrec;
	r->npkt = o.npkt;
	if (w.m) {
		const struct nt_model_totals *t = nt_model_totals(w.m);

		r->events = t->events;
		r->packets = t->packets;
		r->reordered = t->reordered;
		r->late = t->late;
		r->max_late = t->max_late_ns;
		nt_model_free(w.m);
	}
}

static int same(const struct result *a, const struct result *b)
{
	return a->st == b->st && a->complete == b->complete && !strcmp(a->error, b->error) &&
	       a->hash == b->hash && a->nrec == b->nrec && a->npkt == b->npkt && a->events == b->events &&
	       a->packets == b->packets && a->reordered == b->reordered && a->late == b->late &&
	       a->max_late == b->max_late && a->last_ts == b->last_ts;
}

static int compare_all(const char *path, uint64_t *nrec_out, uint64_t *reordered, uint64_t *late)
{
	static const uint64_t windows[] = { 0, 1, 50000, UINT64_MAX };
	int bad = 0;

	for (size_t i = 0; i < sizeof(windows) / sizeof(windows[0]); i++) {
		struct result one, two;
		uint64_t total;

		walk(path, windows[i], 0, 0, &one);
		walk(path, windows[i], 0, 1, &two);
		bad += !same(&one, &two);
		total = one.nrec;
		if (i == 0)
			*nrec_out = total;
		*reordered += one.reordered;
		*late += one.late;
		/* stopped by a callback at several places */
		for (uint64_t at = 1; at < total; at = at * 5 + 7) {
			walk(path, windows[i], at, 0, &one);
			walk(path, windows[i], at, 1, &two);
			if (!same(&one, &two)) {
				printf("  %s window %llu stop at %llu: differs\n", path,
				       (unsigned long long)windows[i], (unsigned long long)at);
				bad++;
			}
		}
	}
	return bad;
}

TEST(two_threads_give_the_model_what_one_gives)
{
	const char *logs[] = { "samples/traffic.ntl", "samples/basic.ntl", "samples/v1/traffic.ntl",
			       "samples/v2.0/traffic.ntl" };
	uint64_t reordered = 0, late = 0;

	for (size_t i = 0; i < sizeof(logs) / sizeof(logs[0]); i++) {
		uint64_t n = 0;

		CHECK_EQ_INT(compare_all(logs[i], &n, &reordered, &late), 0);
		CHECK(n > 10);
	}
	CHECK(reordered > 0); /* the window did put records back */
}

/* 8,000 packets of 4 records (~2 MB through the hand-over: several batches
 * and waits for a free one), in small EVENTS blocks with a FUNCS block half
 * way; every 13th packet 5 ms behind (put back in order), every 101st 3 s
 * behind (later than the 1 s window: counted late). */
TEST(two_threads_on_a_disordered_log)
{
	char path[] = "/tmp/nt-test-walkpipe.XXXXXX";
	struct ntl_writer_opts wo = { .sz = sizeof(wo), .block_bytes = 4096, .force = 1 };
	static const char *fj = "{\"functions\":[{\"id\":0,\"name\":\"ip_rcv\",\"layer\":\"IPv4\"}]}";
	static const char *fj2 = "{\"functions\":[{\"id\":0,\"name\":\"ip_rcv2\",\"layer\":\"IP\"}]}";
	struct ntl_writer *w;
	uint64_t nrec = 0, reordered = 0, late = 0;
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	close(fd);
	CHECK_EQ_INT(ntl_writer_open(&w, path, &wo), 0);
	CHECK_EQ_INT(ntl_writer_meta(w, NTL_B_FUNCS, fj, strlen(fj)), 0);
	for (uint64_t i = 0; i < 8000; i++) {
		uint64_t t = 5000000000ull + i * 20000 - (i % 101 == 0 ? 3000000000ull : i % 13 == 0 ? 5000000 : 0);
		struct nt_ev_meta mm = { .h = { .type = NT_EV_META, .ts_ns = t, .skb = 0x1000 + i * 256 },
					 .ethertype = 0x0800, .l3 = NT_L3_IPV4, .l4proto = 6 };
		struct nt_ev_func fn = { .h = { .type = NT_EV_FUNC, .ts_ns = t + 100, .skb = mm.h.skb } };
		struct nt_ev_nft_rule r = { .h = { .type = NT_EV_NFT_RULE, .ts_ns = t + 200, .skb = mm.h.skb },
					    .chain_key = 7, .rule_handle = 4, .verdict = i % 3 ? NT_V_ACCEPT : NT_V_DROP,
					    .kind = NT_RULE_KIND_RULE };
		struct nt_ev_free fr = { .h = { .type = NT_EV_FREE, .ts_ns = t + 300, .skb = mm.h.skb } };

		if (i == 4000)
			CHECK_EQ_INT(ntl_writer_meta(w, NTL_B_FUNCS, fj2, strlen(fj2)), 0);
		CHECK_EQ_INT(ntl_writer_event(w, &mm, sizeof(mm)), 0);
		CHECK_EQ_INT(ntl_writer_event(w, &fn, sizeof(fn)), 0);
		CHECK_EQ_INT(ntl_writer_event(w, &r, sizeof(r)), 0);
		CHECK_EQ_INT(ntl_writer_event(w, &fr, sizeof(fr)), 0);
	}
	CHECK_EQ_INT(ntl_writer_close(w, "{\"clean\":true}"), 0);
	CHECK_EQ_INT(compare_all(path, &nrec, &reordered, &late), 0);
	CHECK_EQ_INT(nrec, 32000 + 0);
	CHECK(reordered > 0);
	CHECK(late > 0);
	unlink(path);
}

TEST(two_threads_on_a_log_cut_short)
{
	char tmp[] = "/tmp/nt-test-walkpipe.XXXXXX", path[300];
	FILE *in = fopen("samples/traffic.ntl", "rb"), *out;
	char buf[65536];
	size_t n;
	uint64_t nrec = 0, reordered = 0, late = 0;
	struct result one, two;

	CHECK(in && mkdtemp(tmp));
	n = fread(buf, 1, sizeof(buf), in);
	fclose(in);
	CHECK(n > 4000);
	snprintf(path, sizeof(path), "%s/cut.ntl", tmp);
	out = fopen(path, "wb");
	CHECK(out);
	fwrite(buf, 1, n * 2 / 3, out);
	fclose(out);
	CHECK_EQ_INT(compare_all(path, &nrec, &reordered, &late), 0);
	walk(path, 0, 0, 1, &two);
	walk(path, 0, 0, 0, &one);
	CHECK_EQ_INT(two.st, NT_WALK_DAMAGED);
	CHECK(two.error[0] && !strcmp(one.error, two.error));
	unlink(path);
	rmdir(tmp);
}

int main(void)
{
	RUN(two_threads_give_the_model_what_one_gives);
	RUN(two_threads_on_a_log_cut_short);
	RUN(two_threads_on_a_disordered_log);
	TEST_EXIT();
}
