/* test_log_model.c - the analysis model fed record by record (as the recorder
 * does live): packet boundaries, clones, skb reuse, trace-id attachment,
 * verdict rule, time per layer, incomplete packets, metadata lookups. */
#include <string.h>

#include "tests/unit/nt_test.h"
#include "formats/ntlog.h"
#include "model/model.h"
#include "model/stats.h"
#include "model/journey.h"
#include "formats/logw.h"
#include "formats/logr.h"
#include "common/limits.h"
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/wait.h>

#define MAXP 16
#define NT_F_DISCARD_REC 0x10 /* the capture filter's discard (model/model_int.h) */
static struct nt_packet done[MAXP];
static int ndone;

static void on_packet(void *ctx, const struct nt_packet *p)
{
	(void)ctx;
	if (ndone < MAXP)
		done[ndone++] = *p;
}

static struct nt_model *mk(int keep)
{
	struct nt_model_opts o = { .sz = sizeof(o), .keep_events = keep, .on_packet = on_packet };
	static const char *funcs = "{\"functions\":[{\"id\":0,\"name\":\"ip_rcv\",\"layer\":\"IPv4\"},"
				   "{\"id\":1,\"name\":\"tcp_v4_rcv\",\"layer\":\"TCP\"},"
				   "{\"id\":2,\"name\":\"skb:kfree_skb\",\"layer\":\"Other\",\"kind\":\"tracepoint\"},"
				   "{\"id\":3,\"name\":\"__netif_receive_skb_core\",\"layer\":\"Device\"}]}";
	struct nt_model *m = nt_model_new(&o);

	ndone = 0;
	memset(done, 0, sizeof(done));
	if (m && nt_model_meta(m, NTL_B_FUNCS, funcs, strlen(funcs)))
		return NULL;
	return m;
}

static const struct nt_packet *func(struct nt_model *m, uint64_t skb, uint32_t id, uint64_t ts)
{
	struct nt_ev_func f = { .h = { .type = NT_EV_FUNC, .id = id, .ts_ns = ts, .skb = skb } };

	return nt_model_event(m, &f, sizeof(f));
}

/* an IPv4 UDP packet's metadata: the packet is a journey from here on */
static const struct nt_packet *meta(struct nt_model *m, uint64_t skb, uint64_t ts)
{
	struct nt_ev_meta mm = { .h = { .type = NT_EV_META, .ts_ns = ts, .skb = skb },
				 .ethertype = 0x0800, .l3 = NT_L3_IPV4, .l4proto = 17, .sport = 1000, .dport = 53,
				 .saddr = { 10, 0, 0, 1 }, .daddr = { 10, 0, 0, 2 },
				 .ip_id = (uint16_t)(ts / 7 + skb) }; /* another packet, another id */

	return nt_model_event(m, &mm, sizeof(mm));
}

static const struct nt_packet *ev_free(struct nt_model *m, uint64_t skb, uint64_t ts)
{
	struct nt_ev_free f = { .h = { .type = NT_EV_FREE, .id = 2, .ts_ns = ts, .skb = skb } };

	return nt_model_event(m, &f, sizeof(f));
}

static const struct nt_packet *rule(struct nt_model *m, uint64_t skb, uint64_t chain, uint64_t handle,
				    int32_t v, int kind, uint32_t tid, uint64_t ts)
{
	struct nt_ev_nft_rule r = { .h = { .type = NT_EV_NFT_RULE, .ts_ns = ts, .skb = skb },
				    .chain_key = chain, .rule_handle = handle, .verdict = v,
				    .kind = (uint8_t)kind, .trace_id = tid };

	return nt_model_event(m, &r, sizeof(r));
}

TEST(packet_boundaries_and_layer_time)
{
	struct nt_model *m = mk(0);
	const struct nt_packet *p;

	CHECK(m != NULL);
	p = func(m, 0x5000, 3, 900);
	CHECK(p && p->id == 0);        /* no IP metadata (yet): not a journey */
	p = meta(m, 0x1000, 1000);
	CHECK(p && p->id == 1);
	p = func(m, 0x1000, 3, 1000);
	CHECK(p && p->id == 1);
	func(m, 0x1000, 0, 1500);      /* Device: 500 ns */
	func(m, 0x1000, 0, 2500);      /* IPv4: 1000 ns */
	func(m, 0x1000, 1, 4000);      /* IPv4: +1500 ns */
	p = ev_free(m, 0x1000, 4100);  /* TCP: 100 ns */
	CHECK(p != NULL);
	CHECK_EQ_INT(ndone, 1);
	CHECK_EQ_INT(done[0].id, 1);
	CHECK_EQ_INT(done[0].n_funcs, 4);
	CHECK_EQ_INT(done[0].n_events, 6);
	CHECK_EQ_INT(done[0].incomplete, 0);
	CHECK_EQ_INT(done[0].verdict, NT_V_NONE);
	CHECK_EQ_INT(done[0].fate, NT_FATE_CONSUMED);
	CHECK_EQ_INT(done[0].layer_ns[nt_model_func(m, 3)->layer], 500);
	CHECK_EQ_INT(done[0].layer_ns[nt_model_func(m, 0)->layer], 2500);
	CHECK_EQ_INT(done[0].layer_ns[nt_model_func(m, 1)->layer], 100);
	CHECK_EQ_STR(nt_model_func(m, 1)->layer_name, "TCP");
	/* the same address after its free is a new packet */
	meta(m, 0x1000, 5000);
	p = func(m, 0x1000, 0, 5000);
	CHECK(p && p->id == 2);
	CHECK_EQ_INT(nt_model_totals(m)->open, 2);
	nt_model_finish(m);
	CHECK_EQ_INT(ndone, 2);        /* 0x5000 never was an IP packet: counted only */
	CHECK_EQ_INT(nt_model_totals(m)->not_ip, 1);
	CHECK_EQ_INT(done[1].id, 2);
	CHECK_EQ_INT(done[1].incomplete, 1);
	CHECK_EQ_INT(nt_model_totals(m)->incomplete, 1);
	CHECK_EQ_INT(nt_model_totals(m)->completed, 1);
	nt_model_free(m);
}

