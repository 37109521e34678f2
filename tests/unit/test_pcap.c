/* test_pcap.c - issue #18 in the model: CT / BYTES / STACKREF records and
 * STACKS / KSYMS blocks (bounds, hostile lengths, unknown ids, frames past the
 * snapshot), and the pcapng export read back block by block: link type,
 * lengths, made-up Ethernet headers, --headers-only cuts (IPv4 options, IPv6
 * extension headers, fragments, captures cut inside a header), comments as
 * clean UTF-8. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/nt_test.h"
#include "formats/ntlog.h"
#include "formats/stacks.h"
#include "model/detail.h"
#include "model/model.h"
#include "model/pcap.h"
#include "model/pcapng.h"
#include "tests/tools/pktbuild.h"

#define SKB 0xffff888100000000ull

static struct nt_packet last;
static int ndone;
static struct nt_pcap *cur_pcap;

static struct nt_model *cur_model;

static void on_packet(void *ctx, const struct nt_packet *p)
{
	(void)ctx;
	last = *p;
	ndone++;
	if (cur_pcap)
		nt_pcap_packet(cur_pcap, cur_model, p);
}

static struct nt_model *mk(void)
{
	struct nt_model_opts o = { .sz = sizeof(o), .keep_events = 1, .on_packet = on_packet };
	static const char *funcs = "{\"functions\":[{\"id\":0,\"name\":\"ip_rcv\",\"layer\":\"IPv4\"},"
				   "{\"id\":1,\"name\":\"skb:kfree_skb\",\"layer\":\"Other\"}]}";
	struct nt_model *m = nt_model_new(&o);

	ndone = 0;
	cur_model = m;
	if (m && nt_model_meta(m, NTL_B_FUNCS, funcs, strlen(funcs)))
		return NULL;
	return m;
}

static void meta(struct nt_model *m, uint8_t l3, uint8_t proto, uint32_t len)
{
	struct nt_ev_meta e = { .h = { .type = NT_EV_META, .ts_ns = 100, .skb = SKB }, .l3 = l3,
				.l4proto = proto, .len = len, .sport = 1000, .dport = 80, .ifindex = 2,
				.netns = 7, .ethertype = l3 == NT_L3_IPV6 ? 0x86dd : 0x0800 };

	e.saddr[0] = 10, e.saddr[3] = 1, e.daddr[0] = 10, e.daddr[3] = 2;
	nt_model_event(m, &e, sizeof(e));
}

/* a BYTES record of DATA (N bytes) */
static const struct nt_packet *bytes(struct nt_model *m, const uint8_t *data, uint16_t n, uint32_t orig,
				     uint8_t link, uint16_t net_off, uint16_t et)
{
	static _Alignas(8) uint8_t rec[sizeof(struct nt_ev_bytes) + NT_BYTES_MAX];
	struct nt_ev_bytes *b = (void *)rec;

	memset(rec, 0, sizeof(rec));
	b->h.type = NT_EV_BYTES;
	b->h.ts_ns = 200;
	b->h.skb = SKB;
	b->reclen = (uint16_t)NT_BYTES_RECLEN(n);
	b->caplen = n;
	b->origlen = orig;
	b->link = link;
	b->why = NT_BYTES_FIRST;
	b->net_off = net_off;
	b->ethertype = et;
	b->ifindex = 2;
	b->netns = 7;
	memcpy(b->data, data, n);
	return nt_model_event(m, rec, b->reclen);
}

static void end(struct nt_model *m)
{
	struct nt_ev_free f = { .h = { .type = NT_EV_FREE, .id = 1, .ts_ns = 300, .skb = SKB } };

	nt_model_event(m, &f, sizeof(f)); /* completes the packet: on_packet() */
}

