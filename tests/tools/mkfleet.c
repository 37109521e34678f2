// SPDX-License-Identifier: GPL-2.0
/*
 * mkfleet.c - test-only: the logs of three hosts (client, router, server)
 * that saw the same packets, each with its own monotonic clock and a wall
 * clock off by a known amount (issue #20: stitching and ClickHouse tests,
 * make bench's 50 M-record log set).  Deterministic.
 *
 *   mkfleet [-n ITER] [--gap-us US] [--router-skew-ns NS] [--server-skew-ns NS]
 *           [--day N] [--router-drops-icmp] [--hostile-rule] DIR
 * writes DIR/client.ntl, DIR/router.ntl, DIR/server.ntl (HEADER host labels
 * client / router / server, clock references: the router's wall clock is 5 s
 * ahead, the server's 2.5 s behind, by default; every monotonic clock differs).
 *
 * One iteration (ITER of them, GAP µs apart; 10.0.1.0/24 client side,
 * 10.0.2.0/24 server side, router 10.0.1.1 / 10.0.2.1):
 *   1. ICMP echo request client -> server through the router, and its reply
 *      (3 parts each way)
 *   2. a TCP segment of 2 * 1448 bytes sent as one GSO packet by the client
 *      (seq S, IP id I), received by the router as two segments (S, I) and
 *      (S + 1448, I + 1) (GRO cut it differently), DNATed 10.0.1.1:8080 ->
 *      10.0.2.2:80 and forwarded, delivered by the server: one journey of 5
 *      parts (the second router part matches by TCP range)
 *   3. UDP to 10.0.2.2:53 dropped by the router's forward rule #7 (2 parts)
 *   4. two IPv6 UDP datagrams with identical headers 30 µs apart from the
 *      client to the router (IPv6 has no IP id): ambiguous, 4 parts alone
 *   5. a packet the server sends itself over lo (1 part)
 * --day N: the same N days later (wall clock); --router-drops-icmp: the
 * router's rule #8 drops the echo request (no server part, no reply);
 * --hostile-rule: rule #7's text holds control characters and invalid UTF-8.
 * Per iteration, stitched: 4 journeys across hosts (echo, reply, TCP, UDP
 * drop: 3 + 3 + 5 + 2 parts) and 5 journeys of one host (4 ambiguous, lo).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/records.h"
#include "formats/logw.h"

enum { CLIENT, ROUTER, SERVER, NHOST };
static const char *const hname[NHOST] = { "client", "router", "server" };
static const uint32_t netns[NHOST] = { 4026532001u, 4026532002u, 4026532003u };

/* function ids */
enum { F_RX = 0, F_RXNI, F_GRO, F_QUEUE, F_START, F_XMIT, F_KFREE, F_CONSUME, F_IP_RCV,
       F_FORWARD, F_OUTPUT, F_ICMP_RCV, F_TCP_RCV, F_UDP_RCV, F_DELIVER, F_LOCAL_OUT,
       F_IPV6_RCV, F_UDPV6_RCV };

#define T0_REAL 1796559600000000000ull /* 2026-12-06T12:20:00Z */
#define MONO_BASE 5000000000000ull

struct ev {
	uint64_t ts;
	uint32_t seq;
	union {
		struct nt_ev_hdr h;
		struct nt_ev_meta m;
		struct nt_ev_nft_rule r;
		struct nt_ev_nft_chain c;
		struct nt_ev_drop d;
		struct nt_ev_free f;
		struct nt_ev_nft_chaindef cd;
	} u;
};

struct out {
	struct ntl_writer *w;
	struct ev *v;
	size_t n, cap;
	uint64_t mono0;      /* this host's monotonic clock at true time 0 */
	int64_t skew;        /* its wall clock minus true time */
	uint32_t seq;
	int host;
};

static struct out outs[NHOST];
static int drop_icmp;          /* --router-drops-icmp */
static uint64_t day_ns;        /* --day N: N days later */
static int hostile;            /* --hostile-rule */