TEST(clone_is_a_branch_of_one_journey)
{
	struct nt_model *m = mk(1);
	struct nt_ev_link l = { .h = { .type = NT_EV_LINK, .ts_ns = 1100, .skb = 0x2000 },
				.parent = 0x1000, .kind = NT_LINK_CLONE };
	const struct nt_packet *p;

	CHECK(m != NULL);
	meta(m, 0x1000, 1000);
	func(m, 0x1000, 0, 1000);
	p = nt_model_event(m, &l, sizeof(l));
	CHECK(p && p->id == 1);
	p = func(m, 0x2000, 1, 1200);
	CHECK(p && p->id == 1);
	CHECK_EQ_INT(p->live_skbs, 2);
	ev_free(m, 0x1000, 1300);
	CHECK_EQ_INT(ndone, 0);
	ev_free(m, 0x2000, 1400);
	CHECK_EQ_INT(ndone, 1);
	CHECK_EQ_INT(done[0].n_branches, 1);
	CHECK_EQ_INT(done[0].n_events, 6);
	CHECK_EQ_INT(done[0].ev_len, 96 + 24 + 40 + 24 + 24 + 24);
	CHECK_EQ_INT(nt_model_totals(m)->packets, 1);
	nt_model_free(m);
}

/* Tracepoint mode: a ping socket's clone (made where no probe saw it) is
 * first seen at socket level after the original was dropped (NO_SOCKET) with
 * its data still shared (NT_F_SHARED): LINK kind head to the freed address.
 * The packet lingers for it and the clone joins it (fate delivered), even
 * when the address already carries another packet; without the flag a late
 * LINK never brings the freed address back to life. */
TEST(clone_after_shared_free_joins_the_lingering_packet)
{
	struct nt_model *m = mk(0);
	struct nt_ev_drop d = { .h = { .type = NT_EV_DROP, .id = 2, .ts_ns = 1500, .skb = 0x1000,
				       .flags = NT_F_SHARED }, .reason = 3 };
	struct nt_ev_link l = { .h = { .type = NT_EV_LINK, .ts_ns = 8000000, .skb = 0x3000 },
				.parent = 0x1000, .kind = NT_LINK_HEAD };
	const struct nt_packet *p;

	CHECK(m != NULL);
	meta(m, 0x3000, 500);                   /* an old life of the clone's address, */
	func(m, 0x3000, 0, 500);                /* its free unseen (packet 1) */
	meta(m, 0x1000, 1000);
	func(m, 0x1000, 3, 1000);
	nt_model_event(m, &d, sizeof(d));
	CHECK_EQ_INT(ndone, 0);                 /* lingers */
	{	/* a chain definition read ahead of the reorder window: no expiry */
		struct nt_ev_nft_chaindef cd = { .h = { .type = NT_EV_NFT_CHAINDEF, .ts_ns = 2000000000ull },
						 .chain_key = 77 };

		nt_model_event(m, &cd, sizeof(cd));
		CHECK_EQ_INT(ndone, 0);
	}
	meta(m, 0x1000, 2000);                  /* the address's next packet */
	p = func(m, 0x1000, 0, 2000);
	CHECK(p && p->id == 3);
	p = nt_model_event(m, &l, sizeof(l));
	CHECK(p && p->id == 2);
	CHECK_EQ_INT(ndone, 1);                 /* the clone address's old life ended */
	CHECK_EQ_INT(done[0].id, 1);
	ev_free(m, 0x3000, 8000100);
	CHECK_EQ_INT(ndone, 2);
	CHECK_EQ_INT(done[1].id, 2);
	CHECK_EQ_INT(done[1].n_branches, 1);
	CHECK_EQ_INT(done[1].incomplete, 0);
	CHECK(done[1].drop_seen);
	/* a shared free whose clone never shows up: complete after the linger */
	d.h.skb = 0x1000;
	d.h.ts_ns = 9000000;
	nt_model_event(m, &d, sizeof(d));       /* ends packet 3 */
	CHECK_EQ_INT(ndone, 2);
	func(m, 0x5000, 0, 9000000 + 600000000ull);
	CHECK_EQ_INT(ndone, 3);
	CHECK_EQ_INT(done[2].id, 3);
	CHECK_EQ_INT(done[2].incomplete, 0);
	CHECK_EQ_INT(done[2].fate, NT_FATE_DROPPED);
	/* a late LINK to an address freed without the flag: a packet of the
	 * clone, the address stays free */
	meta(m, 0x6000, 700000000);
	ev_free(m, 0x6000, 700000100);
	l.h.skb = 0x7000;
	l.parent = 0x6000;
	l.h.ts_ns = 700000200;
	nt_model_event(m, &l, sizeof(l));
	meta(m, 0x6000, 700000300);
	p = func(m, 0x6000, 0, 700000300);
	CHECK(p && p->id == 5);
	CHECK_EQ_INT(p->live_skbs, 1);
	nt_model_free(m);
}