TEST(bytes_records_checked)
{
	struct nt_model *m = mk();
	uint8_t d[NT_BYTES_MAX] = { 0x45 };
	_Alignas(8) uint8_t rec[sizeof(struct nt_ev_bytes) + NT_BYTES_MAX + 8];
	struct nt_ev_bytes *b = (void *)rec;

	CHECK(m);
	meta(m, NT_L3_IPV4, 6, 60);
	CHECK(bytes(m, d, 0, 60, NT_BYTES_NET, 0, 0x800) != NULL);        /* caplen 0: fine */
	CHECK(bytes(m, d, NT_BYTES_MAX, 60, NT_BYTES_NET, 0, 0x800) != NULL);
	CHECK_EQ_INT(nt_model_totals(m)->bad_records, 0);
	/* caplen disagreeing with the record length, caplen past 256, length below the fixed part */
	memset(rec, 0, sizeof(rec));
	b->h.type = NT_EV_BYTES;
	b->h.skb = SKB;
	b->reclen = sizeof(*b) + 16;
	b->caplen = 17;
	CHECK(nt_model_event(m, rec, sizeof(*b) + 16) == NULL);
	b->reclen = sizeof(*b) + NT_BYTES_MAX + 8;
	b->caplen = NT_BYTES_MAX + 8;
	CHECK(nt_model_event(m, rec, b->reclen) == NULL);
	b->reclen = 30;
	b->caplen = 0;
	CHECK(nt_model_event(m, rec, 30) == NULL);
	b->reclen = sizeof(*b) + 8;
	b->caplen = 4;
	CHECK(nt_model_event(m, rec, sizeof(*b) + 16) == NULL); /* length given != its own */
	b->reclen = sizeof(*b) + 4;                              /* not padded to 8 */
	CHECK(nt_model_event(m, rec, sizeof(*b) + 4) == NULL);
	CHECK_EQ_INT(nt_model_totals(m)->bad_records, 5);
	end(m);
	CHECK_EQ_INT(ndone, 1);
	nt_model_free(m);
}

TEST(stacks_and_symbols)
{
	struct nt_model *m = mk();
	uint64_t fr[NT_STACK_MAX_FRAMES];
	uint8_t blk[4096];
	size_t len;
	uint32_t n;
	const uint64_t *got;
	char buf[300];
	const char *ks = "{\"symbols\":[{\"addr\":\"0xffffffff81000000\",\"name\":\"a_func\",\"module\":\"\"},"
			 "{\"addr\":\"0xffffffff81000100\",\"name\":\"sized\",\"size\":16},"
			 "{\"addr\":\"0xffffffffc0000000\",\"name\":\"m_func\",\"module\":\"nf_tables\"},"
			 "{\"addr\":\"zz\",\"name\":\"bad\"},{\"name\":\"noaddr\"}]}";

	CHECK(m);
	CHECK_EQ_INT(nt_model_meta(m, NTL_B_KSYMS, ks, strlen(ks)), 0);
	CHECK_EQ_STR(nt_model_symbolize(m, 0xffffffff81000010ull, buf, sizeof(buf)), "a_func+0x10");
	CHECK_EQ_STR(nt_model_symbolize(m, 0xffffffff8100010full, buf, sizeof(buf)), "sized+0xf");
	/* past a symbol's size, past 1 MiB without one, below every symbol: hex */
	CHECK_EQ_STR(nt_model_symbolize(m, 0xffffffff81000110ull, buf, sizeof(buf)), "0xffffffff81000110");
	CHECK_EQ_STR(nt_model_symbolize(m, 0xffffffffc0200000ull, buf, sizeof(buf)), "0xffffffffc0200000");
	CHECK_EQ_STR(nt_model_symbolize(m, 0x1000, buf, sizeof(buf)), "0x1000");
	CHECK_EQ_STR(nt_model_symbolize(m, 0xffffffffc0000004ull, buf, sizeof(buf)), "m_func [nf_tables]+0x4");

	for (unsigned int i = 0; i < NT_STACK_MAX_FRAMES; i++)
		fr[i] = 0xffffffff81000000ull + i;
	ntl_stacks_init(blk, sizeof(blk), &len);
	CHECK_EQ_INT(ntl_stacks_add(blk, sizeof(blk), &len, 5, fr, 3), 0);
	CHECK_EQ_INT(ntl_stacks_add(blk, sizeof(blk), &len, 6, fr + 1, 2), 0);
	/* a redefinition of 5 in a later block does not replace it; a damaged
	 * block keeps the stacks before the damage */
	CHECK_EQ_INT(nt_model_meta(m, NTL_B_STACKS, (const char *)blk, len), 0);
	ntl_stacks_init(blk, sizeof(blk), &len);
	CHECK_EQ_INT(ntl_stacks_add(blk, sizeof(blk), &len, 5, fr + 10, 1), 0);
	CHECK_EQ_INT(ntl_stacks_add(blk, sizeof(blk), &len, 7, fr + 10, 4), 0);
	CHECK_EQ_INT(ntl_stacks_add(blk, sizeof(blk), &len, 8, fr, 1), 0);
	CHECK_EQ_INT(nt_model_meta(m, NTL_B_STACKS, (const char *)blk, len - 4), -EINVAL);
	got = nt_model_stack(m, 5, &n);
	CHECK(got && n == 3 && got[0] == fr[0] && got[2] == fr[2]);
	got = nt_model_stack(m, 6, &n);
	CHECK(got && n == 2 && got[0] == fr[1]);
	got = nt_model_stack(m, 7, &n);
	CHECK(got && n == 4 && got[3] == fr[13]);
	CHECK(nt_model_stack(m, 8, &n) == NULL && n == 0);
	CHECK(nt_model_stack(m, 0, &n) == NULL);
	CHECK(nt_model_stack(m, 12345, &n) == NULL);
	CHECK_EQ_INT(nt_model_meta(m, NTL_B_STACKS, "", 0), -EINVAL);
	nt_model_free(m);
}