/* --hostile-rule: the text of rule #7 as a ruleset could carry it (a comment
 * is anyone's bytes): quote, backslash, TAB, LF, CR, ESC, DEL, UTF-8, and
 * invalid UTF-8 (a lone 0xff, an overlong 0xc0 0xaf, a surrogate 0xed 0xa0 0x80) */
static const char HOSTILE_TEXT[] = "udp dport 53 drop comment \"a\tb\nc\\d'e\x1b[31mf\x7fg"
				   "\xff\xc0\xafh\xc3\xa9\xe2\x86\x92\xed\xa0\x80i\r\"";

/* S as a JSON string body (bytes >= 0x80 as they are) into B at N */
static size_t json_str(char *b, size_t n, size_t cap, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p && n + 7 < cap; p++) {
		if (*p == '"' || *p == '\\')
			n += (size_t)snprintf(b + n, cap - n, "\\%c", *p);
		else if (*p < 0x20)
			n += (size_t)snprintf(b + n, cap - n, "\\u%04x", *p);
		else
			b[n++] = (char)*p;
	}
	return n;
}

static void die(const char *what)
{
	fprintf(stderr, "mkfleet: %s: %s\n", what, strerror(errno));
	exit(1);
}

static struct ev *push(struct out *o, uint64_t t, uint8_t type, uint32_t id, uint64_t skb)
{
	struct ev *e;

	if (o->n == o->cap) {
		o->cap = o->cap ? o->cap * 2 : 1024;
		o->v = realloc(o->v, o->cap * sizeof(*o->v));
		if (!o->v)
			die("realloc");
	}
	e = &o->v[o->n++];
	memset(e, 0, sizeof(*e));
	e->ts = o->mono0 + t;
	e->seq = o->seq++;
	e->u.h.type = type;
	e->u.h.id = id;
	e->u.h.ts_ns = e->ts;
	e->u.h.skb = skb;
	return e;
}

#define EACH(host, stmt) do { struct out *o_ = &outs[host]; stmt; } while (0)

static void func(int host, uint64_t t, uint32_t id, uint64_t skb)
{
	EACH(host, push(o_, t, NT_EV_FUNC, id, skb));
}

static void free_(int host, uint64_t t, uint64_t skb)
{
	EACH(host, push(o_, t, NT_EV_FREE, F_CONSUME, skb));
}

static void drop(int host, uint64_t t, uint64_t skb, uint32_t reason)
{
	EACH(host, { struct ev *e = push(o_, t, NT_EV_DROP, F_KFREE, skb);
		     e->u.d.location = 0xffffffff81c00000ull; e->u.d.reason = reason; });
}

struct pk {
	uint8_t l3, proto;
	uint8_t src[16], dst[16];
	uint16_t sport, dport, ip_id;
	uint32_t extra, len;
};

static void meta(int host, uint64_t t, uint64_t skb, const struct pk *p)
{
	EACH(host, {
		struct ev *e = push(o_, t, NT_EV_META, F_RX, skb);
		struct nt_ev_meta *m = &e->u.m;

		memcpy(m->saddr, p->src, 16);
		memcpy(m->daddr, p->dst, 16);
		m->sport = p->sport;
		m->dport = p->dport;
		m->l3 = p->l3;
		m->l4proto = p->proto;
		m->ethertype = p->l3 == NT_L3_IPV4 ? 0x0800 : 0x86dd;
		m->ifindex = 2;
		m->netns = netns[host];
		m->len = p->len;
		m->ip_id = p->ip_id;
		m->l4_extra = p->extra;
	});
}

static uint64_t chain_key(int host, int hook)
{
	return 0xc0000000ull | (uint64_t)host << 8 | (uint64_t)hook;
}