TEST(realloc_moves_the_packet_to_the_new_address)
{
	struct nt_model *m = mk(0);
	struct nt_ev_link l = { .h = { .type = NT_EV_LINK, .ts_ns = 1100, .skb = 0x3000 },
				.parent = 0x1000, .kind = NT_LINK_REALLOC };
	const struct nt_packet *p;

	meta(m, 0x1000, 1000);
	func(m, 0x1000, 0, 1000);
	nt_model_event(m, &l, sizeof(l));
	p = func(m, 0x3000, 1, 1200);
	CHECK(p && p->id == 1 && p->live_skbs == 1);
	ev_free(m, 0x3000, 1300);
	CHECK_EQ_INT(ndone, 1);
	CHECK_EQ_INT(done[0].n_branches, 0);
	/* the old address is no longer part of it */
	meta(m, 0x1000, 2000);
	p = func(m, 0x1000, 0, 2000);
	CHECK(p && p->id == 2);
	nt_model_free(m);
}

/* function mode of older recorders: the skb's freeing functions come after
 * skb:consume_skb, and the recorder may show the packet's META again: none
 * of it is a new packet; another packet on the address is */
TEST(records_of_its_own_free_after_the_free)
{
	struct nt_model *m = mk(0);
	struct nt_ev_meta mm = { .h = { .type = NT_EV_META, .ts_ns = 1000, .skb = 0x1000 },
				 .ethertype = 0x0800, .l3 = NT_L3_IPV4, .l4proto = 17, .ip_id = 77 };
	const struct nt_packet *p;

	CHECK(m != NULL);
	nt_model_event(m, &mm, sizeof(mm));
	func(m, 0x1000, 0, 1100);
	ev_free(m, 0x1000, 1200);
	CHECK_EQ_INT(ndone, 1);
	mm.h.ts_ns = 1300;                         /* the same packet's META again */
	CHECK(nt_model_event(m, &mm, sizeof(mm)) == NULL);
	CHECK(func(m, 0x1000, 0, 1400) == NULL);   /* skb_release_data ... */
	CHECK_EQ_INT(nt_model_totals(m)->after_free, 2);
	CHECK_EQ_INT(nt_model_totals(m)->packets, 1);
	mm.h.ts_ns = 1500;
	mm.ip_id = 78;                             /* another packet on the address */
	p = nt_model_event(m, &mm, sizeof(mm));
	CHECK(p && p->id == 2);
	nt_model_free(m);
}

/* function mode under emulation: the free path of a dropped skb comes 15 ms
 * after skb:kfree_skb (past FREED_NS) with the recorder's META again; until
 * kfree_skbmem's record the address holds no other skb: one packet.  After
 * it, the same identity 15 ms later is a new packet (a retransmission). */
TEST(late_free_path_of_a_dropped_skb_until_kfree_skbmem)
{
	struct nt_model_opts o = { .sz = sizeof(o), .on_packet = on_packet };
	static const char *funcs = "{\"functions\":[{\"id\":0,\"name\":\"ip_rcv\",\"layer\":\"IPv4\"},"
				   "{\"id\":1,\"name\":\"skb_release_data\",\"layer\":\"Other\"},"
				   "{\"id\":2,\"name\":\"skb:kfree_skb\",\"layer\":\"Other\",\"kind\":\"tracepoint\"},"
				   "{\"id\":3,\"name\":\"kfree_skbmem\",\"layer\":\"Other\",\"role\":\"free\"}]}";
	struct nt_model *m = nt_model_new(&o);
	struct nt_ev_meta mm = { .h = { .type = NT_EV_META, .ts_ns = 1000000, .skb = 0x1000 },
				 .ethertype = 0x86dd, .l3 = NT_L3_IPV6, .l4proto = 6, .l4_extra = 4242 };
	struct nt_ev_drop d = { .h = { .type = NT_EV_DROP, .id = 2, .ts_ns = 2000000, .skb = 0x1000 }, .reason = 6 };
	struct nt_ev_free f = { .h = { .type = NT_EV_FREE, .id = 3, .skb = 0x1000 } };
	const struct nt_packet *p;

	ndone = 0;
	CHECK(m && !nt_model_meta(m, NTL_B_FUNCS, funcs, strlen(funcs)));
	nt_model_event(m, &mm, sizeof(mm));
	func(m, 0x1000, 0, 1500000);
	nt_model_event(m, &d, sizeof(d));
	CHECK_EQ_INT(ndone, 1);
	mm.h.ts_ns = 17000000;                      /* 15 ms later: its META again */
	CHECK(nt_model_event(m, &mm, sizeof(mm)) == NULL);
	CHECK(func(m, 0x1000, 1, 17100000) == NULL); /* skb_release_data */
	f.h.ts_ns = 17200000;                       /* kfree_skbmem */
	CHECK(nt_model_event(m, &f, sizeof(f)) == NULL);
	CHECK_EQ_INT(nt_model_totals(m)->after_free, 3);
	CHECK_EQ_INT(nt_model_totals(m)->packets, 1);
	mm.h.ts_ns = 32000000;                      /* the memory was free: a new life */
	p = nt_model_event(m, &mm, sizeof(mm));
	CHECK(p && p->id == 2);
	nt_model_free(m);
}