TEST(unknown_stack_ids_in_journeys)
{
	struct nt_model *m = mk();
	struct nt_ev_drop d = { .h = { .type = NT_EV_DROP, .id = 1, .ts_ns = 300, .skb = SKB }, .reason = 2,
				.stack_id = 99 };
	struct nt_ev_stackref s = { .h = { .type = NT_EV_STACKREF, .ts_ns = 250, .skb = SKB }, .stack_id = 98 };
	struct nt_tb b;
	char *text = NULL;
	size_t tlen = 0;
	FILE *f = open_memstream(&text, &tlen);

	CHECK(m && f);
	meta(m, NT_L3_IPV4, 6, 60);
	CHECK(nt_model_event(m, &s, sizeof(s)) != NULL);
	CHECK(nt_model_event(m, &d, sizeof(d)) != NULL);
	CHECK_EQ_INT(last.drop_stack, 99);
	nt_tb_init(&b, f);
	nt_detail_text(&b, m, &last);
	nt_detail_text_stack(&b, m, 99, "  ");
	nt_tb_flush(&b);
	fclose(f);
	CHECK(strstr(text, "stack 98\n      stack 98: not in the log's STACKS blocks\n") != NULL);
	CHECK(strstr(text, "  stack 99: not in the log's STACKS blocks\n") != NULL);
	free(text);
	nt_model_free(m);
}

/* LOSS source 5 (stack): cumulative per CPU, summed over CPUs, as the others */
TEST(stack_losses_counted)
{
	struct nt_model *m = mk();
	struct nt_ev_loss l = { .h = { .type = NT_EV_LOSS, .ts_ns = 10 }, .source = NT_LOSS_STACK, .count = 3 };

	CHECK(m != NULL);
	nt_model_event(m, &l, sizeof(l));
	l.count = 5; /* the same CPU later: cumulative */
	nt_model_event(m, &l, sizeof(l));
	l.h.cpu = 1, l.count = 2;
	nt_model_event(m, &l, sizeof(l));
	CHECK_EQ_INT(nt_model_totals(m)->lost_stack, 7);
	CHECK_EQ_INT(nt_model_totals(m)->lost_ringbuf, 0);
	nt_model_free(m);
}