static void rule(int host, uint64_t t, uint64_t skb, int hook, uint64_t handle, int32_t verdict)
{
	EACH(host, {
		struct ev *e = push(o_, t, NT_EV_NFT_RULE, 0, skb);

		e->u.r.chain_key = chain_key(host, hook);
		e->u.r.rule_handle = handle;
		e->u.r.verdict = verdict;
		e->u.r.kind = handle ? NT_RULE_KIND_RULE : NT_RULE_KIND_POLICY;
		e->u.r.family = 2;
		e->u.r.hook = (uint8_t)hook;
	});
}

static void v4(uint8_t *a, const char *s)
{
	memset(a, 0, 16);
	inet_pton(AF_INET, s, a);
}

static void v6(uint8_t *a, const char *s)
{
	inet_pton(AF_INET6, s, a);
}

static uint64_t skbaddr(int host, uint64_t k, int n)
{
	return 0xffff888000000000ull | (uint64_t)host << 36 | (k % 4096) << 12 | (uint64_t)n << 8;
}

/* one hop of a forwarded / received packet on HOST from t: the usual path */
static void rx_path(int host, uint64_t t, uint64_t skb, const struct pk *p)
{
	meta(host, t, skb, p);
	func(host, t, F_RX, skb);
	func(host, t + 2000, p->l3 == NT_L3_IPV4 ? F_IP_RCV : F_IPV6_RCV, skb);
}

static void tx_path(int host, uint64_t t, uint64_t skb)
{
	func(host, t, F_OUTPUT, skb);
	func(host, t + 1000, F_QUEUE, skb);
	func(host, t + 2000, F_START, skb);
	func(host, t + 3000, F_XMIT, skb);
	free_(host, t + 4000, skb);
}

#define D 20000   /* one-way wire delay, ns */

/* a deterministic jitter of iteration K in [0, MAX) ns */
static uint64_t jitter(uint64_t k, uint64_t salt, uint64_t max)
{
	uint64_t x = (k + 1) * 0x9e3779b97f4a7c15ull ^ salt;

	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 29;
	return x % max;
}

