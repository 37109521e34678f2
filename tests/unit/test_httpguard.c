/* test_httpguard.c - common/httpguard.c: per-address and total connection
 * limits, the header deadline (sweep and watchdog thread, on real sockets),
 * ambiguous framing, Last-Event-ID range checks. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/httpguard.h"
#include "tests/unit/nt_test.h"

static struct sockaddr_storage v4(const char *a)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *s = (struct sockaddr_in *)&ss;

	s->sin_family = AF_INET;
	inet_pton(AF_INET, a, &s->sin_addr);
	return ss;
}

static struct sockaddr_storage v6(const char *a)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;

	s->sin6_family = AF_INET6;
	inet_pton(AF_INET6, a, &s->sin6_addr);
	return ss;
}

#define OPEN(g, id, ss, now) nt_hg_open((g), (void *)(uintptr_t)(id), -1, (struct sockaddr *)&(ss), sizeof(ss), (now))

TEST(per_address_limit_leaves_room_for_others)
{
	struct nt_hg *g = nt_hg_new(NULL);
	struct sockaddr_storage a = v4("10.0.0.1"), b = v4("10.0.0.2"), a6 = v6("::ffff:10.0.0.1");
	struct sockaddr_storage h1 = v6("2001:db8:1:2::1"), h2 = v6("2001:db8:1:2:ffff::9"),
				h3 = v6("2001:db8:1:3::1");
	struct nt_hg_stats st;

	CHECK(g);
	for (int i = 0; i < NT_HG_PER_ADDR; i++)
		CHECK_EQ_INT(OPEN(g, 100 + i, a, 0), 0);
	CHECK_EQ_INT(OPEN(g, 200, a, 0), -1);
	CHECK_EQ_INT(OPEN(g, 201, a6, 0), -1); /* the same client through a dual-stack socket */
	CHECK_EQ_INT(OPEN(g, 202, b, 0), 0);   /* another address still gets in */
	/* IPv6: one /64 is one client */
	for (int i = 0; i < NT_HG_PER_ADDR / 2; i++) {
		CHECK_EQ_INT(OPEN(g, 300 + i, h1, 0), 0);
		CHECK_EQ_INT(OPEN(g, 400 + i, h2, 0), 0);
	}
	CHECK_EQ_INT(OPEN(g, 500, h1, 0), -1);
	CHECK_EQ_INT(OPEN(g, 501, h3, 0), 0);
	/* a closed connection frees its slot */
	nt_hg_close(g, (void *)(uintptr_t)100);
	CHECK_EQ_INT(OPEN(g, 600, a, 0), 0);
	nt_hg_get_stats(g, &st);
	CHECK_EQ_INT(st.refused_addr, 3);
	CHECK_EQ_INT(st.open, NT_HG_PER_ADDR + 1 + NT_HG_PER_ADDR + 1);
	/* a few addresses cannot hold every slot */
	CHECK(NT_HG_PER_ADDR * 4 < NT_HG_TOTAL);
	nt_hg_free(g);
}

TEST(total_limit)
{
	struct nt_hg_opts o = { .total = 3, .per_addr = 2 };
	struct nt_hg *g = nt_hg_new(&o);
	struct sockaddr_storage a = v4("10.0.0.1"), b = v4("10.0.0.2");
	struct nt_hg_stats st;

	CHECK_EQ_INT(OPEN(g, 1, a, 0), 0);
	CHECK_EQ_INT(OPEN(g, 2, a, 0), 0);
	CHECK_EQ_INT(OPEN(g, 3, b, 0), 0);
	CHECK_EQ_INT(OPEN(g, 4, b, 0), -1);
	nt_hg_get_stats(g, &st);
	CHECK_EQ_INT(st.refused_total, 1);
	nt_hg_close(g, (void *)(uintptr_t)1);
	nt_hg_close(g, (void *)(uintptr_t)99); /* unknown: ignored */
	CHECK_EQ_INT(OPEN(g, 4, b, 0), 0);
	nt_hg_free(g);
}

