/* ntl_packets.c - test-only: one line per packet of a log, from its first
 * packet metadata record (where nft-record first saw it), for comparisons
 * with tcpdump (tests/e2e/record_pcapfilter.sh):
 *   NETNS L3 PROTO SRC DST SPORT DPORT IPID EXTRA FLAGS METAS LASTDPORT
 * EXTRA: TCP sequence number, ICMP bytes 4..7 (id << 16 | seq), else 0.
 * METAS: how many META records the packet has (NAT / header changes);
 * LASTDPORT: the destination port of its last one.
 * Usage: ntl_packets LOG */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "model/model.h"
#include "model/walk.h"

struct ctx {
	unsigned long n;
};

static void on_packet(void *vctx, const struct nt_packet *p)
{
	struct ctx *c = vctx;
	const struct nt_ev_meta *m = &p->meta;
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
	const struct nt_ev_hdr *h;
	unsigned int metas = 0, lastdport = m->dport;

	if (!p->has_meta || (m->l3 != NT_L3_IPV4 && m->l3 != NT_L3_IPV6))
		return;
	for (size_t off = 0; off + sizeof(*h) <= p->ev_len; off += nt_ev_size(h->type)) {
		h = (const void *)(p->ev + off);
		if (h->type == NT_EV_META) {
			metas++;
			lastdport = ((const struct nt_ev_meta *)h)->dport;
		}
	}
	inet_ntop(m->l3 == NT_L3_IPV4 ? AF_INET : AF_INET6, m->saddr, s, sizeof(s));
	inet_ntop(m->l3 == NT_L3_IPV4 ? AF_INET : AF_INET6, m->daddr, d, sizeof(d));
	printf("%u %u %u %s %s %u %u %u %u %u %u %u\n", m->netns, m->l3, m->l4proto, s, d, m->sport, m->dport,
	       m->ip_id, m->l4_extra, m->tcp_flags, metas, lastdport);
	c->n++;
}

int main(int argc, char **argv)
{
	struct ctx c = { 0 };
	struct nt_walk w;
	int st;

	if (argc != 2) {
		fprintf(stderr, "usage: ntl_packets LOG\n");
		return 2;
	}
	memset(&w, 0, sizeof(w));
	w.path = argv[1];
	w.keep_events = 1;
	w.on_packet = on_packet;
	w.ctx = &c;
	st = nt_walk_log(&w);
	nt_model_free(w.m);
	if (st != NT_WALK_OK) {
		fprintf(stderr, "ntl_packets: %s\n", w.error);
		return 1;
	}
	return 0;
}