TEST(ct_formatting_and_nat)
{
	struct nt_ev_ct c = { .h = { .type = NT_EV_CT }, .have = 0xff, .state = NT_CT_STATE_NEW, .l3 = NT_L3_IPV4,
			      .l4proto = 6, .status = NT_CT_S_CONFIRMED | (1u << 20),
			      .orig = { .sport = 1000, .dport = 80 }, .reply = { .sport = 80, .dport = 1000 } };
	char buf[600];

	memcpy(c.orig.saddr, "\x0a\x00\x00\x01", 4);
	memcpy(c.orig.daddr, "\x0a\x00\x00\x02", 4);
	memcpy(c.reply.saddr, "\x0a\x00\x00\x02", 4);
	memcpy(c.reply.daddr, "\x0a\x00\x00\x01", 4);
	CHECK_EQ_INT(nt_ct_nat(&c), 0);
	nt_fmt_ct_status(buf, sizeof(buf), c.status);
	CHECK_EQ_STR(buf, "CONFIRMED|bit20");
	nt_fmt_ct_status(buf, sizeof(buf), 0);
	CHECK_EQ_STR(buf, "-");
	nt_fmt_ct_status(buf, 5, 0xffffffffu); /* cut, NUL terminated */
	CHECK_EQ_INT(strlen(buf), 4);
	c.reply.dport = 2000;                 /* masquerade changed the port */
	CHECK_EQ_INT(nt_ct_nat(&c), NT_CT_NAT_SRC);
	memcpy(c.reply.saddr, "\x0a\x00\x00\x03", 4); /* and a DNAT */
	CHECK_EQ_INT(nt_ct_nat(&c), NT_CT_NAT_SRC | NT_CT_NAT_DST);
	c.have &= (uint16_t)~NT_CT_HAVE_TUPLES;
	CHECK_EQ_INT(nt_ct_nat(&c), 0);
	c.have = NT_CT_HAVE_STATE | NT_CT_HAVE_DIR | NT_CT_HAVE_STATUS | NT_CT_HAVE_ID;
	c.ct_id = 0xabc;
	nt_fmt_ct(buf, sizeof(buf), &c);
	CHECK_EQ_STR(buf, "new original  status CONFIRMED|bit20  id 0x00000abc  (tuples, zone, mark not available)");
	c.have = 0;
	nt_fmt_ct(buf, sizeof(buf), &c);
	CHECK_EQ_STR(buf, "state not available");
	/* ICMP: echo request / reply types differ, the id must match */
	c.have = 0xff;
	c.l4proto = 1;
	memcpy(c.reply.saddr, "\x0a\x00\x00\x02", 4);
	c.orig.sport = 8 << 8, c.orig.dport = 7, c.reply.sport = 0, c.reply.dport = 7;
	CHECK_EQ_INT(nt_ct_nat(&c), 0);
	c.reply.dport = 9;
	CHECK_EQ_INT(nt_ct_nat(&c), NT_CT_NAT_SRC);
	for (size_t k = 0; k < 40; k++) /* every buffer size: NUL terminated, no overrun */
		nt_fmt_ct(buf, k, &c);
}

TEST(clean_utf8)
{
	char out[64];

	CHECK_EQ_INT(nt_pcapng_clean_utf8(out, sizeof(out), "a\x1b[31mb\x7f\tc"), 10);
	CHECK_EQ_STR(out, "a?[31mb??c");
	nt_pcapng_clean_utf8(out, sizeof(out), "\xc2\x85x\xc2\xa0\xff\xe2\x86\x92\xed\xa0\x80\xf0\x9f\x98\x80");
	CHECK_EQ_STR(out, "??x\xc2\xa0?\xe2\x86\x92???\xf0\x9f\x98\x80");
	/* bidirectional overrides (U+202E, U+2066) too (issue #16) */
	nt_pcapng_clean_utf8(out, sizeof(out), "a\xe2\x80\xae" "b\xe2\x81\xa6" "c");
	CHECK_EQ_STR(out, "a???b???c");
	/* cut on a character boundary */
	CHECK_EQ_INT(nt_pcapng_clean_utf8(out, 4, "ab\xe2\x86\x92"), 2);
	CHECK_EQ_STR(out, "ab");
	CHECK_EQ_INT(nt_pcapng_clean_utf8(out, 1, "abc"), 0);
	CHECK_EQ_INT(nt_pcapng_clean_utf8(out, 0, "abc"), 0);
	CHECK_EQ_INT(nt_pcapng_clean_utf8(out, sizeof(out), "\xe2\x86"), 2); /* truncated sequence */
	CHECK_EQ_STR(out, "??");
}