TEST(steps_without_skb_are_never_attached)
{
	struct nt_model *m = mk(0);
	const struct nt_packet *p;

	meta(m, 0x1000, 1000);
	func(m, 0x1000, 0, 1000);
	p = rule(m, 0x1000, 7, 4, NT_V_CONTINUE, NT_RULE_KIND_RULE, 0xabc, 1100);
	CHECK(p && p->id == 1);
	/* no skb, even with the trace id of the packet's steps: counted, never attached
	 * (a trace id is a hash of the skb address: a reused address has the same) */
	p = rule(m, 0, 7, 5, NT_V_ACCEPT, NT_RULE_KIND_RULE, 0xabc, 1200);
	CHECK(p == NULL);
	p = rule(m, 0, 7, 5, NT_V_ACCEPT, NT_RULE_KIND_RULE, 0xdef, 1300);
	CHECK(p == NULL);
	CHECK_EQ_INT(nt_model_totals(m)->uncorrelated, 2);
	ev_free(m, 0x1000, 1400);
	CHECK_EQ_INT(ndone, 1);
	CHECK_EQ_INT(done[0].n_rules, 1);
	CHECK_EQ_INT(done[0].verdict, NT_V_NONE);
	nt_model_free(m);
}

TEST(verdict_rule_drop_wins_and_chain_exit_keeps_rule)
{
	struct nt_model *m = mk(0);
	struct nt_ev_nft_chain c = { .h = { .type = NT_EV_NFT_CHAIN, .ts_ns = 1300, .skb = 0x1000 },
				     .chain_key = 7, .verdict = NT_V_ACCEPT, .phase = NT_CHAIN_EXIT };
	struct nt_ev_drop d = { .h = { .type = NT_EV_DROP, .id = 2, .ts_ns = 3000, .skb = 0x1000 }, .reason = 6 };
	const struct nt_packet *p;

	meta(m, 0x1000, 1000);
	func(m, 0x1000, 0, 1000);
	rule(m, 0x1000, 7, 4, NT_V_ACCEPT, NT_RULE_KIND_RULE, 0, 1200);
	p = nt_model_event(m, &c, sizeof(c));
	CHECK_EQ_INT(p->verdict, NT_V_ACCEPT);
	CHECK_EQ_INT(p->verdict_rule, 4);   /* the rule keeps the attribution */
	/* next hook: dropped by policy of chain 9 */
	p = rule(m, 0x1000, 9, 0, NT_V_DROP, NT_RULE_KIND_POLICY, 0, 2000);
	CHECK_EQ_INT(p->verdict, NT_V_DROP);
	CHECK_EQ_INT(p->verdict_chain, 9);
	CHECK_EQ_INT(p->verdict_kind, NT_RULE_KIND_POLICY);
	/* a later ACCEPT does not override DROP */
	p = rule(m, 0x1000, 7, 4, NT_V_ACCEPT, NT_RULE_KIND_RULE, 0, 2500);
	CHECK_EQ_INT(p->verdict, NT_V_DROP);
	nt_model_event(m, &d, sizeof(d));
	CHECK_EQ_INT(ndone, 1);
	CHECK_EQ_INT(done[0].dropped, 1);
	CHECK_EQ_INT(done[0].fate, NT_FATE_DROPPED);
	CHECK_EQ_INT(done[0].drop_reason, 6);
	CHECK_EQ_INT(done[0].verdict, NT_V_DROP);
	CHECK_EQ_INT(done[0].verdict_chain, 9);
	nt_model_free(m);
}

/* 6.12 and later: nft_do_chain() frees the skb a rule drops, its chain's exit
 * (NF_STOLEN) comes after the DROP record, at an address with nothing open.
 * It is the dropped packet's after-free record, not a step of the next packet
 * on the address; a new packet enters a chain before it leaves one. */