/* the peer of a shut-down socket reads EOF */
static int peer_sees_eof(int fd)
{
	char c;
	struct timeval tv = { .tv_sec = 2 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return read(fd, &c, 1) == 0;
}

TEST(header_deadline_sweep)
{
	struct nt_hg *g = nt_hg_new(NULL);
	struct sockaddr_storage a = v4("10.0.0.1");
	int slow[2], quick[2];

	CHECK(!socketpair(AF_UNIX, SOCK_STREAM, 0, slow));
	CHECK(!socketpair(AF_UNIX, SOCK_STREAM, 0, quick));
	CHECK_EQ_INT(nt_hg_open(g, (void *)1, slow[0], (struct sockaddr *)&a, sizeof(a), 1000), 0);
	CHECK_EQ_INT(nt_hg_open(g, (void *)2, quick[0], (struct sockaddr *)&a, sizeof(a), 1000), 0);
	nt_hg_headers_done(g, (void *)2);
	CHECK_EQ_INT(nt_hg_sweep(g, 1000 + NT_HG_HEADER_MS), 0);
	CHECK_EQ_INT(nt_hg_sweep(g, 1001 + NT_HG_HEADER_MS), 1);
	CHECK(peer_sees_eof(slow[1]));
	/* once: a shut connection is not counted again */
	CHECK_EQ_INT(nt_hg_sweep(g, 99999999), 0);
	/* the quick one is untouched */
	CHECK_EQ_INT(write(quick[1], "x", 1), 1);
	{
		char c;

		CHECK_EQ_INT(read(quick[0], &c, 1), 1);
	}
	/* a clock going backwards never shuts anything */
	CHECK_EQ_INT(nt_hg_open(g, (void *)3, quick[0], (struct sockaddr *)&a, sizeof(a), 5000), 0);
	CHECK_EQ_INT(nt_hg_sweep(g, 10), 0);
	nt_hg_free(g);
	close(slow[0]);
	close(slow[1]);
	close(quick[0]);
	close(quick[1]);
}

TEST(watchdog_thread_closes_a_slow_client)
{
	struct nt_hg_opts o = { .header_ms = 150 };
	struct nt_hg *g = nt_hg_new(&o);
	struct sockaddr_storage a = v4("10.0.0.1");
	struct nt_hg_stats st;
	int sp[2];

	CHECK(!socketpair(AF_UNIX, SOCK_STREAM, 0, sp));
	CHECK_EQ_INT(nt_hg_start(g), 0);
	CHECK_EQ_INT(nt_hg_open(g, (void *)1, sp[0], (struct sockaddr *)&a, sizeof(a), nt_hg_now_ms()), 0);
	CHECK(peer_sees_eof(sp[1])); /* within 150 ms + one 200 ms tick */
	nt_hg_get_stats(g, &st);
	CHECK_EQ_INT(st.timed_out, 1);
	nt_hg_stop(g);
	nt_hg_stop(g); /* twice is fine */
	nt_hg_free(g);
	close(sp[0]);
	close(sp[1]);
}

static const char *framing(const char *const *h)
{
	struct nt_hg_framing f = { 0 };

	for (; h[0]; h += 2)
		nt_hg_framing_add(&f, h[0], h[1]);
	return nt_hg_framing_error(&f);
}

TEST(ambiguous_framing)
{
	const char *ok1[] = { "Host", "x", "Content-Length", "12", NULL };
	const char *ok2[] = { "transfer-encoding", " Chunked ", NULL };
	const char *ok3[] = { "Host", "x", NULL };
	const char *two_cl[] = { "Content-Length", "5", "Content-Length", "40", NULL };
	const char *same_cl[] = { "Content-Length", "5", "content-length", "5", NULL };
	const char *cl_te[] = { "Content-Length", "5", "Transfer-Encoding", "chunked", NULL };
	const char *te_list[] = { "Transfer-Encoding", "chunked, identity", NULL };
	const char *te_x[] = { "Transfer-Encoding", "xchunked", NULL };
	const char *te_two[] = { "Transfer-Encoding", "chunked", "Transfer-Encoding", "chunked", NULL };
	const char *te_space[] = { "Transfer-Encoding ", "chunked", NULL };
	const char *cl_plus[] = { "Content-Length", "+5", NULL };
	const char *cl_hex[] = { "Content-Length", "0x10", NULL };
	const char *cl_empty[] = { "Content-Length", "", NULL };
	const char *name_ctl[] = { "X-A\x01", "1", NULL };

	CHECK(framing(ok1) == NULL);
	CHECK(framing(ok2) == NULL);
	CHECK(framing(ok3) == NULL);
	CHECK_EQ_STR(framing(two_cl), "two Content-Length headers");
	CHECK_EQ_STR(framing(same_cl), "two Content-Length headers");
	CHECK_EQ_STR(framing(cl_te), "Content-Length together with Transfer-Encoding");
	CHECK_EQ_STR(framing(te_list), "a Transfer-Encoding other than chunked");
	CHECK_EQ_STR(framing(te_x), "a Transfer-Encoding other than chunked");
	CHECK_EQ_STR(framing(te_two), "two Transfer-Encoding headers");
	CHECK_EQ_STR(framing(te_space), "a header name with white space or a control character");
	CHECK_EQ_STR(framing(cl_plus), "a Content-Length that is not a decimal number");
	CHECK_EQ_STR(framing(cl_hex), "a Content-Length that is not a decimal number");
	CHECK_EQ_STR(framing(cl_empty), "a Content-Length that is not a decimal number");
	CHECK_EQ_STR(framing(name_ctl), "a header name with white space or a control character");
}

TEST(last_event_id_range)
{
	uint64_t from = 0;

	CHECK_EQ_INT(nt_hg_last_event_id("0", 10, &from), 0);
	CHECK_EQ_INT(from, 1);
	CHECK_EQ_INT(nt_hg_last_event_id("5", 10, &from), 0);
	CHECK_EQ_INT(from, 6);
	CHECK_EQ_INT(nt_hg_last_event_id("10", 10, &from), 0);
	CHECK_EQ_INT(from, 11);
	/* past the last event: nothing missed, never a wrap to 0 (replay everything) */
	CHECK_EQ_INT(nt_hg_last_event_id("11", 10, &from), 0);
	CHECK_EQ_INT(from, 11);
	CHECK_EQ_INT(nt_hg_last_event_id("18446744073709551615", 10, &from), 0);
	CHECK_EQ_INT(from, 11);
	CHECK_EQ_INT(nt_hg_last_event_id("99999999999999999999", 10, &from), 0);
	CHECK_EQ_INT(from, 11);
	CHECK_EQ_INT(nt_hg_last_event_id("18446744073709551615", UINT64_MAX, &from), 0);
	CHECK(from == UINT64_MAX);
	CHECK_EQ_INT(nt_hg_last_event_id("0", 0, &from), 0);
	CHECK_EQ_INT(from, 1);
	CHECK_EQ_INT(nt_hg_last_event_id("", 10, &from), -1);
	CHECK_EQ_INT(nt_hg_last_event_id("-1", 10, &from), -1);
	CHECK_EQ_INT(nt_hg_last_event_id(" 5", 10, &from), -1);
	CHECK_EQ_INT(nt_hg_last_event_id("5 ", 10, &from), -1);
	CHECK_EQ_INT(nt_hg_last_event_id("1e3", 10, &from), -1);
	CHECK_EQ_INT(nt_hg_last_event_id("0x10", 10, &from), -1);
	CHECK_EQ_INT(nt_hg_last_event_id("999999999999999999999", 10, &from), -1); /* 21 digits */
	CHECK_EQ_INT(nt_hg_last_event_id("9999999999999999999x", 10, &from), -1);
}

int main(void)
{
	RUN(per_address_limit_leaves_room_for_others);
	RUN(total_limit);
	RUN(header_deadline_sweep);
	RUN(watchdog_thread_closes_a_slow_client);
	RUN(ambiguous_framing);
	RUN(last_event_id_range);
	TEST_EXIT();
}