/* ---- the pcapng export, read back ---- */
struct epb {
	uint32_t ifid, caplen, origlen;
	const uint8_t *data;
	char comment[4096];
};

static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint16_t rd16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }

/* Walk BUF: every block well framed; returns the number of EPBs put in E. */
static int parse(const uint8_t *buf, size_t len, struct epb *e, int max, int *nidb, uint16_t *lt)
{
	size_t o = 0;
	int n = 0;

	*nidb = 0;
	while (o + 12 <= len) {
		uint32_t type = rd32(buf + o), tl = rd32(buf + o + 4);

		if (tl < 12 || tl % 4 || o + tl > len || rd32(buf + o + tl - 4) != tl)
			return -1;
		if (type == 1) {
			*lt = rd16(buf + o + 8);
			(*nidb)++;
		} else if (type == 6 && n < max) {
			const uint8_t *p = buf + o + 8;
			size_t opt = 20 + ((rd32(p + 12) + 3) & ~3u);

			e[n].ifid = rd32(p);
			e[n].caplen = rd32(p + 12);
			e[n].origlen = rd32(p + 16);
			e[n].data = p + 20;
			e[n].comment[0] = 0;
			while (opt + 4 <= tl - 12) {
				uint16_t code = rd16(p + opt), ol = rd16(p + opt + 2);

				if (!code)
					break;
				if (code == 1 && ol < sizeof(e[n].comment)) {
					memcpy(e[n].comment, p + opt + 4, ol);
					e[n].comment[ol] = 0;
				}
				opt += 4 + ((ol + 3u) & ~3u);
			}
			n++;
		} else if (type != 0x0a0d0d0a && type != 6) {
			return -1;
		}
		o += tl;
	}
	return o == len ? n : -1;
}

/* Export one packet carrying the given BYTES records; returns EPBs parsed. */
static char *export_buf; /* the last export's bytes (the EPBs point into it) */

static int export(int headers_only, struct epb *e, int max, void (*fill)(struct nt_model *))
{
	char *buf;
	size_t blen = 0;
	FILE *f;

	free(export_buf);
	export_buf = NULL;
	f = open_memstream(&export_buf, &blen);
	struct nt_model *m = mk();
	struct nt_pcap pc;
	int nidb, n;
	uint16_t lt = 0;

	if (!f || !m)
		return -1;
	nt_pcap_init(&pc, f, headers_only);
	cur_pcap = &pc;
	meta(m, NT_L3_IPV4, 6, 60);
	fill(m);
	end(m);
	cur_pcap = NULL;
	nt_pcap_free(&pc);
	nt_model_free(m);
	fclose(f);
	buf = export_buf;
	n = parse((const uint8_t *)buf, blen, e, max, &nidb, &lt);
	if (n > 0 && (nidb != 1 || lt != NT_PCAPNG_LINKTYPE_ETHERNET))
		return -2;
	return n;
}

static void fill_v4_tcp_options(struct nt_model *m)
{
	struct nt_ev_meta mm = { .l3 = NT_L3_IPV4, .l4proto = 6, .len = 100, .sport = 1, .dport = 2 };
	uint8_t d[200];
	size_t n = pb_build(d, &mm, 0);

	/* 8 bytes of IPv4 options (NOPs), TCP data offset 8 (12 option bytes) */
	memmove(d + 28, d + 20, n - 20);
	d[0] = 0x47;
	memset(d + 20, 1, 8);
	d[28 + 12] = 8 << 4;
	bytes(m, d, 120, 200, NT_BYTES_NET, 0, 0x0800);
	/* the same capture cut inside the TCP header */
	bytes(m, d, 50, 200, NT_BYTES_NET, 0, 0x0800);
	/* from the MAC header, one VLAN tag */
	{
		uint8_t v[220] = { 2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x81, 0x00, 0, 5, 0x08, 0x00 };

		memcpy(v + 18, d, 120);
		bytes(m, v, 138, 218, NT_BYTES_MAC, 18, 0x0800);
	}
}