static void iteration(uint64_t k, uint64_t t)
{
	struct pk p, q;
	uint64_t s1, s2, s3, jr = jitter(k, 1, 3000), js = jitter(k, 2, 9000);

	/* 1. ICMP echo client -> server, reply back */
	memset(&p, 0, sizeof(p));
	p.l3 = NT_L3_IPV4;
	p.proto = 1;
	v4(p.src, "10.0.1.2");
	v4(p.dst, "10.0.2.2");
	p.sport = 8 << 8;
	p.dport = (uint16_t)(0x4000 + (k >> 16));
	p.ip_id = (uint16_t)(1000 + k);
	p.extra = (uint32_t)p.dport << 16 | (uint16_t)k;
	p.len = 84;
	s1 = skbaddr(CLIENT, k, 1);
	meta(CLIENT, t, s1, &p);
	func(CLIENT, t, F_LOCAL_OUT, s1);
	rule(CLIENT, t + 500, s1, 3, 0, NT_V_ACCEPT);
	tx_path(CLIENT, t + 1000, s1);               /* start_xmit at t + 3000 */
	s2 = skbaddr(ROUTER, k, 1);
	rx_path(ROUTER, t + 3000 + D, s2, &p);
	if (drop_icmp) { /* the router's rule #8 drops it: no server part, no reply */
		rule(ROUTER, t + 3000 + D + 3000, s2, 2, 8, NT_V_DROP);
		drop(ROUTER, t + 3000 + D + 4000, s2, 5);
		goto tcp;
	}
	rule(ROUTER, t + 3000 + D + 3000, s2, 2, 10, NT_V_ACCEPT);
	func(ROUTER, t + 3000 + D + 4000 + jr, F_FORWARD, s2);
	tx_path(ROUTER, t + 3000 + D + 5000 + jr, s2); /* start_xmit at +7000 + jr */
	s3 = skbaddr(SERVER, k, 1);
	t += jr;
	rx_path(SERVER, t + 3000 + D + 7000 + D, s3, &p);
	func(SERVER, t + 3000 + 2 * D + 7000 + 3000, F_DELIVER, s3);
	func(SERVER, t + 3000 + 2 * D + 7000 + 4000 + js, F_ICMP_RCV, s3);
	free_(SERVER, t + 3000 + 2 * D + 7000 + 5000 + js, s3);
	/* the reply */
	q = p;
	memcpy(q.src, p.dst, 16);
	memcpy(q.dst, p.src, 16);
	q.sport = 0;
	q.ip_id = (uint16_t)(30000 + k);
	t += 60000;
	s3 = skbaddr(SERVER, k, 2);
	meta(SERVER, t, s3, &q);
	func(SERVER, t, F_LOCAL_OUT, s3);
	tx_path(SERVER, t + 1000, s3);
	s2 = skbaddr(ROUTER, k, 2);
	rx_path(ROUTER, t + 3000 + D, s2, &q);
	rule(ROUTER, t + 3000 + D + 3000, s2, 2, 10, NT_V_ACCEPT);
	func(ROUTER, t + 3000 + D + 4000, F_FORWARD, s2);
	tx_path(ROUTER, t + 3000 + D + 5000, s2);
	s1 = skbaddr(CLIENT, k, 2);
	rx_path(CLIENT, t + 10000 + 2 * D, s1, &q);
	func(CLIENT, t + 10000 + 2 * D + 3000, F_ICMP_RCV, s1);
	free_(CLIENT, t + 10000 + 2 * D + 4000, s1);

	/* 2. TCP: one GSO packet, two segments at the router, DNAT */
tcp:
	t += 60000;
	memset(&p, 0, sizeof(p));
	p.l3 = NT_L3_IPV4;
	p.proto = 6;
	v4(p.src, "10.0.1.2");
	v4(p.dst, "10.0.1.1");
	p.sport = (uint16_t)(40000 + k % 20000);
	p.dport = 8080;
	p.ip_id = (uint16_t)(5000 + 2 * k);
	p.extra = (uint32_t)(1000000 + k * 3000);
	p.len = 14 + 20 + 20 + 2 * 1448;
	s1 = skbaddr(CLIENT, k, 3);
	meta(CLIENT, t, s1, &p);
	func(CLIENT, t, F_LOCAL_OUT, s1);
	tx_path(CLIENT, t + 1000, s1);
	for (int seg = 0; seg < 2; seg++) {
		uint64_t ts = t + 3000 + D + (uint64_t)seg * 1500;
		struct pk r = p, nat;

		r.ip_id = (uint16_t)(p.ip_id + seg);
		r.extra = p.extra + (uint32_t)seg * 1448;
		r.len = 20 + 20 + 1448;
		s2 = skbaddr(ROUTER, k, 3 + seg);
		rx_path(ROUTER, ts, s2, &r);
		nat = r;
		v4(nat.dst, "10.0.2.2");
		nat.dport = 80;
		rule(ROUTER, ts + 2500, s2, 0, 3, NT_V_ACCEPT);
		meta(ROUTER, ts + 2600, s2, &nat);
		rule(ROUTER, ts + 3000, s2, 2, 10, NT_V_ACCEPT);
		func(ROUTER, ts + 4000, F_FORWARD, s2);
		tx_path(ROUTER, ts + 5000, s2);
		s3 = skbaddr(SERVER, k, 3 + seg);
		rx_path(SERVER, ts + 7000 + D, s3, &nat);
		func(SERVER, ts + 7000 + D + 3000, F_DELIVER, s3);
		func(SERVER, ts + 7000 + D + 4000, F_TCP_RCV, s3);
		free_(SERVER, ts + 7000 + D + 5000, s3);
	}

	/* 3. UDP to 10.0.2.2:53, dropped at the router */
	t += 60000;
	memset(&p, 0, sizeof(p));
	p.l3 = NT_L3_IPV4;
	p.proto = 17;
	v4(p.src, "10.0.1.2");
	v4(p.dst, "10.0.2.2");
	p.sport = (uint16_t)(50000 + k % 10000);
	p.dport = 53;
	p.ip_id = (uint16_t)(20000 + k);
	p.len = 60;
	s1 = skbaddr(CLIENT, k, 5);
	meta(CLIENT, t, s1, &p);
	func(CLIENT, t, F_LOCAL_OUT, s1);
	tx_path(CLIENT, t + 1000, s1);
	s2 = skbaddr(ROUTER, k, 5);
	rx_path(ROUTER, t + 3000 + D, s2, &p);
	rule(ROUTER, t + 3000 + D + 3000, s2, 2, 7, NT_V_DROP);
	drop(ROUTER, t + 3000 + D + 4000, s2, 2);

	/* 4. two identical IPv6 datagrams client -> router, 30 µs apart */
	t += 60000;
	memset(&p, 0, sizeof(p));
	p.l3 = NT_L3_IPV6;
	p.proto = 17;
	v6(p.src, "fd00:1::2");
	v6(p.dst, "fd00:1::1");
	p.sport = 5000;
	p.dport = 5001;
	p.len = 100;
	for (int i = 0; i < 2; i++) {
		uint64_t ts = t + (uint64_t)i * 30000;

		s1 = skbaddr(CLIENT, k, 6 + i);
		meta(CLIENT, ts, s1, &p);
		func(CLIENT, ts, F_LOCAL_OUT, s1);
		tx_path(CLIENT, ts + 1000, s1);
		s2 = skbaddr(ROUTER, k, 6 + i);
		rx_path(ROUTER, ts + 3000 + D, s2, &p);
		func(ROUTER, ts + 3000 + D + 3000, F_UDPV6_RCV, s2);
		free_(ROUTER, ts + 3000 + D + 4000, s2);
	}

	/* 5. the server to itself over lo */
	t += 100000;
	memset(&p, 0, sizeof(p));
	p.l3 = NT_L3_IPV4;
	p.proto = 17;
	v4(p.src, "127.0.0.1");
	v4(p.dst, "127.0.0.1");
	p.sport = 6000;
	p.dport = 6001;
	p.ip_id = (uint16_t)(40000 + k);
	p.len = 40;
	s3 = skbaddr(SERVER, k, 9);
	meta(SERVER, t, s3, &p);
	func(SERVER, t, F_LOCAL_OUT, s3);
	func(SERVER, t + 1000, F_OUTPUT, s3);
	func(SERVER, t + 2000, F_START, s3);
	func(SERVER, t + 3000, F_RXNI, s3);
	func(SERVER, t + 4000, F_IP_RCV, s3);
	func(SERVER, t + 5000, F_UDP_RCV, s3);
	free_(SERVER, t + 6000, s3);
}

