/* test_output.c - nft-analyze's own text formatting (no stdio printf on the
 * journeys path): flow text of every kind, truncation like snprintf(), the
 * text builder's numbers against printf, µs offsets, and a PACKET TRACE block
 * of a packet with more function records than the one-pass grouping holds. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/nt_test.h"
#include "formats/ntlog.h"
#include "model/journey.h"
#include "model/model.h"
#include "model/output.h"

static struct nt_ev_meta meta4(uint8_t proto, uint16_t sport, uint16_t dport)
{
	struct nt_ev_meta m = { .l3 = NT_L3_IPV4, .l4proto = proto, .sport = sport, .dport = dport };

	inet_pton(AF_INET, "10.1.200.5", m.saddr);
	inet_pton(AF_INET, "192.168.0.17", m.daddr);
	return m;
}

static struct nt_ev_meta meta6(uint8_t proto, uint16_t sport, uint16_t dport)
{
	struct nt_ev_meta m = { .l3 = NT_L3_IPV6, .l4proto = proto, .sport = sport, .dport = dport };

	inet_pton(AF_INET6, "2001:db8::1", m.saddr);
	inet_pton(AF_INET6, "fe80::a:0:0:2", m.daddr);
	return m;
}

static const char *flow(const struct nt_ev_meta *m)
{
	static char buf[160];

	nt_fmt_flow(buf, sizeof(buf), m);
	return buf;
}

TEST(flow_text_of_every_kind)
{
	struct nt_ev_meta m;

	m = meta4(6, 40512, 443);
	CHECK_EQ_STR(flow(&m), "10.1.200.5:40512 → 192.168.0.17:443");
	m = meta4(17, 0, 65535);
	CHECK_EQ_STR(flow(&m), "10.1.200.5:0 → 192.168.0.17:65535");
	m = meta4(1, 8 << 8, 77);
	CHECK_EQ_STR(flow(&m), "10.1.200.5 → 192.168.0.17 echo-request id 77");
	m = meta4(1, 3 << 8 | 4, 0);
	CHECK_EQ_STR(flow(&m), "10.1.200.5 → 192.168.0.17 destination-unreachable code 4");
	m = meta4(1, 42 << 8 | 9, 0);
	CHECK_EQ_STR(flow(&m), "10.1.200.5 → 192.168.0.17 ICMP type 42 code 9");
	m = meta4(47, 1, 2);
	CHECK_EQ_STR(flow(&m), "10.1.200.5 → 192.168.0.17 GRE");
	m = meta4(253, 1, 2);
	CHECK_EQ_STR(flow(&m), "10.1.200.5 → 192.168.0.17 proto 253");
	m = meta4(6, 1, 2);
	memset(m.saddr, 0, 4);
	memset(m.daddr, 255, 4);
	CHECK_EQ_STR(flow(&m), "0.0.0.0:1 → 255.255.255.255:2");
	m = meta6(6, 22, 51000);
	CHECK_EQ_STR(flow(&m), "[2001:db8::1]:22 → [fe80::a:0:0:2]:51000");
	m = meta6(58, 128 << 8, 5);
	CHECK_EQ_STR(flow(&m), "2001:db8::1 → fe80::a:0:0:2 echo-request id 5");
	m = meta6(58, 135 << 8, 0);
	CHECK_EQ_STR(flow(&m), "2001:db8::1 → fe80::a:0:0:2 nd-neighbor-solicit code 0");
	memset(&m, 0, sizeof(m));
	m.ethertype = 0x806;
	CHECK_EQ_STR(flow(&m), "ethertype 0x0806");
	m.ethertype = 0;
	CHECK_EQ_STR(flow(&m), "-");
	CHECK_EQ_STR(flow(NULL), "-");
}

TEST(flow_truncates_like_snprintf)
{
	struct nt_ev_meta m = meta6(17, 5353, 5353);
	char full[160], want[160], buf[160];

	nt_fmt_flow(full, sizeof(full), &m);
	for (size_t len = 1; len <= strlen(full) + 2; len++) {
		memset(buf, 'x', sizeof(buf));
		snprintf(want, len, "%s", full);
		nt_fmt_flow(buf, len, &m);
		CHECK_EQ_STR(buf, want);
		CHECK(buf[len - 1] == 0 || strlen(full) < len - 1);
	}
}

static char *tb_text(void (*fill)(struct nt_tb *b, uint64_t v), uint64_t v, size_t *len)
{
	char *s = NULL;
	FILE *f = open_memstream(&s, len);
	struct nt_tb b;

	nt_tb_init(&b, f);
	fill(&b, v);
	nt_tb_flush(&b);
	fclose(f);
	return s;
}

static void fill_u64(struct nt_tb *b, uint64_t v) { nt_tb_u64(b, v); }
static void fill_i64(struct nt_tb *b, uint64_t v) { nt_tb_i64(b, (int64_t)v); }
static void fill_hex(struct nt_tb *b, uint64_t v) { nt_tb_hex(b, v); }
static void fill_us(struct nt_tb *b, uint64_t v) { nt_tb_us(b, v); }

TEST(text_builder_numbers_match_printf)
{
	uint64_t x = 0x9e3779b97f4a7c15ull;
	char want[64];
	size_t len;

	for (int i = 0; i < 2000; i++) {
		uint64_t v = i < 70 ? (i < 64 ? 1ull << i : (uint64_t)-(i - 63)) : (x >> (i % 64));
		char *s;

		x = x * 6364136223846793005ull + 1442695040888963407ull;
		snprintf(want, sizeof(want), "%" PRIu64, v);
		s = tb_text(fill_u64, v, &len);
		CHECK_EQ_STR(s, want);
		free(s);
		snprintf(want, sizeof(want), "%" PRId64, (int64_t)v);
		s = tb_text(fill_i64, v, &len);
		CHECK_EQ_STR(s, want);
		free(s);
		snprintf(want, sizeof(want), "%" PRIx64, v);
		s = tb_text(fill_hex, v, &len);
		CHECK_EQ_STR(s, want);
		free(s);
		snprintf(want, sizeof(want), "%8.3f", (double)(v % 100000000000ull) / 1000.0);
		s = tb_text(fill_us, v % 100000000000ull, &len);
		CHECK_EQ_STR(s, want);
		free(s);
	}
}

/* the short form of nt_tb_us() (offsets under 10 ms) at every width */
TEST(text_builder_us_short_offsets_match_printf)
{
	char want[64];
	size_t len;

	for (uint64_t v = 0; v < 10020000; v += v < 12000 ? 1 : v < 9990000 ? 997 : 1) {
		char *s = tb_text(fill_us, v, &len);

		snprintf(want, sizeof(want), "%8.3f", (double)v / 1000.0);
		CHECK_EQ_STR(s, want);
		free(s);
	}
}