TEST(chain_exit_after_nft_freed_the_dropped_skb)
{
	struct nt_model *m = mk(1);
	struct nt_ev_nft_chain c = { .h = { .type = NT_EV_NFT_CHAIN, .ts_ns = 1100, .skb = 0x1000 },
				     .chain_key = 7, .verdict = NT_V_NONE, .phase = NT_CHAIN_ENTER };
	struct nt_ev_drop d = { .h = { .type = NT_EV_DROP, .id = 2, .ts_ns = 1300, .skb = 0x1000 }, .reason = 6 };
	const struct nt_packet *p;

	CHECK(m != NULL);
	meta(m, 0x1000, 1000);
	func(m, 0x1000, 0, 1000);
	nt_model_event(m, &c, sizeof(c));
	rule(m, 0x1000, 7, 4, NT_V_DROP, NT_RULE_KIND_RULE, 0, 1200);
	nt_model_event(m, &d, sizeof(d));
	CHECK_EQ_INT(ndone, 1);
	CHECK_EQ_INT(done[0].n_events, 5);
	c.h.ts_ns = 1400;
	c.phase = NT_CHAIN_EXIT;
	c.verdict = NT_V_STOLEN;
	CHECK(nt_model_event(m, &c, sizeof(c)) == NULL);
	CHECK_EQ_INT(nt_model_totals(m)->after_free, 1);
	/* the next packet on the address: its own steps only */
	meta(m, 0x1000, 5000);
	p = func(m, 0x1000, 0, 5100);
	CHECK(p && p->id == 2 && p->n_events == 2);
	c.h.ts_ns = 5200;
	c.phase = NT_CHAIN_ENTER;
	c.verdict = NT_V_NONE;
	p = nt_model_event(m, &c, sizeof(c));
	CHECK(p && p->id == 2 && p->n_events == 3);
	CHECK_EQ_INT(nt_model_totals(m)->after_free, 1);
	nt_model_finish(m);
	CHECK_EQ_INT(ndone, 2);
	CHECK_EQ_INT(done[1].n_events, 3);
	/* an exit at an address no packet was freed at is not after a free */
	c.h.skb = 0x9000;
	c.h.ts_ns = 5300;
	c.phase = NT_CHAIN_EXIT;
	nt_model_event(m, &c, sizeof(c));
	CHECK_EQ_INT(nt_model_totals(m)->after_free, 1);
	nt_model_free(m);
}

TEST(metadata_lookups)
{
	struct nt_model *m = mk(0);
	static const char *rs = "{\"tables\":[{\"netns\":5,\"family\":\"inet\",\"name\":\"filter\",\"chains\":"
				"[{\"name\":\"input\",\"rules\":[{\"handle\":4,\"text\":\"tcp dport 22 accept\"}]}]}]}";
	static const char *ifs = "{\"interfaces\":[{\"netns\":5,\"ifindex\":2,\"name\":\"eth0\"}]}";
	static const char *dr = "{\"reasons\":[{\"value\":6,\"name\":\"NETFILTER_DROP\"}]}";
	struct nt_ev_nft_chaindef d = { .h = { .type = NT_EV_NFT_CHAINDEF }, .chain_key = 77,
					.table = "filter", .chain = "input", .family = 1, .netns = 5 };

	CHECK_EQ_INT(nt_model_meta(m, NTL_B_RULESET, rs, strlen(rs)), 0);
	CHECK_EQ_INT(nt_model_meta(m, NTL_B_IFACES, ifs, strlen(ifs)), 0);
	CHECK_EQ_INT(nt_model_meta(m, NTL_B_DROP_REASONS, dr, strlen(dr)), 0);
	CHECK(nt_model_meta(m, NTL_B_RULESET, "{not json", 9) < 0);
	CHECK(nt_model_event(m, &d, sizeof(d)) == NULL);
	CHECK_EQ_STR(nt_model_chain(m, 77)->chain, "input");
	CHECK_EQ_STR(nt_model_rule_text(m, 77, 4), "tcp dport 22 accept");
	CHECK(nt_model_rule_text(m, 77, 5) == NULL);
	CHECK_EQ_STR(nt_model_ifname(m, 5, 2), "eth0");
	CHECK(nt_model_ifname(m, 6, 2) == NULL);
	CHECK_EQ_STR(nt_model_drop_reason(m, 6), "NETFILTER_DROP");
	/* fallback: a chain defined in another netns still finds the text by names */
	d.chain_key = 78;
	d.netns = 9;
	nt_model_event(m, &d, sizeof(d));
	CHECK_EQ_STR(nt_model_rule_text(m, 78, 4), "tcp dport 22 accept");
	/* unknown function ids get a name */
	func(m, 0x1000, 4242, 1000);
	CHECK_EQ_STR(nt_model_func(m, 4242)->name, "func#4242");
	CHECK_EQ_STR(nt_model_func(m, 4242)->layer_name, "Other");
	/* a record of the wrong size is counted and ignored */
	CHECK(nt_model_event(m, &d, 24) == NULL);
	CHECK_EQ_INT(nt_model_totals(m)->bad_records, 1);
	nt_model_free(m);
}

TEST(many_open_packets_and_reuse)
{
	struct nt_model *m = mk(1);

	for (uint64_t i = 0; i < 100000; i++) {
		meta(m, 0x10000 + i * 256, 1000 + i);
		func(m, 0x10000 + i * 256, 0, 1000 + i);
	}
	CHECK_EQ_INT(nt_model_totals(m)->open, 100000);
	for (uint64_t i = 0; i < 100000; i++)
		ev_free(m, 0x10000 + i * 256, 200000 + i);
	CHECK_EQ_INT(nt_model_totals(m)->open, 0);
	CHECK_EQ_INT(nt_model_totals(m)->completed, 100000);
	CHECK_EQ_INT(nt_model_totals(m)->max_open, 100000);
	/* every address is free again */
	for (uint64_t i = 0; i < 1000; i++)
		CHECK(meta(m, 0x10000 + i * 256, 400000 + i)->id == 100001 + i);
	nt_model_free(m);
}