static int ev_cmp(const void *a, const void *b)
{
	const struct ev *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void flush(struct out *o)
{
	qsort(o->v, o->n, sizeof(*o->v), ev_cmp);
	for (size_t i = 0; i < o->n; i++)
		if (ntl_writer_event(o->w, &o->v[i].u, nt_ev_size(o->v[i].u.h.type)))
			die("write");
	o->n = 0;
}

static const char *const fnames[] = {
	"net:netif_receive_skb", "net:netif_rx", "net:napi_gro_receive_entry", "net:net_dev_queue",
	"net:net_dev_start_xmit", "net:net_dev_xmit", "skb:kfree_skb", "skb:consume_skb",
	"ip_rcv", "ip_forward", "ip_output", "icmp_rcv", "tcp_v4_rcv", "udp_rcv",
	"ip_local_deliver", "__ip_local_out", "ipv6_rcv", "udpv6_rcv" };
static const char *const flayers[] = {
	"Device", "Device", "GRO", "Xmit", "Xmit", "Xmit", "Other", "Other", "IPv4", "IPv4",
	"IPv4", "IPv4", "TCP", "UDP", "IPv4", "IPv4", "IPv6", "UDP" };

static void meta_blocks(struct out *o, const char *label)
{
	char buf[8192];
	size_t n = 0;
	int hosts[1] = { o->host }, nh = 1;
	uint64_t mono_ref = o->mono0 + 500000000ull;       /* true time 0.5 s */
	uint64_t real_ref = T0_REAL + day_ns + 500000000ull + (uint64_t)o->skew;

	snprintf(buf, sizeof(buf),
		 "{\"tool\":\"mkfleet\",\"tool_version\":\"0.1.0\",\"format_version\":2,"
		 "\"hostname\":\"%s\",\"kernel\":\"6.1.0-fleet\",\"machine\":\"x86_64\","
		 "\"clock\":\"CLOCK_MONOTONIC\",\"start_mono_ns\":%" PRIu64 ",\"ncpus\":2,"
		 "\"backend\":\"tracepoint\",\"filter\":\"\",\"host\":{\"label\":\"%s\",\"hostname\":\"%s\","
		 "\"machine_id_hash\":\"%032x\",\"boot_id\":\"00000000-0000-4000-8000-00000000000%d\"},"
		 "\"clock_ref\":{\"mono_ns\":\"%" PRIu64 "\",\"realtime_ns\":\"%" PRIu64 "\"}}",
		 label, o->mono0, label, label, (unsigned)(o->host + 2), o->host + 2, mono_ref, real_ref);
	if (ntl_writer_meta(o->w, NTL_B_HEADER, buf, strlen(buf)))
		die("header");
	n = (size_t)snprintf(buf, sizeof(buf), "{\"functions\":[");
	for (size_t i = 0; i < sizeof(fnames) / sizeof(fnames[0]); i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n,
				      "%s{\"id\":%zu,\"name\":\"%s\",\"layer\":\"%s\",\"priority\":0,"
				      "\"kind\":\"%s\",\"arg\":1,\"module\":\"\",\"addr\":\"0x0\"}",
				      i ? "," : "", i, fnames[i], flayers[i],
				      strchr(fnames[i], ':') ? "tracepoint" : "skb");
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "]}");
	if (ntl_writer_meta(o->w, NTL_B_FUNCS, buf, n))
		die("funcs");
	n = (size_t)snprintf(buf, sizeof(buf), "{\"tables\":[");
	for (int i = 0; i < nh; i++) {
		n += (size_t)snprintf(buf + n, sizeof(buf) - n,
			"%s{\"netns\":%u,\"family\":\"ip\",\"name\":\"filter\",\"handle\":1,\"chains\":["
			"{\"name\":\"prerouting\",\"handle\":1,\"type\":\"nat\",\"hook\":\"prerouting\","
			"\"prio\":-100,\"policy\":\"accept\",\"rules\":[{\"handle\":3,\"text\":"
			"\"tcp dport 8080 dnat to 10.0.2.2:80\"}]},"
			"{\"name\":\"forward\",\"handle\":2,\"type\":\"filter\",\"hook\":\"forward\","
			"\"prio\":0,\"policy\":\"accept\",\"rules\":[{\"handle\":7,\"text\":\"",
			i ? "," : "", netns[hosts[i]]);
		n = json_str(buf, n, sizeof(buf), hostile ? HOSTILE_TEXT : "udp dport 53 drop");
		n += (size_t)snprintf(buf + n, sizeof(buf) - n,
			"\"},{\"handle\":8,\"text\":\"icmp type echo-request drop\"},"
			"{\"handle\":10,\"text\":\"accept\"}]},"
			"{\"name\":\"output\",\"handle\":3,\"type\":\"filter\",\"hook\":\"output\","
			"\"prio\":0,\"policy\":\"accept\",\"rules\":[]}]}");
	}
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "]}");
	if (ntl_writer_meta(o->w, NTL_B_RULESET, buf, n))
		die("ruleset");
	n = (size_t)snprintf(buf, sizeof(buf),
			     "{\"reasons\":[{\"value\":2,\"name\":\"NOT_SPECIFIED\"},"
			     "{\"value\":5,\"name\":\"NETFILTER_DROP\"}]}");
	if (ntl_writer_meta(o->w, NTL_B_DROP_REASONS, buf, n))
		die("reasons");
	for (int i = 0; i < nh; i++)
		for (int hook = 0; hook < 4; hook++) {
			static const char *const cn[] = { "prerouting", "input", "forward", "output" };
			struct nt_ev_nft_chaindef d;

			memset(&d, 0, sizeof(d));
			d.h.type = NT_EV_NFT_CHAINDEF;
			d.chain_key = chain_key(hosts[i], hook);
			snprintf(d.table, sizeof(d.table), "filter");
			snprintf(d.chain, sizeof(d.chain), "%s", cn[hook]);
			d.family = 2;
			d.hook = (uint8_t)hook;
			d.base = 1;
			d.policy = 1;
			d.netns = netns[hosts[i]];
			if (ntl_writer_event(o->w, &d, sizeof(d)))
				die("chaindef");
		}
}