TEST(text_builder_long_strings_and_flushes)
{
	char *s = NULL, big[20000];
	size_t len;
	FILE *f = open_memstream(&s, &len);
	struct nt_tb b;

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	nt_tb_init(&b, f);
	for (int i = 0; i < 5000; i++)
		nt_tb_lit(&b, "xy");          /* several buffer flushes */
	nt_tb_str(&b, big);               /* longer than the buffer: written through */
	nt_tb_chr(&b, '!');
	nt_tb_flush(&b);
	fclose(f);
	CHECK_EQ_INT(len, 10000 + sizeof(big) - 1 + 1);
	CHECK(!memcmp(s, "xyxy", 4) && !memcmp(s + 10000, "aaaa", 4) && s[len - 1] == '!');
	free(s);
}

/* A packet with 700 function records in two layers (more than the one-pass
 * grouping of journey.c holds): same block as a small packet, scaled. */
static struct nt_packet kept;
static uint8_t kept_ev[1 << 16];

static void keep_packet(void *ctx, const struct nt_packet *p)
{
	(void)ctx;
	kept = *p;
	memcpy(kept_ev, p->ev, p->ev_len);
	kept.ev = kept_ev;
}

static char *journey_of(int nfuncs, size_t *len)
{
	struct nt_model_opts o = { .sz = sizeof(o), .keep_events = 1, .on_packet = keep_packet };
	static const char *funcs = "{\"functions\":[{\"id\":0,\"name\":\"ip_rcv\",\"layer\":\"IPv4\"},"
				   "{\"id\":1,\"name\":\"tcp_v4_rcv\",\"layer\":\"TCP\"},"
				   "{\"id\":2,\"name\":\"skb:consume_skb\",\"layer\":\"Other\"}]}";
	struct nt_model *m = nt_model_new(&o);
	char *s = NULL;
	FILE *f;

	if (!m || nt_model_meta(m, NTL_B_FUNCS, funcs, strlen(funcs)))
		return NULL;
	{ /* an IPv4 packet without device or namespace: hop lines without "[dev ...]" */
		struct nt_ev_meta mm = { .h = { .type = NT_EV_META, .ts_ns = 1000, .skb = 0x1000 },
					 .ethertype = 0x0800, .l3 = NT_L3_IPV4, .l4proto = 6, .sport = 1, .dport = 2 };

		nt_model_event(m, &mm, sizeof(mm));
	}
	for (int i = 0; i < nfuncs; i++) {
		struct nt_ev_func ev = { .h = { .type = NT_EV_FUNC, .id = (uint32_t)(i & 1),
						.ts_ns = 1000 + 10 * (uint64_t)i, .skb = 0x1000 } };

		nt_model_event(m, &ev, sizeof(ev));
	}
	{
		struct nt_ev_free ev = { .h = { .type = NT_EV_FREE, .id = 2, .ts_ns = 1000000, .skb = 0x1000 } };

		nt_model_event(m, &ev, sizeof(ev));
	}
	f = open_memstream(&s, len);
	nt_journey_print_text(f, m, &kept);
	fclose(f);
	nt_model_free(m);
	return s;
}