/* The open_packets limit closes the least recently active packet early and
 * frees its slot at once: its skbs (the packet's own and a clone) are stale,
 * their next record starts a new packet (never the one now in the slot); a
 * packet discarded by the capture filter leaves its clone stale the same way. */
TEST(closed_early_and_discarded_packets_leave_stale_skbs)
{
	struct nt_model_opts o = { .sz = sizeof(o), .keep_events = 1, .on_packet = on_packet };
	struct nt_limits lim;
	struct nt_ev_link l = { .h = { .type = NT_EV_LINK, .ts_ns = 1010, .skb = 0x2000 },
				.parent = 0x1000, .kind = NT_LINK_CLONE };
	struct nt_ev_free disc = { .h = { .type = NT_EV_FREE, .flags = NT_F_DISCARD_REC, .id = 2,
					  .ts_ns = 0, .skb = 0 } };
	const struct nt_packet *p, *q;
	struct nt_model *m;
	uint64_t id_a, id_b;

	nt_limits_init(&lim);
	lim.max[NT_LIM_OPEN_PACKETS] = 2;
	o.limits = &lim;
	m = nt_model_new(&o);
	CHECK(m != NULL);
	ndone = 0;
	meta(m, 0x1000, 1000);
	nt_model_event(m, &l, sizeof(l));               /* A: 0x1000 + clone 0x2000 */
	id_a = func(m, 0x2000, 0, 1020)->id;
	id_b = meta(m, 0x3000, 1030)->id;               /* B */
	CHECK(id_a && id_b && id_a != id_b);
	p = meta(m, 0x4000, 1040);                      /* C: A is closed early */
	CHECK(p && p->id != id_a && p->id != id_b);
	CHECK_EQ_INT(nt_model_totals(m)->evicted, 1);
	CHECK_EQ_INT(ndone, 1);
	CHECK(done[0].id == id_a && done[0].evicted);
	/* A's clone: a new packet (B is closed early for it), never C or B */
	q = func(m, 0x2000, 1, 1050);
	CHECK(q && q->id != id_a && q->id != id_b && q->id != p->id);
	CHECK_EQ_INT(q->live_skbs, 1);
	CHECK_EQ_INT(nt_model_totals(m)->evicted, 2);
	/* A's own skb: the same */
	q = func(m, 0x1000, 1, 1060);
	CHECK(q && q->live_skbs == 1 && q->n_events == 1);
	nt_model_free(m);

	/* a discarded packet with a clone */
	m = nt_model_new(&o);
	CHECK(m != NULL);
	meta(m, 0x1000, 1000);
	l.h.ts_ns = 1010;
	nt_model_event(m, &l, sizeof(l));
	disc.h.ts_ns = 1020;
	disc.h.skb = 0x1000;
	CHECK(nt_model_event(m, &disc, sizeof(disc)) == NULL);
	CHECK_EQ_INT(nt_model_totals(m)->open, 0);
	CHECK_EQ_INT(nt_model_totals(m)->discarded, 1);
	id_b = meta(m, 0x3000, 1030)->id;               /* B takes the freed slot */
	q = func(m, 0x2000, 0, 1040);                   /* the clone: not B */
	CHECK(q && q->id != id_b && q->live_skbs == 1);
	p = func(m, 0x3000, 0, 1050);
	CHECK(p && p->id == id_b && p->live_skbs == 1 && p->n_events == 2);
	nt_model_free(m);
}

/* The analyzer over every prefix of a multi-block log, in process: never a
 * crash, a longer prefix never gives fewer records or packets, the whole log
 * gives everything. */
static FILE *devnull;
static struct nt_stats *pst;

static struct nt_model *cur_model;

static void stats_cb(void *ctx, const struct nt_packet *p)
{
	(void)ctx;
	nt_stats_packet(pst, cur_model, p);
	nt_journey_print_text(devnull, cur_model, p);
}