TEST(pcap_headers_only_ipv4)
{
	struct epb e[8];
	int n = export(1, e, 8, fill_v4_tcp_options);

	CHECK_EQ_INT(n, 3);
	CHECK_EQ_INT(e[0].caplen, 14 + 28 + 32); /* made-up Ethernet + IP with options + TCP with options */
	CHECK_EQ_INT(e[0].origlen, 214);
	CHECK(!memcmp(e[0].data, "\0\0\0\0\0\0\0\0\0\0\0\0\x08\x00\x47", 15));
	CHECK_EQ_INT(e[1].caplen, 14 + 50);      /* cut before the TCP header ends: all of it */
	CHECK_EQ_INT(e[2].caplen, 18 + 28 + 32);
	CHECK_EQ_INT(e[2].origlen, 218);
	CHECK(strstr(e[0].comment, "version 1/3 (first sight at ip_rcv, from the network header: Ethernet header made up)") != NULL);
	CHECK(strstr(e[2].comment, "version 3/3 (first sight at ip_rcv)") != NULL);
	n = export(0, e, 8, fill_v4_tcp_options);
	CHECK_EQ_INT(n, 3);
	CHECK_EQ_INT(e[0].caplen, 134);
	CHECK_EQ_INT(e[2].caplen, 138);
}

static void fill_v6(struct nt_model *m)
{
	uint8_t d[200] = { 0x60 };

	/* hop-by-hop (8) -> fragment (first) -> UDP */
	d[6] = 0;
	d[40] = 44, d[41] = 0;
	d[48] = 17, d[50] = 0, d[51] = 1; /* offset 0, M */
	bytes(m, d, 120, 300, NT_BYTES_NET, 0, 0x86dd);
	/* a later fragment: cut after the fragment header */
	d[50] = 0x01, d[51] = 0x00;
	bytes(m, d, 120, 300, NT_BYTES_NET, 0, 0x86dd);
	/* 9 hop-by-hop headers: the walk stops, the UDP header is not found */
	for (int i = 0; i < 9; i++) {
		d[40 + 8 * i] = 0;
		d[41 + 8 * i] = 0;
	}
	d[6] = 0;
	bytes(m, d, 120, 300, NT_BYTES_NET, 0, 0x86dd);
	/* ARP from the network header: EtherType 0x0806 in the made-up header */
	bytes(m, (const uint8_t *)"\x00\x01\x08\x00", 4, 28, NT_BYTES_NET, 0, 0x0806);
	/* not Ethernet, no network header offset: skipped; no EtherType and not IP: skipped */
	bytes(m, d, 10, 60, NT_BYTES_MAC, 0, 0x86dd);
	bytes(m, (const uint8_t *)"\x00\x01", 2, 2, NT_BYTES_NET, 0, 0);
	/* a MAC header of another length: from the network header on */
	{
		uint8_t v[64] = { 0 };

		memcpy(v + 4, d, 48);
		bytes(m, v, 52, 304, NT_BYTES_MAC, 4, 0x86dd);
	}
}

TEST(pcap_headers_only_ipv6_and_odd_links)
{
	struct epb e[8];
	int n = export(1, e, 8, fill_v6);

	CHECK_EQ_INT(n, 5);
	CHECK_EQ_INT(e[0].caplen, 14 + 40 + 8 + 8 + 8);
	CHECK_EQ_INT(e[1].caplen, 14 + 40 + 8 + 8);
	CHECK_EQ_INT(e[2].caplen, 14 + 40 + 64);     /* 8 extension headers walked, no transport header */
	CHECK_EQ_INT(e[3].caplen, 18);
	CHECK(!memcmp(e[3].data + 12, "\x08\x06", 2));
	CHECK_EQ_INT(e[4].caplen, 14 + 48);
	CHECK_EQ_INT(e[4].origlen, 14 + 300);
	CHECK(strstr(e[4].comment, "version 7/7") != NULL); /* versions count the skipped ones */
}

int main(void)
{
	RUN(bytes_records_checked);
	RUN(stacks_and_symbols);
	RUN(unknown_stack_ids_in_journeys);
	RUN(stack_losses_counted);
	RUN(ct_formatting_and_nat);
	RUN(clean_utf8);
	RUN(pcap_headers_only_ipv4);
	RUN(pcap_headers_only_ipv6_and_odd_links);
	free(export_buf);
	TEST_EXIT();
}