int main(int argc, char **argv)
{
	const char *dir = NULL;
	uint64_t iters = 1, gap = 1000; /* µs */
	int64_t skew_r = 5000000000ll, skew_s = -2500000000ll;
	struct ntl_writer_opts wo = { .sz = sizeof(wo), .force = 1 };
	char path[4096];

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-n") && i + 1 < argc)
			iters = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--gap-us") && i + 1 < argc)
			gap = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--router-skew-ns") && i + 1 < argc)
			skew_r = strtoll(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--server-skew-ns") && i + 1 < argc)
			skew_s = strtoll(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--day") && i + 1 < argc)
			day_ns = strtoull(argv[++i], NULL, 10) * 86400000000000ull;
		else if (!strcmp(argv[i], "--router-drops-icmp"))
			drop_icmp = 1;
		else if (!strcmp(argv[i], "--hostile-rule"))
			hostile = 1;
		else if (argv[i][0] != '-' && !dir)
			dir = argv[i];
		else {
			fprintf(stderr, "usage: mkfleet [-n ITER] [--gap-us US] [--router-skew-ns NS] "
					"[--server-skew-ns NS] [--day N] [--router-drops-icmp] [--hostile-rule] DIR\n");
			return 2;
		}
	}
	if (!dir || gap < 500)
		return fprintf(stderr, "mkfleet: DIR needed, --gap-us >= 500\n"), 2;
	for (int h = 0; h < NHOST; h++) {
		struct out *o = &outs[h];

		o->host = h;
		o->mono0 = MONO_BASE + (uint64_t)h * 777777777777ull;
		o->skew = h == ROUTER ? skew_r : h == SERVER ? skew_s : 0;
		snprintf(path, sizeof(path), "%s/%s.ntl", dir, hname[h]);
		if (ntl_writer_open(&o->w, path, &wo))
			return fprintf(stderr, "mkfleet: %s: %s\n", path, ntl_writer_open_error()), 1;
		meta_blocks(o, hname[h]);
	}
	for (uint64_t k = 0; k < iters; k++) {
		iteration(k, 1000000000ull + k * gap * 1000);
		for (int h = 0; h < NHOST; h++)
			flush(&outs[h]);
	}
	for (int h = 0; h < NHOST; h++) {
		char tr[256];

		snprintf(tr, sizeof(tr), "{\"events\":%" PRIu64 ",\"clean\":true}",
			 ntl_writer_events(outs[h].w));
		if (ntl_writer_close(outs[h].w, tr))
			die("close");
		free(outs[h].v);
	}
	return 0;
}