TEST(analyzer_every_prefix_of_a_log)
{
	char path[] = "/tmp/nt-test-model.XXXXXX";
	struct ntl_writer_opts wo = { .sz = sizeof(wo), .block_bytes = 256, .force = 1 };
	struct ntl_writer *w;
	uint8_t *buf;
	long len;
	uint64_t prev_ev = 0, prev_pk = 0;
	FILE *f;
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	close(fd);
	CHECK_EQ_INT(ntl_writer_open(&w, path, &wo), 0);
	{
		static const char *fj = "{\"functions\":[{\"id\":0,\"name\":\"ip_rcv\",\"layer\":\"IPv4\"}]}";

		CHECK_EQ_INT(ntl_writer_meta(w, NTL_B_FUNCS, fj, strlen(fj)), 0);
	}
	for (uint64_t i = 0; i < 40; i++) {
		struct nt_ev_func fn = { .h = { .type = NT_EV_FUNC, .ts_ns = 1000 + i * 100, .skb = 0x1000 + i * 256 } };
		struct nt_ev_nft_rule r = { .h = { .type = NT_EV_NFT_RULE, .ts_ns = 1010 + i * 100, .skb = fn.h.skb },
					    .chain_key = 7, .rule_handle = 4, .verdict = i % 3 ? NT_V_ACCEPT : NT_V_DROP,
					    .kind = NT_RULE_KIND_RULE };
		struct nt_ev_free fr = { .h = { .type = NT_EV_FREE, .ts_ns = 1020 + i * 100, .skb = fn.h.skb } };
		struct nt_ev_meta mm = { .h = { .type = NT_EV_META, .ts_ns = fn.h.ts_ns, .skb = fn.h.skb },
					 .ethertype = 0x0800, .l3 = NT_L3_IPV4, .l4proto = 6 };

		CHECK_EQ_INT(ntl_writer_event(w, &mm, sizeof(mm)), 0);
		CHECK_EQ_INT(ntl_writer_event(w, &fn, sizeof(fn)), 0);
		CHECK_EQ_INT(ntl_writer_event(w, &r, sizeof(r)), 0);
		CHECK_EQ_INT(ntl_writer_event(w, &fr, sizeof(fr)), 0);
	}
	CHECK_EQ_INT(ntl_writer_close(w, "{\"clean\":true}"), 0);
	f = fopen(path, "rb");
	CHECK(f != NULL);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)len);
	CHECK(fread(buf, 1, (size_t)len, f) == (size_t)len);
	fclose(f);
	unlink(path);
	devnull = fopen("/dev/null", "w");
	for (long cut = 0; cut <= len; cut++) {
		struct nt_model_opts mo = { .sz = sizeof(mo), .keep_events = 1, .on_packet = stats_cb };
		struct ntl_reader *r;
		struct ntl_item it;
		struct nt_model *m;
		int st;

		if (ntl_reader_open_mem(&r, buf, (size_t)cut, "p.ntl", NULL)) {
			CHECK(cut < 16);
			continue;
		}
		m = nt_model_new(&mo);
		pst = nt_stats_new();
		cur_model = m;
		CHECK(m && pst);
		while ((st = ntl_reader_next(r, &it)) == NTL_OK) {
			if (it.kind == NTL_ITEM_META)
				nt_model_meta(m, it.type, it.data, it.len);
			else
				nt_model_event(m, it.data, it.len);
		}
		CHECK(st == NTL_END || st == NTL_E_TRUNCATED);
		nt_model_finish(m);
		CHECK(nt_model_totals(m)->events >= prev_ev);
		CHECK(nt_model_totals(m)->completed >= prev_pk);
		prev_ev = nt_model_totals(m)->events;
		prev_pk = nt_model_totals(m)->completed;
		nt_stats_print_text(devnull, pst, m, NULL);
		nt_stats_free(pst);
		nt_model_free(m);
		ntl_reader_close(r);
	}
	fclose(devnull);
	free(buf);
	CHECK_EQ_INT(prev_ev, 160);
	CHECK_EQ_INT(prev_pk, 40);
}

TEST(idle_packets_expire)
{
	struct nt_model_opts o = { .sz = sizeof(o), .on_packet = on_packet, .idle_ns = 1000000 };
	struct nt_model *m = nt_model_new(&o);
	const struct nt_packet *p;

	ndone = 0;
	CHECK(m != NULL);
	meta(m, 0x1000, 1000);             /* packet 1, never freed */
	meta(m, 0x2000, 1000);             /* packet 2, never freed */
	p = func(m, 0x1000, 0, 500000);    /* 0.5 ms later: same packet */
	CHECK_EQ_INT(p->id, 1);
	/* 2 ms after its last record: packet 1 expired, a new packet starts */
	p = meta(m, 0x1000, 2500000);
	CHECK(p != NULL);
	CHECK_EQ_INT(p->id, 3);
	CHECK(ndone >= 1);
	CHECK_EQ_INT(done[0].id, 1);
	CHECK_EQ_INT(done[0].incomplete, 1);
	CHECK_EQ_INT(done[0].expired, 1);
	/* the sweep closes packets 2 and 3 (idle > 1 ms; nothing else would) */
	meta(m, 0x3000, 5000000);
	CHECK_EQ_INT(ndone, 3);
	CHECK_EQ_INT(done[1].id, 2);
	CHECK_EQ_INT(done[1].expired, 1);
	CHECK_EQ_INT(done[2].id, 3);
	CHECK_EQ_INT(nt_model_totals(m)->expired, 3);
	CHECK_EQ_INT(nt_model_totals(m)->open, 1);
	nt_model_finish(m);
	CHECK_EQ_INT(ndone, 4);
	CHECK_EQ_INT(done[3].id, 4);
	CHECK_EQ_INT(done[3].expired, 0);
	CHECK_EQ_INT(done[3].incomplete, 1);
	nt_model_free(m);
}

/* Hostile function ids (issue 9's amplification: a record with id N < 2^20
 * used to build an N-entry table, ~32 MB): names, the shared "func#?" entry
 * past 4096 unknown ids, and the peak RSS of a child process that feeds the
 * model and the statistics such ids, against a child that feeds the same
 * records with small ids. */