TEST(journey_with_many_function_records)
{
	size_t len, nlines = 0;
	char *s = journey_of(700, &len), *ip, *tcp, *other, *p;

	CHECK(s != NULL);
	CHECK(!strncmp(s, "================================================================================\n"
			  "PACKET TRACE: 0x1000 (packet 1)\n", 113));
	CHECK(strstr(s, "[TCP] 0.0.0.0:1 → 0.0.0.0:2 | Functions: 700, NFT Chains: 0, Rules: 0 | "
			"Verdict: NONE | Fate: consumed\n") != NULL);
	ip = strstr(s, "\nIPv4 Layer:\n  [   0.000µs] ip_rcv\n  [   0.020µs] ip_rcv\n");
	tcp = strstr(s, "\nTCP Layer:\n  [   0.010µs] tcp_v4_rcv\n  [   0.030µs] tcp_v4_rcv\n");
	other = strstr(s, "\nOther Layer:\n  [ 999.000µs] skb:consume_skb (free)\n\n");
	CHECK(ip && tcp && other && ip < tcp && tcp < other);
	CHECK(strstr(s, "  [   6.990µs] tcp_v4_rcv\n\nOther Layer:") != NULL);
	CHECK(strstr(s, "  [   6.980µs] ip_rcv\n\nTCP Layer:") != NULL);
	for (p = s; *p; p++)
		nlines += *p == '\n';
	CHECK(strstr(s, "\n\nFate: consumed (freed) after tcp_v4_rcv\n\n") != NULL);
	CHECK_EQ_INT(nlines, 4 + 2 * 2 + 700 + 2 + 1 + 2 + 1); /* header, layer titles, lines, fate, end */
	free(s);
}

int main(void)
{
	RUN(flow_text_of_every_kind);
	RUN(flow_truncates_like_snprintf);
	RUN(text_builder_numbers_match_printf);
	RUN(text_builder_us_short_offsets_match_printf);
	RUN(text_builder_long_strings_and_flushes);
	RUN(journey_with_many_function_records);
	TEST_EXIT();
}
