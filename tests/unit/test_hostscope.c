// SPDX-License-Identifier: GPL-2.0
/* test_hostscope.c - model/hostscope.c: a namespace-as-host log keeps an
 * skb's records while it is in the host's namespace, ends its packet with a
 * FREE of skb:consume_skb where it leaves, skips it outside, takes it back. */
#include <string.h>

#include "common/bpf_shared.h"
#include "model/hostscope.h"
#include "tests/unit/nt_test.h"

#define HOST 4026532001u
#define OTHER 4026532002u

static struct nt_ev_meta meta(uint64_t skb, uint64_t ts, uint32_t netns)
{
	struct nt_ev_meta m;

	memset(&m, 0, sizeof(m));
	m.h.type = NT_EV_META;
	m.h.skb = skb;
	m.h.ts_ns = ts;
	m.netns = netns;
	return m;
}

static struct nt_ev_func func(uint64_t skb, uint64_t ts, uint8_t type)
{
	struct nt_ev_func f;

	memset(&f, 0, sizeof(f));
	f.h.type = type;
	f.h.skb = skb;
	f.h.ts_ns = ts;
	f.h.id = 3;
	return f;
}

TEST(leave_skip_return)
{
	struct nt_scope *s = nt_scope_new(HOST);
	struct nt_ev_free syn;
	struct nt_ev_meta m;
	struct nt_ev_func f;
	struct nt_ev_dev d;
	uint64_t skipped, left, resets;

	CHECK(s);
	m = meta(0x100, 10, HOST);
	CHECK_EQ_INT(nt_scope_record(s, &m, sizeof(m), &syn), NT_SCOPE_PASS);
	f = func(0x100, 11, NT_EV_FUNC);
	CHECK_EQ_INT(nt_scope_record(s, &f, sizeof(f), &syn), NT_SCOPE_PASS);
	/* it moves to another namespace: its packet ends there */
	m = meta(0x100, 12, OTHER);
	CHECK_EQ_INT(nt_scope_record(s, &m, sizeof(m), &syn), NT_SCOPE_SYNTH);
	CHECK_EQ_INT(syn.h.type, NT_EV_FREE);
	CHECK_EQ_INT(syn.h.flags, NT_F_SYNTH);
	CHECK_EQ_INT(syn.h.id, NT_TP_CONSUME_SKB);
	CHECK_EQ_INT(syn.h.ts_ns, 12);
	CHECK_EQ_INT(syn.h.skb, 0x100);
	/* outside: skipped, once ended */
	f = func(0x100, 13, NT_EV_FUNC);
	CHECK_EQ_INT(nt_scope_record(s, &f, sizeof(f), &syn), 0);
	memset(&d, 0, sizeof(d));
	d.h.type = NT_EV_DEV;
	d.h.skb = 0x100;
	d.h.ts_ns = 14;
	d.netns = OTHER;
	CHECK_EQ_INT(nt_scope_record(s, &d, sizeof(d), &syn), 0);
	/* back in the host (DEV): taken again */
	d.netns = HOST;
	d.h.ts_ns = 15;
	CHECK_EQ_INT(nt_scope_record(s, &d, sizeof(d), &syn), NT_SCOPE_PASS);
	f = func(0x100, 16, NT_EV_FREE);
	CHECK_EQ_INT(nt_scope_record(s, &f, sizeof(f), &syn), NT_SCOPE_PASS);
	/* an skb never seen with a namespace, and a clone of an outside skb */
	f = func(0x200, 17, NT_EV_FUNC);
	CHECK_EQ_INT(nt_scope_record(s, &f, sizeof(f), &syn), NT_SCOPE_PASS);
	m = meta(0x300, 18, OTHER);
	CHECK_EQ_INT(nt_scope_record(s, &m, sizeof(m), &syn), 0);
	{
		struct nt_ev_link l;

		memset(&l, 0, sizeof(l));
		l.h.type = NT_EV_LINK;
		l.h.skb = 0x400;
		l.h.ts_ns = 19;
		l.parent = 0x300;
		CHECK_EQ_INT(nt_scope_record(s, &l, sizeof(l), &syn), 0);
		f = func(0x400, 20, NT_EV_FUNC);
		CHECK_EQ_INT(nt_scope_record(s, &f, sizeof(f), &syn), 0);
		/* a head link to an skb this host never saw: not here */
		l.h.skb = 0x500;
		l.parent = 0x600;
		l.kind = NT_LINK_HEAD;
		CHECK_EQ_INT(nt_scope_record(s, &l, sizeof(l), &syn), 0);
		/* its address in the host later: a packet of its own */
		m = meta(0x500, 21, HOST);
		CHECK_EQ_INT(nt_scope_record(s, &m, sizeof(m), &syn), NT_SCOPE_PASS);
		/* freed in the host while a clone holds its data (NT_F_SHARED):
		 * the clone's head link and records are in the host */
		m = meta(0x700, 22, HOST);
		CHECK_EQ_INT(nt_scope_record(s, &m, sizeof(m), &syn), NT_SCOPE_PASS);
		f = func(0x700, 23, NT_EV_FREE);
		f.h.flags = NT_F_SHARED;
		CHECK_EQ_INT(nt_scope_record(s, &f, sizeof(f), &syn), NT_SCOPE_PASS);
		l.h.skb = 0x800;
		l.h.ts_ns = 24;
		l.parent = 0x700;
		CHECK_EQ_INT(nt_scope_record(s, &l, sizeof(l), &syn), NT_SCOPE_PASS);
		f = func(0x800, 25, NT_EV_FUNC);
		CHECK_EQ_INT(nt_scope_record(s, &f, sizeof(f), &syn), NT_SCOPE_PASS);
	}
	nt_scope_counts(s, &skipped, &left, &resets);
	CHECK_EQ_INT(left, 1);
	CHECK_EQ_INT(skipped, 7);
	CHECK_EQ_INT(resets, 0);
	nt_scope_free(s);
}

TEST(header_netns)
{
	const char *a = "{\"host\":{\"label\":\"r\",\"netns\":4026532001}}";
	const char *b = "{\"host\":{\"label\":\"r\"}}";

	CHECK_EQ_INT(nt_scope_header_netns(a, strlen(a)), HOST);
	CHECK_EQ_INT(nt_scope_header_netns(b, strlen(b)), 0);
	CHECK_EQ_INT(nt_scope_header_netns("{", 1), 0);
}

int main(void)
{
	RUN(leave_skip_return);
	RUN(header_netns);
	TEST_EXIT();
}