static void hostile_ids(int hostile)
{
	static const char *funcs = "{\"functions\":[{\"id\":0,\"name\":\"ip_rcv\",\"layer\":\"IPv4\"},"
				   "{\"id\":1048575,\"name\":\"big_id_fn\",\"layer\":\"TCP\"}]}";
	struct nt_model_opts o = { .sz = sizeof(o) };
	struct nt_model *m = nt_model_new(&o);
	struct nt_stats *st = nt_stats_new();

	if (!m || !st || nt_model_meta(m, NTL_B_FUNCS, funcs, strlen(funcs)))
		exit(3);
	for (uint32_t i = 0; i < 20000; i++) {
		struct nt_ev_func f = { .h = { .type = NT_EV_FUNC, .ts_ns = 1000 + i, .skb = 0x1000 + 256 * (i % 64),
					       .id = hostile ? 1048575 - i * 37 : i % 2 } };

		nt_model_event(m, &f, sizeof(f));
		nt_stats_event(st, m, nt_model_current(m), &f.h);
	}
	nt_stats_free(st);
	nt_model_free(m);
}

static long child_maxrss_kb(int hostile)
{
	struct rusage ru;
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		hostile_ids(hostile);
		_exit(0);
	}
	if (pid < 0 || wait4(pid, &status, 0, &ru) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		return -1;
	return ru.ru_maxrss;
}

TEST(hostile_function_ids_cost_no_table)
{
	struct nt_model_opts o = { .sz = sizeof(o) };
	static const char *funcs = "{\"functions\":[{\"id\":1000000,\"name\":\"far_fn\",\"layer\":\"TCP\"}]}";
	struct nt_model *m = nt_model_new(&o);
	long base, hostile;
	char name[32];

	CHECK(m != NULL);
	CHECK_EQ_INT(nt_model_meta(m, NTL_B_FUNCS, funcs, strlen(funcs)), 0);
	CHECK_EQ_INT(nt_model_func_count(m), 1);
	CHECK_EQ_STR(nt_model_func(m, 1000000)->name, "far_fn");
	CHECK_EQ_STR(nt_model_func(m, 1000000)->layer_name, "TCP");
	CHECK_EQ_INT(nt_model_func_slot(m, 1000000), 0);
	CHECK_EQ_INT(nt_model_func_slot(m, 999999), UINT32_MAX);
	/* 5000 distinct unknown ids: 4096 named entries, then one shared "func#?" */
	for (uint32_t i = 0; i < 5000; i++)
		func(m, 0x1000, 900000 - i, 1000 + i);
	CHECK_EQ_INT(nt_model_func_count(m), 1 + 4096 + 1);
	CHECK_EQ_STR(nt_model_func(m, 900000)->name, "func#900000");
	snprintf(name, sizeof(name), "func#%u", 900000 - 4095);
	CHECK_EQ_STR(nt_model_func(m, 900000 - 4095)->name, name);
	CHECK_EQ_STR(nt_model_func_at(m, 4097)->name, "func#?");
	CHECK_EQ_STR(nt_model_func_at(m, 4097)->layer_name, "Other");
	CHECK_EQ_INT(nt_model_func_slot(m, 900000 - 4096), UINT32_MAX);
	CHECK_EQ_INT(nt_model_totals(m)->events, 5000);
	/* an id of UINT32_MAX was never named: the shared entry too */
	func(m, 0x1000, UINT32_MAX, 9000);
	CHECK_EQ_INT(nt_model_func_count(m), 1 + 4096 + 1);
	nt_model_free(m);
	m = nt_model_new(&o);
	CHECK(m != NULL);
	func(m, 0x1000, UINT32_MAX, 1000);
	func(m, 0x1000, UINT32_MAX, 2000);
	CHECK_EQ_INT(nt_model_func_count(m), 1);
	CHECK_EQ_STR(nt_model_func_at(m, 0)->name, "func#?");
	func(m, 0x1000, 1u << 31, 3000); /* beyond the FUNCS id limit: still named */
	CHECK_EQ_STR(nt_model_func(m, 1u << 31)->name, "func#2147483648");
	nt_model_free(m);
	/* memory: the hostile child's peak RSS within 2 MiB of the plain one */
	base = child_maxrss_kb(0);
	hostile = child_maxrss_kb(1);
	CHECK(base > 0 && hostile > 0);
	printf("# peak RSS: small ids %ld KiB, hostile ids %ld KiB\n", base, hostile);
	CHECK(hostile - base < 2048);
}

int main(void)
{
	RUN(packet_boundaries_and_layer_time);
	RUN(clone_is_a_branch_of_one_journey);
	RUN(clone_after_shared_free_joins_the_lingering_packet);
	RUN(realloc_moves_the_packet_to_the_new_address);
	RUN(steps_without_skb_are_never_attached);
	RUN(records_of_its_own_free_after_the_free);
	RUN(late_free_path_of_a_dropped_skb_until_kfree_skbmem);
	RUN(verdict_rule_drop_wins_and_chain_exit_keeps_rule);
	RUN(chain_exit_after_nft_freed_the_dropped_skb);
	RUN(metadata_lookups);
	RUN(many_open_packets_and_reuse);
	RUN(closed_early_and_discarded_packets_leave_stale_skbs);
	RUN(analyzer_every_prefix_of_a_log);
	RUN(idle_packets_expire);
	RUN(hostile_function_ids_cost_no_table);
	TEST_EXIT();
}
